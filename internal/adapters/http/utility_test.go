package http_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/ports"
)

func TestHelloAnonymous(t *testing.T) {
	e := newEnv(t)
	rec := e.do("GET", "/v1/", "")
	if rec.Code != 200 {
		t.Fatalf("GET /v1/: status %d", rec.Code)
	}
	b := decode(t, rec)
	want := map[string]any{
		"project_name":     "kinto",
		"project_version":  "21.0.0",
		"http_api_version": "1.23",
		"project_docs":     "https://kinto.readthedocs.io/",
		"url":              "http://example.com/v1/",
		"settings":         map[string]any{"batch_max_requests": float64(25), "readonly": false, "explicit_permissions": true},
		"capabilities":     map[string]any{},
	}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("hello = %v\nwant %v", b, want)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "" {
		t.Errorf("Cache-Control %q, want none when writable", cc)
	}
}

func TestHelloAuthenticatedWithCapabilitiesAndEOS(t *testing.T) {
	basic := &basicFake{fakeAuth: *tokenAuth("basicauth")}
	e := newEnv(t, withAuth(basic), withConfig(func(c *httpadapter.Config) {
		c.EOS = "2999-12-31"
		c.HTTPHost = "kinto.example.org"
		c.HTTPScheme = "https"
	}))
	e.srv.AddCapability("history", map[string]any{"description": "Track changes", "url": "http://h"})

	b := decode(t, e.do("GET", "/v1/", "", "Authorization", "Token bob"))
	if b["url"] != "https://kinto.example.org/v1/" {
		t.Errorf("url %v, want the configured scheme and host", b["url"])
	}
	if b["eos"] != "2999-12-31" {
		t.Errorf("eos %v, want 2999-12-31", b["eos"])
	}
	user := map[string]any{
		"id":         "basicauth:bob",
		"principals": []any{"basicauth:bob", "system.Everyone", "system.Authenticated"},
	}
	if !reflect.DeepEqual(b["user"], user) {
		t.Errorf("user %v, want %v", b["user"], user)
	}
	caps, _ := b["capabilities"].(map[string]any)
	if caps["history"] == nil || caps["basicauth"] == nil {
		t.Errorf("capabilities %v, want history and the policy's basicauth", caps)
	}

	// Refused credentials: anonymous, no user block.
	if b := decode(t, e.do("GET", "/v1/", "", "Authorization", "Basic zzz")); b["user"] != nil {
		t.Errorf("anonymous hello has user %v", b["user"])
	}
}

func TestHelloReadOnlyIsCacheable(t *testing.T) {
	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.ReadOnly = true }))
	rec := e.do("GET", "/v1/", "")
	if cc := rec.Header().Get("Cache-Control"); cc != "max-age=86400" {
		t.Errorf("Cache-Control %q, want max-age=86400", cc)
	}
	if rec.Header().Get("Expires") == "" {
		t.Error("no Expires on read-only hello")
	}
	settings, _ := decode(t, rec)["settings"].(map[string]any)
	if settings["readonly"] != true {
		t.Errorf("settings.readonly %v, want true", settings["readonly"])
	}
}

func TestHelloAuthenticatorDown(t *testing.T) {
	down := &fakeAuth{name: "account", fn: func(string) (string, bool, error) {
		return "", false, errors.New("accounts db unreachable")
	}}
	e := newEnv(t, withAuth(down))
	rec := e.do("GET", "/v1/", "", "Authorization", "Basic Ym9iOnB3")
	wantError(t, rec, 503, 201, "Service Unavailable",
		"Service temporary unavailable due to overloading or maintenance, please retry later.")
	if rec.Header().Get("Retry-After") != "3" {
		t.Errorf("Retry-After %q, want 3", rec.Header().Get("Retry-After"))
	}
	// Without credentials the policies are not asked.
	if rec := e.do("GET", "/v1/", ""); rec.Code != 200 {
		t.Errorf("anonymous hello with a broken policy: status %d, want 200", rec.Code)
	}
}

