package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/prometheus"
	"github.com/cliquet-go/cliquet/internal/adapters/sentry"
	"github.com/cliquet-go/cliquet/internal/adapters/statsd"
	"github.com/cliquet-go/cliquet/internal/app/metered"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// PrometheusPlugin is the includes entry that turns the Prometheus
// endpoint on, as in Kinto.
const PrometheusPlugin = "kinto.plugins.prometheus"

// statsdFlushPeriod is how long StatsD measurements wait to share a
// packet: short enough for dashboards, long enough to batch a request's.
const statsdFlushPeriod = 100 * time.Millisecond

// Metrics are the metrics backends the settings ask for: StatsD when
// statsd_url is set, Prometheus when includes lists
// kinto.plugins.prometheus, both at once, or none.
type Metrics struct {
	// Metrics receives every measurement; ports.NopMetrics when no backend
	// is configured.
	ports.Metrics
	// Prometheus is the registry /__metrics__ serves; nil when off.
	Prometheus *prometheus.Metrics
	// StatsD is the StatsD client; nil when off.
	StatsD *statsd.Metrics
	// Sentry receives the cause of every 5xx answer when sentry_dsn is
	// set; nil when off. It travels with the metrics because it is built,
	// mounted and flushed at the same points of the service's life.
	Sentry *sentry.Reporter

	log logrus.FieldLogger
}

// Enabled reports whether any metrics backend is configured.
func (m *Metrics) Enabled() bool { return m.Prometheus != nil || m.StatsD != nil }

// Close flushes and closes the StatsD client, and sends the queued Sentry
// reports, waiting at most sentry_timeout_seconds.
func (m *Metrics) Close() {
	if m.StatsD != nil {
		_ = m.StatsD.Close()
	}
	if m.Sentry != nil && !m.Sentry.Close() && m.log != nil {
		m.log.Warn("Sentry reports still queued at shutdown were dropped: sentry_timeout_seconds elapsed")
	}
}

// OpenMetrics builds the metrics backends of core. As in Kinto, the StatsD
// prefix is project_name unless that is empty, then statsd_prefix; the
// Prometheus prefix is prometheus_prefix, project_name when unset. A bad
// statsd_url is a *config.SettingError.
func OpenMetrics(core *config.Core, src *config.Source, log logrus.FieldLogger) (*Metrics, error) {
	out := &Metrics{log: log}
	if core.SentryDSN != "" {
		rep, err := sentry.NewReporter(sentry.Options{
			DSN:         core.SentryDSN,
			Environment: core.SentryEnv,
			Release:     core.ProjectVersion,
			Timeout:     time.Duration(core.SentryTimeoutSeconds) * time.Second,
		})
		if err != nil {
			return nil, &config.SettingError{Setting: "sentry_dsn", Err: err}
		}
		opts, err := sentryLogOptions(src)
		if err != nil {
			return nil, err
		}
		if l := loggerOf(log); l != nil {
			l.AddHook(rep.LogHook(opts))
		}
		out.Sentry = rep
	}
	var fan ports.FanOut
	if core.StatsdURL != "" {
		addr, err := statsd.Address(core.StatsdURL)
		if err != nil {
			return nil, &config.SettingError{Setting: "statsd_url", Err: err}
		}
		prefix := core.StatsdPrefix
		if core.ProjectName != "" {
			prefix = core.ProjectName
			if _, set := src.Lookup("statsd_prefix"); set {
				log.WithField("setting", "statsd_prefix").Warnf("statsd_prefix ignored: project_name %q is the StatsD prefix, as in Kinto; set project_name empty to use statsd_prefix", core.ProjectName)
			}
		}
		sm, err := statsd.NewMetrics(addr, statsd.Options{
			Prefix:        prefix,
			FlushPeriod:   statsdFlushPeriod,
			OnError:       func(err error) { log.WithError(err).Warn("sending StatsD metrics") },
			ErrorInterval: time.Minute,
		})
		if err != nil {
			return nil, &config.SettingError{Setting: "statsd_url", Err: err}
		}
		out.StatsD = sm
		fan = append(fan, sm)
	}
	if core.Includes.Contains(PrometheusPlugin) {
		prefix, set := src.Lookup("prometheus_prefix")
		if !set {
			prefix = core.ProjectName
		}
		buckets, err := core.HistogramBuckets()
		if err != nil {
			return nil, &config.SettingError{Setting: "prometheus_histogram_buckets", Err: err}
		}
		out.Prometheus = prometheus.NewMetrics(prometheus.Options{
			Prefix:   prefix,
			Disabled: []string(core.PrometheusDisabledMetrics),
			Buckets:  buckets,
			OnError:  func(err error) { log.WithError(err).Error("recording a Prometheus metric") },
		})
		fan = append(fan, out.Prometheus)
	}
	switch len(fan) {
	case 0:
		out.Metrics = ports.NopMetrics{}
	case 1:
		out.Metrics = fan[0]
	default:
		out.Metrics = fan
	}
	return out, nil
}

// Mount serves the Prometheus endpoint at /__metrics__ and advertises
// Kinto's prometheus capability, when Prometheus is on; it also hands the
// measurements to srv. Call it before serving.
func (m *Metrics) Mount(srv *httpadapter.Server) {
	if m.Sentry != nil {
		srv.WithErrorReporter(m.Sentry)
	}
	if !m.Enabled() {
		return
	}
	srv.WithMetrics(m.Metrics)
	if m.Prometheus == nil {
		return
	}
	srv.MountMetricsEndpoint(m.Prometheus.Handler())
	srv.AddCapability("prometheus", map[string]any{
		"description":      "Prometheus metrics.",
		"url":              "https://github.com/Kinto/kinto/",
		"prefix":           m.Prometheus.Prefix(),
		"disabled_metrics": m.Prometheus.Disabled(),
	})
}

