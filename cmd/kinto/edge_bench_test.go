package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// The benchmarks of issue 15: what the HTTP edge costs per request, through
// the service exactly as serve wires it on memory backends, with JSON
// request logs on (to io.Discard, so the formatter's work is counted but
// no I/O). The requests are built once and the writer is reused, so that
// the allocations reported are the server's, not the harness's.

// edgeWriter is a reusable http.ResponseWriter that keeps the status and
// discards the body.
type edgeWriter struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *edgeWriter) Header() http.Header { return w.h }
func (w *edgeWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *edgeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *edgeWriter) reset() {
	clear(w.h)
	w.status = 0
	w.body.Reset()
}

// edgeBody is a reusable request body.
type edgeBody struct{ strings.Reader }

func (*edgeBody) Close() error { return nil }

// edgeService is the service under benchmark and alice's requests.
type edgeService struct {
	h    http.Handler
	w    *edgeWriter
	body *edgeBody
}

func newEdgeService(tb testing.TB) *edgeService {
	tb.Helper()
	return newEdgeServiceLogging(tb, io.Discard)
}

// newEdgeServiceLogging is newEdgeService with its JSON logs written to
// logs.
func newEdgeServiceLogging(tb testing.TB, logs io.Writer) *edgeService {
	tb.Helper()
	runnertest.CleanEnv(tb, command())
	ini := "[app:main]\n" +
		"kinto.multiauth.policies = basicauth\n" +
		"kinto.userid_hmac_secret = " + benchSecret + "\n"
	path := filepath.Join(tb.TempDir(), "kinto.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		tb.Fatal(err)
	}
	s, src, err := command().Load(path)
	if err != nil {
		tb.Fatalf("load settings: %v", err)
	}
	s.Core.LogFormat, s.Core.LogLevel = "json", "info"
	log, err := config.NewLogger(&s.Core, "kinto", logs)
	if err != nil {
		tb.Fatal(err)
	}
	backs, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		tb.Fatalf("OpenBackends: %v", err)
	}
	srv, err := newServer(s, src, backs, nil, log)
	if err != nil {
		tb.Fatalf("newServer: %v", err)
	}
	e := &edgeService{h: srv.Handler(), w: &edgeWriter{h: http.Header{}}, body: &edgeBody{}}
	for _, p := range []string{"/v1/buckets/b", "/v1/buckets/b/collections/c"} {
		e.serve(tb, e.request(http.MethodPut, p, ""), "", http.StatusCreated)
	}
	for i := range 10 {
		e.serve(tb, e.request(http.MethodPut, "/v1/buckets/b/collections/c/records/r"+string(rune('0'+i)),
			`{"data":{"title":"a record of the benchmark","done":false,"tags":["a","b"],"n":42}}`), "", http.StatusCreated)
	}
	return e
}

// request is alice's request; body, when set, is JSON.
func (e *edgeService) request(method, target, body string) *http.Request {
	r, err := http.NewRequest(method, "http://localhost:8888"+target, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	r.RemoteAddr = "127.0.0.1:4321"
	r.RequestURI = target
	r.Header.Set("Authorization", benchAuth("alice"))
	r.Header.Set("User-Agent", "edge-bench")
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	return r
}

// serve answers r (whose body, if any, is body) and fails unless the
// status is want.
func (e *edgeService) serve(tb testing.TB, r *http.Request, body string, want int) {
	if body != "" {
		e.body.Reset(body)
		r.Body = e.body
		r.ContentLength = int64(len(body))
	}
	e.w.reset()
	e.h.ServeHTTP(e.w, r)
	if e.w.status != want {
		tb.Fatalf("%s %s: %d %s, want %d", r.Method, r.URL, e.w.status, e.w.body.String(), want)
	}
}

// edgeCase is one measured request.
type edgeCase struct {
	name   string
	method string
	target string
	body   string
	want   int
}

var edgeCases = []edgeCase{
	{"hello", http.MethodGet, "/v1/", "", http.StatusOK},
	{"get-record", http.MethodGet, "/v1/buckets/b/collections/c/records/r3", "", http.StatusOK},
	{"list-10", http.MethodGet, "/v1/buckets/b/collections/c/records?_limit=10", "", http.StatusOK},
	{"post-record", http.MethodPost, "/v1/buckets/b/collections/c/records",
		`{"data":{"title":"a record of the benchmark","done":false,"tags":["a","b"],"n":42}}`, http.StatusCreated},
}

// BenchmarkEdge measures hello, GET of one record, a list of 10 and POST
// of a record; -benchmem gives the allocations per request.
func BenchmarkEdge(b *testing.B) {
	e := newEdgeService(b)
	for _, c := range edgeCases {
		b.Run(c.name, func(b *testing.B) {
			r := e.request(c.method, c.target, c.body)
			b.ReportAllocs()
			for b.Loop() {
				e.serve(b, r, c.body, c.want)
			}
		})
	}
}