func TestHeartbeat(t *testing.T) {
	ok := checkFunc(func(context.Context) error { return nil })
	failing := checkFunc(func(context.Context) error { return errors.New("connection refused") })
	slow := checkFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	deaf := checkFunc(func(context.Context) error { <-release; return nil }) // ignores its context

	tests := []struct {
		name   string
		checks map[string]ports.HealthChecker
		status int
		want   map[string]any
	}{
		{"all healthy", map[string]ports.HealthChecker{"storage": ok, "cache": ok, "permission": ok}, 200,
			map[string]any{"storage": true, "cache": true, "permission": true}},
		{"one failing", map[string]ports.HealthChecker{"storage": ok, "cache": failing}, 503,
			map[string]any{"storage": true, "cache": false}},
		{"one timing out", map[string]ports.HealthChecker{"storage": slow, "permission": ok}, 503,
			map[string]any{"storage": false, "permission": true}},
		{"one ignoring its deadline", map[string]ports.HealthChecker{"storage": deaf, "cache": ok}, 503,
			map[string]any{"storage": false, "cache": true}},
		{"one panicking", map[string]ports.HealthChecker{"storage": checkFunc(func(context.Context) error { panic("bug") }), "cache": ok}, 503,
			map[string]any{"storage": false, "cache": true}},
		{"not configured is null", map[string]ports.HealthChecker{"storage": ok, "cache": nil}, 200,
			map[string]any{"storage": true, "cache": nil}},
		{"no checks", nil, 200, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withChecks(tt.checks), withConfig(func(c *httpadapter.Config) { c.HeartbeatTimeout = 20 * time.Millisecond }))
			rec := e.do("GET", "/v1/__heartbeat__", "")
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tt.status, rec.Body)
			}
			if got := decode(t, rec); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body %v, want %v", got, tt.want)
			}
			if tt.status == 503 {
				if rec.Header().Get("Retry-After") != "3" {
					t.Errorf("Retry-After %q, want 3", rec.Header().Get("Retry-After"))
				}
				if n := len(e.entries("heartbeat check failed")); n != 1 {
					t.Errorf("%d failure log lines, want 1", n)
				}
			}
		})
	}
}

func TestHeartbeatSkipsAuthentication(t *testing.T) {
	down := &fakeAuth{name: "account", fn: func(string) (string, bool, error) { return "", false, errors.New("down") }}
	e := newEnv(t, withAuth(down))
	for _, p := range []string{"/v1/__heartbeat__", "/v1/__lbheartbeat__", "/v1/__api__"} {
		if rec := e.do("GET", p, "", "Authorization", "Basic eDp5"); rec.Code != 200 {
			t.Errorf("GET %s with a broken policy: status %d, want 200", p, rec.Code)
		}
	}
	if down.calls != 0 {
		t.Errorf("policy called %d times by utility endpoints", down.calls)
	}
}

func TestLBHeartbeat(t *testing.T) {
	rec := newEnv(t).do("GET", "/v1/__lbheartbeat__", "")
	if rec.Code != 200 || rec.Body.String() != "{}\n" {
		t.Errorf("lbheartbeat: %d %q, want 200 {}", rec.Code, rec.Body)
	}
}

