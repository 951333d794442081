package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// statsdListener receives StatsD packets on loopback.
func statsdListener(t *testing.T) (net.PacketConn, func() []string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen udp: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc, func() []string {
		var lines []string
		buf := make([]byte, 65536)
		for {
			_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return lines
			}
			if n > 0 {
				lines = append(lines, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
			}
		}
	}
}

// meteredHandler builds the service as serve does, with its metrics.
func meteredHandler(t *testing.T, extra map[string]string) (http.Handler, *wire.Metrics) {
	t.Helper()
	s, src := testSettings(t, extra)
	b, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		t.Fatalf("OpenBackends: %v", err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	m, err := wire.OpenMetrics(&s.Core, src, log)
	if err != nil {
		t.Fatalf("OpenMetrics: %v", err)
	}
	t.Cleanup(m.Close)
	srv, err := newServer(s, src, b, m, log)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	return srv.Handler(), m
}

// knownSequence sends hello anonymously, creates a bucket, lists buckets
// and asks for an unknown URL, checking each status.
func knownSequence(t *testing.T, h http.Handler) {
	t.Helper()
	for _, c := range []struct {
		user   user
		method string
		path   string
		status int
	}{
		{anonymous, "GET", "/v1/", 200},
		{owner, "PUT", "/v1/buckets/b", 201},
		{owner, "GET", "/v1/buckets", 200},
		{anonymous, "GET", "/v1/nowhere", 404},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if a := c.user.authorization(); a != "" {
			r.Header.Set("Authorization", a)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.status {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, w.Code, c.status, w.Body)
		}
		if w.Header().Get("X-Request-Id") == "" {
			t.Errorf("%s %s: no X-Request-Id", c.method, c.path)
		}
	}
}

var msValue = regexp.MustCompile(`:[0-9.e+-]+\|ms$`)

func TestStatsDPackets(t *testing.T) {
	pc, read := statsdListener(t)
	h, m := meteredHandler(t, map[string]string{"statsd_url": "udp://" + pc.LocalAddr().String()})
	knownSequence(t, h)
	m.StatsD.Flush()
	lines := read()

	// Request-level packets, exactly and in order; timings vary, so their
	// value is replaced by "T", and response sizes by "S".
	var got []string
	backendKeys := map[string]bool{}
	for _, l := range lines {
		l = msValue.ReplaceAllString(l, ":T|ms")
		if strings.HasPrefix(l, "kinto.request_size:") {
			l = "kinto.request_size:S|g"
		}
		switch {
		case strings.HasPrefix(l, "kinto.backend."), strings.HasPrefix(l, "kinto.authentication.basicauth."):
			key, _, _ := strings.Cut(l, ":")
			backendKeys[key] = true
		default:
			got = append(got, l)
		}
	}
	uid := "userid." + strings.TrimPrefix(userID(owner), "basicauth:")
	want := []string{
		"kinto.request_summary:method.get.endpoint.hello.status.200|s",
		"kinto.request_duration_seconds.method.get.endpoint.hello:T|ms",
		"kinto.request_size:S|g",
		"kinto.users:auth.basicauth." + uid + "|s",
		"kinto.request_summary:method.put.endpoint.bucket-object.status.201|s",
		"kinto.request_duration_seconds.method.put.endpoint.bucket-object:T|ms",
		"kinto.request_size:S|g",
		"kinto.authentication:type.basicauth|s",
		"kinto.users:auth.basicauth." + uid + "|s",
		"kinto.request_summary:method.get.endpoint.bucket-plural.status.200|s",
		"kinto.request_duration_seconds.method.get.endpoint.bucket-plural:T|ms",
		"kinto.request_size:S|g",
		"kinto.authentication:type.basicauth|s",
		"kinto.request_summary:method.get.endpoint.unknown.status.404|s",
		"kinto.request_duration_seconds.method.get.endpoint.unknown:T|ms",
		"kinto.request_size:S|g",
	}
	if !slices.Equal(got, want) {
		t.Errorf("StatsD request packets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, k := range []string{
		"kinto.authentication.basicauth.seconds.method.authenticate",
		"kinto.backend.storage.seconds.method.get",
		"kinto.backend.permission.seconds.method.add_principal",
	} {
		if !backendKeys[k] {
			t.Errorf("no %s timing among %v", k, backendKeys)
		}
	}
}

func TestPrometheusSamples(t *testing.T) {
	h, _ := meteredHandler(t, map[string]string{"includes": "kinto.plugins.default_bucket kinto.plugins.prometheus"})
	knownSequence(t, h)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/__metrics__", nil))
	if w.Code != 200 {
		t.Fatalf("GET /v1/__metrics__: %d %s", w.Code, w.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatalf("parse /__metrics__: %v", err)
	}
	samples := func(name string) map[string]float64 {
		out := map[string]float64{}
		f := fams[name]
		if f == nil {
			return out
		}
		for _, m := range f.Metric {
			var ls []string
			for _, l := range m.Label {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			v := m.GetCounter().GetValue()
			if m.Histogram != nil {
				v = float64(m.Histogram.GetSampleCount())
			}
			if m.Summary != nil {
				v = float64(m.Summary.GetSampleCount())
			}
			slices.Sort(ls) // the exposition sorts labels by name
			out[strings.Join(ls, ",")] = v
		}
		return out
	}
	check := func(name string, want map[string]float64) {
		t.Helper()
		got := samples(name)
		if len(got) != len(want) {
			t.Errorf("%s = %v, want %v", name, got, want)
			return
		}
		for k, v := range want {
			parts := strings.Split(k, ",")
			slices.Sort(parts)
			k = strings.Join(parts, ",")
			if got[k] != v {
				t.Errorf("%s{%s} = %v, want %v (all: %v)", name, k, got[k], v, got)
			}
		}
	}
	perRequest := map[string]float64{
		"method=get,endpoint=hello":         1,
		"method=put,endpoint=bucket-object": 1,
		"method=get,endpoint=bucket-plural": 1,
		"method=get,endpoint=unknown":       1,
	}
	check("kinto_request_summary_total", map[string]float64{
		"method=get,endpoint=hello,status=200":         1,
		"method=put,endpoint=bucket-object,status=201": 1,
		"method=get,endpoint=bucket-plural,status=200": 1,
		"method=get,endpoint=unknown,status=404":       1,
	})
	check("kinto_request_duration_seconds", perRequest)
	check("kinto_request_size", perRequest)
	check("kinto_authentication_total", map[string]float64{"type=basicauth": 2})
	check("kinto_users_total", map[string]float64{"auth=basicauth,userid=" + strings.TrimPrefix(userID(owner), "basicauth:"): 2})
	check("kinto_authentication_basicauth_seconds", map[string]float64{"method=authenticate": 2})
	if n := samples("kinto_backend_storage_seconds")["method=get"]; n < 1 {
		t.Errorf("kinto_backend_storage_seconds{method=get} count %v, want at least 1", n)
	}
	if len(samples("kinto_backend_permission_seconds")) == 0 {
		t.Error("no kinto_backend_permission_seconds samples")
	}
}

func TestMetricsEndpointOffByDefault(t *testing.T) {
	h, _ := meteredHandler(t, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/v1/__metrics__", nil))
	if w.Code != http.StatusNotFound {
		t.Errorf("GET /v1/__metrics__ without the plugin: %d, want 404", w.Code)
	}
}

// The profiler answers on its own listener only.
func TestPprofOwnListener(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_PPROF_ENABLED", "true")
	t.Setenv("KINTO_PPROF_PORT", "0")
	svc := command()
	pprofAddr := make(chan net.Addr, 1)
	svc.OnPprof = func(a net.Addr) { pprofAddr <- a }
	srv := runnertest.Start(t, svc)
	defer srv.Stop()
	var addr net.Addr
	select {
	case addr = <-pprofAddr:
	case <-time.After(5 * time.Second):
		t.Fatal("profiler did not listen")
	}
	if !addr.(*net.TCPAddr).IP.IsLoopback() {
		t.Errorf("profiler listens on %v, want loopback by default", addr)
	}
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("http://" + addr.String() + "/debug/pprof/cmdline"); c != 200 {
		t.Errorf("profiler /debug/pprof/cmdline: %d, want 200", c)
	}
	for _, p := range []string{"/debug/pprof/cmdline", "/v1/debug/pprof/cmdline"} {
		if c := get(srv.Base + p); c != http.StatusNotFound {
			t.Errorf("public port %s: %d, want 404", p, c)
		}
	}
}

// userID is the basicauth user id of u under the test secret.
func userID(u user) string {
	uid, ok, err := auth.NewBasic(testSecret).Authenticate(context.Background(), u.authorization())
	if err != nil || !ok {
		panic("basicauth refused a test user")
	}
	return "basicauth:" + uid
}

// A trusted request id reaches every log line of the request, batch
// subrequests included, and comes back in X-Request-Id; untrusted, the
// header is ignored and a fresh id is generated.
func TestRequestID(t *testing.T) {
	for _, trusted := range []bool{true, false} {
		extra := map[string]string{}
		if trusted {
			extra["trusted_request_id_header"] = "X-Request-ID"
		}
		s, src := testSettings(t, extra)
		b, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
		if err != nil {
			t.Fatalf("OpenBackends: %v", err)
		}
		log, hook := logtest.NewNullLogger()
		srv, err := newServer(s, src, b, nil, log)
		if err != nil {
			t.Fatalf("newServer: %v", err)
		}
		body := `{"requests":[{"method":"PUT","path":"/buckets/b"},{"method":"GET","path":"/buckets/b"}]}`
		r := httptest.NewRequest("POST", "/v1/batch", strings.NewReader(body))
		r.Header.Set("Authorization", owner.authorization())
		r.Header.Set("X-Request-ID", "proxy-42")
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		if w.Code != 200 {
			t.Fatalf("batch: %d %s", w.Code, w.Body)
		}
		rid := w.Header().Get("X-Request-Id")
		if trusted && rid != "proxy-42" {
			t.Errorf("trusted: X-Request-Id %q, want proxy-42", rid)
		}
		if !trusted && (rid == "proxy-42" || len(rid) != 36) {
			t.Errorf("untrusted: X-Request-Id %q, want a fresh UUID", rid)
		}
		entries := hook.AllEntries()
		if len(entries) != 3 { // two subrequests and the batch
			t.Errorf("%d log lines, want 3", len(entries))
		}
		for _, e := range entries {
			if e.Data["rid"] != rid {
				t.Errorf("log line %q rid %v, want %q", e.Message, e.Data["rid"], rid)
			}
			for _, f := range []string{"agent", "path", "method", "lang", "errno", "time", "code", "t", "uid", "authn_type"} {
				if _, ok := e.Data[f]; !ok {
					t.Errorf("summary line lacks %s: %v", f, e.Data)
				}
			}
		}
	}
}
