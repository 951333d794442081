package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// BenchmarkMetricsOverhead serves the same authenticated record read with
// no metrics, then with StatsD (to a UDP listener that drops what it gets)
// and Prometheus together, on memory backends: the difference is what
// measuring costs a request.
func BenchmarkMetricsOverhead(b *testing.B) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	// Nobody reads the daemon's socket during the measurement: once its
	// buffer is full the kernel drops what arrives, after the client paid
	// for every send. A reader would compete with the server for the two
	// CPUs of the machine the target is set on; what reached the socket is
	// checked after the loop instead.
	for _, c := range []struct {
		name string
		ini  string
	}{
		{"off", ""},
		{"statsd+prometheus", "kinto.statsd_url = udp://" + pc.LocalAddr().String() + "\n" +
			"kinto.includes = kinto.plugins.default_bucket kinto.plugins.prometheus\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			runnertest.CleanEnv(b, command())
			ini := "[app:main]\nkinto.multiauth.policies = basicauth\nkinto.userid_hmac_secret = " + benchSecret + "\n" + c.ini
			path := filepath.Join(b.TempDir(), "kinto.ini")
			if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
				b.Fatal(err)
			}
			s, src, err := command().Load(path)
			if err != nil {
				b.Fatal(err)
			}
			backs, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
			if err != nil {
				b.Fatal(err)
			}
			log := logrus.New()
			log.SetOutput(io.Discard)
			m, err := wire.OpenMetrics(&s.Core, src, log)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			srv, err := newServer(s, src, backs, m, log)
			if err != nil {
				b.Fatal(err)
			}
			h := srv.Handler()
			authz := benchAuth("alice")
			do := func(method, path, body string) int {
				r := httptest.NewRequest(method, path, strings.NewReader(body))
				r.Header.Set("Authorization", authz)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				return w.Code
			}
			for _, p := range []string{"/v1/buckets/b", "/v1/buckets/b/collections/c", "/v1/buckets/b/collections/c/records/r"} {
				if code := do("PUT", p, `{"data":{"n":1}}`); code != http.StatusCreated {
					b.Fatalf("PUT %s: %d", p, code)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if code := do("GET", "/v1/buckets/b/collections/c/records/r", ""); code != http.StatusOK {
					b.Fatalf("GET: %d", code)
				}
			}
			b.StopTimer()
			if m.StatsD != nil {
				m.StatsD.Flush()
				// The daemon's socket holds what it had room for: read one
				// packet to check that they are StatsD lines of the run.
				buf := make([]byte, 65536)
				_ = pc.SetReadDeadline(time.Now().Add(time.Second))
				n, _, err := pc.ReadFrom(buf)
				for err == nil && n == 0 { // the client's probes
					n, _, err = pc.ReadFrom(buf)
				}
				if err != nil || !strings.Contains(string(buf[:n]), "request_duration_seconds") {
					b.Errorf("daemon socket: %v, %q", err, buf[:min(n, 200)])
				}
			}
		})
	}
}