func TestVersion(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "version.json")
	content := `{"name":"kinto","version":"21.0.0","commit":"abc","source":"https://github.com/x/y"}`
	if err := os.WriteFile(good, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"name":`), 0o600); err != nil {
		t.Fatal(err)
	}

	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.VersionJSONPath = good }))
	rec := e.do("GET", "/v1/__version__", "")
	if rec.Code != 200 || rec.Body.String() != content {
		t.Errorf("version: %d %q, want 200 and the file verbatim", rec.Code, rec.Body)
	}

	t.Run("missing", func(t *testing.T) {
		e := newEnv(t, withConfig(func(c *httpadapter.Config) {
			c.VersionJSONPath = filepath.Join(dir, "none.json")
			c.ProjectVersion = "9.8.7"
		}))
		rec := e.do("GET", "/v1/__version__", "")
		if rec.Code != 200 {
			t.Fatalf("version without a file: %d %s, want 200 from the build information", rec.Code, rec.Body)
		}
		b := decode(t, rec)
		for _, k := range []string{"source", "version", "commit", "build"} {
			if _, ok := b[k].(string); !ok {
				t.Errorf("version without a file: %q is %v, want a string", k, b[k])
			}
		}
		// A test binary's main module has no version: the project's is used.
		if b["version"] != "9.8.7" {
			t.Errorf("version without a file: version %v, want the project version 9.8.7", b["version"])
		}
	})
	for name, path := range map[string]string{"malformed": bad, "unreadable": dir} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.VersionJSONPath = path }))
			b := wantError(t, e.do("GET", "/v1/__version__", ""), 500, 999, "Internal Server Error",
				"A programmatic error occurred, developers have been informed.")
			if b["info"] != "https://github.com/Kinto/kinto/issues/" {
				t.Errorf("info %v, want the error info link", b["info"])
			}
			if n := len(e.entries("internal error")); n != 1 {
				t.Errorf("%d cause log lines, want 1", n)
			}
		})
	}
}

func TestOpenAPI(t *testing.T) {
	basic := &basicFake{fakeAuth: *tokenAuth("basicauth")}
	e := newEnv(t, withAuth(basic, tokenAuth("token")))
	r := request("GET", "/v1/__api__", "")
	r.Host = "kinto.local:8888"
	b := decode(t, e.serve(r))
	if b["openapi"] != "3.0.3" {
		t.Errorf("openapi %v, want 3.0.3", b["openapi"])
	}
	if !reflect.DeepEqual(b["servers"], []any{map[string]any{"url": "http://kinto.local:8888/v1"}}) {
		t.Errorf("servers %v, want [{url: http://kinto.local:8888/v1}]", b["servers"])
	}
	info, _ := b["info"].(map[string]any)
	if info["title"] != "kinto" || info["version"] != "1.23" {
		t.Errorf("info %v", info)
	}
	paths, _ := b["paths"].(map[string]any)
	for _, p := range []string{"/", "/__heartbeat__", "/__lbheartbeat__", "/__version__", "/__api__"} {
		item, _ := paths[p].(map[string]any)
		if item["get"] == nil || item["head"] == nil || item["options"] == nil {
			t.Errorf("paths[%s] = %v, want get, head and options", p, item)
		}
	}
	// Optional endpoints appear only once mounted.
	for _, p := range []string{"/batch", "/__flush__", "/__metrics__"} {
		if paths[p] != nil {
			t.Errorf("paths has %s, which is not mounted", p)
		}
	}
	components, _ := b["components"].(map[string]any)
	sec, _ := components["securitySchemes"].(map[string]any)
	if !reflect.DeepEqual(sec["basicauth"], map[string]any{"type": "http", "scheme": "basic", "description": "HTTP Basic credentials of the basicauth policy."}) {
		t.Errorf("securitySchemes.basicauth %v, want http basic", sec["basicauth"])
	}
	if token, _ := sec["token"].(map[string]any); token["scheme"] != "bearer" {
		t.Errorf("securitySchemes.token %v, want http bearer", sec["token"])
	}
	wantSecurity := []any{map[string]any{"basicauth": []any{}}, map[string]any{"token": []any{}}, map[string]any{}}
	if !reflect.DeepEqual(b["security"], wantSecurity) {
		t.Errorf("security %v, want each scheme or none", b["security"])
	}
	// The utility endpoints do not authenticate.
	heartbeat := paths["/__heartbeat__"].(map[string]any)["get"].(map[string]any)
	if !reflect.DeepEqual(heartbeat["security"], []any{}) {
		t.Errorf("heartbeat security %v, want []", heartbeat["security"])
	}
}
