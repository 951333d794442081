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
	"sync/atomic"
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
	// received counts the bytes the daemon got, to show that every
	// measurement was really sent; the drain parses nothing, so that it
	// competes as little as it can with the server for the CPUs.
	var received atomic.Int64
	go func() { // drain, so the socket buffer never refuses
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			received.Add(int64(n))
		}
	}()
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
				// Flushed packets may still be on their way to the drain:
				// wait until it has read nothing new for a while.
				for last, deadline := int64(-1), time.Now().Add(2*time.Second); received.Load() != last && time.Now().Before(deadline); {
					last = received.Load()
					time.Sleep(20 * time.Millisecond)
				}
				if received.Load() == 0 {
					b.Error("the StatsD daemon received nothing")
				}
				b.ReportMetric(float64(received.Load())/float64(b.N), "statsd-B/op")
				// Packets the measurements sent themselves, the sending
				// goroutine starved (a loaded machine): their cost is in ns/op.
				b.ReportMetric(float64(m.StatsD.SentInline())/float64(b.N), "inline-sends/op")
			}
		})
	}
}