// Meter replaces the backends of b with timed ones (Kinto's
// "backend.<storage|permission|cache>.seconds" with label method), units
// and heartbeat checks included, so that every call is measured. A no-op
// when m measures nothing.
func (b *Backends) Meter(m *Metrics) {
	if !m.Enabled() {
		return
	}
	var store ports.Store
	switch u := b.Units.(type) {
	case ports.Unitless:
		store = metered.WrapStore(u, m.Metrics)
		b.Units = ports.Unitless{S: store.Storage(), P: store.Permission()}
	case ports.Store: // its Storage and Permission are b's
		store = metered.WrapStore(u, m.Metrics)
		b.Units = store
	default: // no units (a storage-only service without a store)
		store = metered.WrapStore(ports.Unitless{S: b.Storage, P: b.Permission}, m.Metrics)
	}
	b.Storage = store.Storage()
	b.Checks["storage"] = b.Storage
	if b.Permission != nil {
		b.Permission = store.Permission()
		b.Checks["permission"] = b.Permission
	}
	if b.Cache != nil {
		b.Cache = metered.WrapCache(b.Cache, m.Metrics)
		b.Checks["cache"] = b.Cache
	}
	b.samplePools(m.Metrics, poolSampleInterval)
}

// poolSampleInterval is how often the pool gauges are sampled.
const poolSampleInterval = 10 * time.Second

// samplePools sets, now and every interval until Close, the gauge
// backend_pool_connections of each networked pool, with labels backend
// (storage, permission) and state (open, in_use, idle). Kinto has no such
// gauges: the names are this version's.
func (b *Backends) samplePools(m ports.Metrics, every time.Duration) {
	if len(b.pools) == 0 {
		return
	}
	sample := func() {
		for name, stats := range b.pools {
			open, inUse, idle := stats()
			for _, g := range []struct {
				state string
				n     int
			}{{"open", open}, {"in_use", inUse}, {"idle", idle}} {
				m.Gauge("backend_pool_connections", float64(g.n),
					ports.Label{Name: "backend", Value: name}, ports.Label{Name: "state", Value: g.state})
			}
		}
	}
	sample()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	b.OnClose(func() error {
		close(stop)
		<-done
		return nil
	})
}

// MeterAuthenticators times each policy under
// "authentication.<name>.seconds".
func (m *Metrics) MeterAuthenticators(auths []ports.Authenticator) []ports.Authenticator {
	if !m.Enabled() {
		return auths
	}
	out := make([]ports.Authenticator, len(auths))
	for i, a := range auths {
		out[i] = metered.WrapAuthenticator(a, m.Metrics)
	}
	return out
}

// Kinto's defaults for the Sentry logging settings, Python logging levels:
// debug lines and above are breadcrumbs, warnings and above events.
const (
	defaultSentryBreadcrumbsLevel = 10
	defaultSentryEventsLevel      = 30
)

// sentryLogOptions reads sentry_breadcrumbs_min_level and
// sentry_events_min_level, Python logging levels as in Kinto (10 or DEBUG,
// 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL). A bad one is a
// *config.SettingError.
func sentryLogOptions(src *config.Source) (sentry.LogOptions, error) {
	opts := sentry.LogOptions{Reported: httpadapter.ReportedCause}
	for _, s := range []struct {
		name  string
		def   int
		level *logrus.Level
		off   *bool
	}{
		{"sentry_breadcrumbs_min_level", defaultSentryBreadcrumbsLevel, &opts.BreadcrumbLevel, &opts.NoBreadcrumbs},
		{"sentry_events_min_level", defaultSentryEventsLevel, &opts.EventLevel, &opts.NoEvents},
	} {
		py := s.def
		if v, set := src.Lookup(s.name); set && strings.TrimSpace(v) != "" {
			n, err := pythonLevel(v)
			if err != nil {
				return opts, &config.SettingError{Setting: s.name, Err: err}
			}
			py = n
		}
		*s.level, *s.off = logrusThreshold(py)
	}
	return opts, nil
}

// pythonLevels are the names of Python's logging levels.
var pythonLevels = map[string]int{
	"NOTSET": 0, "DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30,
	"ERROR": 40, "FATAL": 50, "CRITICAL": 50,
}

// pythonLevel parses a Python logging level, a number or a name.
func pythonLevel(v string) (int, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		return n, nil
	}
	if n, ok := pythonLevels[strings.ToUpper(v)]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("%q is no Python logging level (a number, or DEBUG, INFO, WARNING, ERROR, CRITICAL)", v)
}

// logrusThreshold is the least severe logrus level whose Python level is
// at least py (Python keeps a record whose level is >= the minimum); off
// when none is (py above CRITICAL).
func logrusThreshold(py int) (level logrus.Level, off bool) {
	for _, l := range []struct {
		level logrus.Level
		py    int
	}{
		{logrus.TraceLevel, 5}, {logrus.DebugLevel, 10}, {logrus.InfoLevel, 20},
		{logrus.WarnLevel, 30}, {logrus.ErrorLevel, 40}, {logrus.FatalLevel, 50},
	} {
		if l.py >= py {
			return l.level, false
		}
	}
	return logrus.PanicLevel, true
}

// loggerOf is the logger behind log, whose hooks see every line; nil for
// a logger of another kind.
func loggerOf(log logrus.FieldLogger) *logrus.Logger {
	switch l := log.(type) {
	case *logrus.Logger:
		return l
	case *logrus.Entry:
		return l.Logger
	}
	return nil
}
