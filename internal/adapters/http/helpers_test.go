package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// baseConfig is the reference's defaults (PROTOCOL-core §10), Kinto flavour.
func baseConfig() httpadapter.Config {
	return httpadapter.Config{
		ProjectName:              "kinto",
		ProjectVersion:           "21.0.0",
		ProjectDocs:              "https://kinto.readthedocs.io/",
		HTTPAPIVersion:           "1.23",
		BatchMaxRequests:         25,
		ExplicitPermissions:      true,
		CORSOrigins:              []string{"*"},
		CORSMaxAge:               3600,
		VersionPrefixRedirect:    true,
		VersionPrefixRedirectTTL: -1,
		TrailingSlashRedirect:    true,
		TrailingSlashRedirectTTL: 3600,
		RootCacheExpires:         86400,
		HeartbeatTimeout:         time.Second,
		VersionJSONPath:          "/nonexistent/version.json",
		ErrorInfoLink:            "https://github.com/Kinto/kinto/issues/",
		MaxBodyBytes:             1 << 20,
		// A budget on, so that every test reads bodies the counted way.
		BodyMemoryBytes:   8 << 20,
		BodyMemoryWait:    time.Second,
		RetryAfterSeconds: 3,
	}
}

// env is a server under test with its captured logs.
type env struct {
	srv  *httpadapter.Server
	logs *logtest.Hook
}

// setup describes a server: its config, checks and policies.
type setup struct {
	cfg    httpadapter.Config
	checks map[string]ports.HealthChecker
	auth   []ports.Authenticator
}

func newEnv(t testing.TB, opts ...func(*setup)) *env {
	t.Helper()
	st := setup{cfg: baseConfig()}
	for _, o := range opts {
		o(&st)
	}
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	return &env{srv: httpadapter.NewServer(st.cfg, log, st.checks, st.auth), logs: hook}
}

func withConfig(f func(*httpadapter.Config)) func(*setup) {
	return func(s *setup) { f(&s.cfg) }
}

func withAuth(a ...ports.Authenticator) func(*setup) {
	return func(s *setup) { s.auth = a }
}

func withChecks(c map[string]ports.HealthChecker) func(*setup) {
	return func(s *setup) { s.checks = c }
}

// request builds a request; headers alternate name, value.
func request(method, target, body string, headers ...string) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func (e *env) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, r)
	return rec
}

func (e *env) do(method, target, body string, headers ...string) *httptest.ResponseRecorder {
	return e.serve(request(method, target, body, headers...))
}

// decode returns the JSON body of rec.
func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	return m
}

// wantError checks the protocol's error envelope; an empty message means
// the key must be absent. It returns the body for further checks.
func wantError(t *testing.T, rec *httptest.ResponseRecorder, status, errno int, title, message string) map[string]any {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d (body %s)", rec.Code, status, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	b := decode(t, rec)
	if b["code"] != float64(status) {
		t.Errorf("code %v, want %d", b["code"], status)
	}
	if b["errno"] != float64(errno) {
		t.Errorf("errno %v, want %d", b["errno"], errno)
	}
	if b["error"] != title {
		t.Errorf("error %q, want %q", b["error"], title)
	}
	if message == "" {
		if m, present := b["message"]; present {
			t.Errorf("message %q, want none", m)
		}
	} else if b["message"] != message {
		t.Errorf("message %q, want %q", b["message"], message)
	}
	return b
}

// handlerFunc mounts quickly.
func handlers(pairs ...any) map[string]http.Handler {
	m := map[string]http.Handler{}
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i].(string)] = http.HandlerFunc(pairs[i+1].(func(http.ResponseWriter, *http.Request)))
	}
	return m
}

// fakeAuth is a policy whose answer is a function.
type fakeAuth struct {
	name  string
	fn    func(header string) (string, bool, error)
	calls int
}

func (f *fakeAuth) Name() string { return f.name }
func (f *fakeAuth) Authenticate(_ context.Context, h string) (string, bool, error) {
	f.calls++
	return f.fn(h)
}

// basicFake also has a challenge and a capability, like auth.Basic.
type basicFake struct{ fakeAuth }

func (basicFake) Challenge() string { return `Basic realm="Realm"` }
func (basicFake) Capability() map[string]any {
	return map[string]any{"description": "fake basic", "url": "http://example.com/"}
}

// tokenAuth accepts "Token <id>".
func tokenAuth(name string) *fakeAuth {
	return &fakeAuth{name: name, fn: func(h string) (string, bool, error) {
		if id, ok := strings.CutPrefix(h, "Token "); ok && id != "" {
			return id, true, nil
		}
		return "", false, nil
	}}
}

// checkFunc is a HealthChecker from a function.
type checkFunc func(ctx context.Context) error

func (f checkFunc) Healthy(ctx context.Context) error { return f(ctx) }

// entries returns the log entries with message msg.
func (e *env) entries(msg string) []*logrus.Entry {
	var out []*logrus.Entry
	for _, en := range e.logs.AllEntries() {
		if en.Message == msg {
			out = append(out, en)
		}
	}
	return out
}
