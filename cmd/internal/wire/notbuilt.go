package wire

import (
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/config"
)

// WarnNotBuilt logs one warning line for each generic setting that asks
// for something this version does not build, so that a kinto.ini moved
// over from Kinto never loses a feature silently: prometheus_* settings without the Prometheus plugin or
// that it does not support, Kinto's Python profiler, each event listener, and an http_host that reads as
// a listening address. None of them weakens access control, so the
// service still starts; the refusals are the service's (its plugins and
// authentication policies) or the backends'.
func WarnNotBuilt(core *config.Core, src *config.Source, log logrus.FieldLogger) {
	for _, w := range NotBuilt(core, src) {
		log.WithField("setting", w.Setting).Warn(w.Message)
	}
}

// Ignored is one setting, or one item of a list setting, that this
// version reads but cannot honour.
type Ignored struct {
	Setting string // "event_listeners"
	Message string // one line saying what is ignored and why
}

// prometheusSettings are the prometheus_* settings this version honours.
var prometheusSettings = map[string]bool{
	"prometheus_prefix":            true,
	"prometheus_disabled_metrics":  true,
	"prometheus_histogram_buckets": true,
}

// NotBuilt lists what WarnNotBuilt reports, in a stable order.
func NotBuilt(core *config.Core, src *config.Source) []Ignored {
	var out []Ignored
	prometheusOn := core.Includes.Contains(PrometheusPlugin)
	for _, name := range src.Present("prometheus_") {
		switch {
		case !prometheusOn:
			out = append(out, Ignored{name, name + " ignored: " + PrometheusPlugin + " is not in includes"})
		case !prometheusSettings[name]:
			out = append(out, Ignored{name, name + " ignored: this version's Prometheus metrics do not support it"})
		}
	}
	if v, ok := src.Lookup("profiler_enabled"); ok && v != "" && v != "false" {
		out = append(out, Ignored{"profiler_enabled", "profiler_enabled ignored: Kinto's Python profiler is not built; set pprof_enabled for the Go profiler on its own listener"})
	}
	for _, l := range core.EventListeners {
		if builtListener(src, l) {
			continue
		}
		out = append(out, Ignored{"event_listeners", fmt.Sprintf("event listener %q ignored: event listeners are not built into this version", l)})
	}
	switch h := strings.Trim(core.HTTPHost, "[]"); h {
	case "0.0.0.0", "::":
		out = append(out, Ignored{"http_host", fmt.Sprintf("http_host %q is the host written in URLs, as in Kinto, not where to listen: set listen_host (KINTO_LISTEN_HOST) for that", core.HTTPHost)})
	}
	return out
}
