package prometheus_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cliquet-go/cliquet/internal/adapters/prometheus"
	"github.com/cliquet-go/cliquet/internal/ports"
)

func scrape(t *testing.T, m *prometheus.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, rec.Body)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, mt := range f.Metric {
			var ls []string
			for _, l := range mt.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			key := name + "{" + strings.Join(ls, ",") + "}"
			switch {
			case mt.Counter != nil:
				out[key] = mt.Counter.GetValue()
			case mt.Gauge != nil:
				out[key] = mt.Gauge.GetValue()
			case mt.Summary != nil:
				out[key+"_count"] = float64(mt.Summary.GetSampleCount())
				out[key+"_sum"] = mt.Summary.GetSampleSum()
			case mt.Histogram != nil:
				out[key+"_count"] = float64(mt.Histogram.GetSampleCount())
				for _, b := range mt.Histogram.Bucket {
					out[key+"_bucket_"+model.SampleValue(b.GetUpperBound()).String()] = float64(b.GetCumulativeCount())
				}
			}
		}
	}
	return out
}

func TestNamesAndTypes(t *testing.T) {
	m := prometheus.NewMetrics(prometheus.Options{Prefix: "Remote-Settings", Disabled: []string{"remotesettings_users"}, Buckets: []float64{0.1, 1}})
	if m.Prefix() != "remotesettings_" {
		t.Fatalf("Prefix() = %q", m.Prefix())
	}
	method := ports.Label{Name: "method", Value: "get"}
	m.Timing("backend.storage.seconds", 50*time.Millisecond, method)
	m.Timing("backend.storage.seconds", 2*time.Second, method)
	m.Count("request_summary", 1, method, ports.Label{Name: "status", Value: "200"})
	m.Count("request_summary", 1, method, ports.Label{Name: "status", Value: "200"})
	m.Count("users", 1, ports.Label{Name: "auth", Value: "basicauth"})
	m.Observe("request_size", 10, method)
	m.Gauge("heartbeat_healthy", 0, ports.Label{Name: "backend", Value: "cache"})
	// A second use with other labels is dropped, not a panic.
	m.Count("request_summary", 1, method)
	got := scrape(t, m)
	want := map[string]float64{
		"remotesettings_backend_storage_seconds{method=get}_count":       2,
		"remotesettings_backend_storage_seconds{method=get}_bucket_0.1":  1,
		"remotesettings_backend_storage_seconds{method=get}_bucket_1":    1,
		"remotesettings_backend_storage_seconds{method=get}_bucket_+Inf": 2,
		"remotesettings_request_summary_total{method=get,status=200}":    2,
		"remotesettings_request_size{method=get}_count":                  1,
		"remotesettings_request_size{method=get}_sum":                    10,
		"remotesettings_heartbeat_healthy{backend=cache}":                0,
	}
	if len(got) != len(want) {
		t.Errorf("samples %v, want %v", got, want)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}

func TestNoPrefix(t *testing.T) {
	if p := prometheus.CleanPrefix(""); p != "" {
		t.Errorf("CleanPrefix(\"\") = %q", p)
	}
	if p := prometheus.CleanPrefix("kinto_"); p != "kinto_" {
		t.Errorf("CleanPrefix(kinto_) = %q", p)
	}
}

// Bound handles record what the plain calls record, in the same series;
// a bound use that breaks the metric's first use is dropped, and a bound
// series stays out of the exposition until first used.
func TestBoundHandles(t *testing.T) {
	m := prometheus.NewMetrics(prometheus.Options{Prefix: "kinto", Disabled: []string{"off"}})
	get := ports.Label{Name: "method", Value: "get"}
	timer := ports.BindTimer(m, "backend.storage.seconds", get)
	if got := scrape(t, m); len(got) != 0 {
		t.Fatalf("before use: %v", got)
	}
	timer.Time(20 * time.Millisecond)
	m.Timing("backend.storage.seconds", 2*time.Second, get)
	ports.BindCounter(m, "request_summary", get).Add(2)
	m.Count("request_summary", 1, get)
	ports.BindCounter(m, "request_summary", get).Add(-1)
	ports.BindObserver(m, "request_size", get).Observe(40)
	ports.BindCounter(m, "request_size", get).Add(1) // a summary already
	ports.BindCounter(m, "off").Add(1)
	got := scrape(t, m)
	for k, want := range map[string]float64{
		"kinto_backend_storage_seconds{method=get}_count":       2,
		"kinto_backend_storage_seconds{method=get}_bucket_0.05": 1,
		"kinto_request_summary_total{method=get}":               3,
		"kinto_request_size{method=get}_count":                  1,
		"kinto_request_size{method=get}_sum":                    40,
	} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if len(got) != 1+8+1+2 { // the histogram: its count and 8 buckets
		t.Errorf("series %v", got)
	}
}
