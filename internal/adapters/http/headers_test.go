package http_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

const exposed = "Alert, Backoff, Retry-After, Content-Length, Content-Type, ETag, " +
	"Last-Modified, Next-Page, Cache-Control, Expires, Pragma, Total-Objects, Total-Records"

func TestAlwaysPresentHeaders(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ method, target string }{
		{"GET", "/v1/"},                  // 200
		{"GET", "/v1/nothing"},           // 404
		{"POST", "/v1/__heartbeat__"},    // 405
		{"GET", "/buckets"},              // redirect
		{"GET", "/v1/buckets/"},          // trailing-slash redirect
		{"GET", "/v2/"},                  // 116
		{"OPTIONS", "/v1/__heartbeat__"}, // preflight error
	}
	for _, c := range cases {
		rec := e.do(c.method, c.target, "")
		h := rec.Header()
		if got := h.Get("Content-Security-Policy"); got != "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; " {
			t.Errorf("%s %s: CSP %q", c.method, c.target, got)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", c.method, c.target, got)
		}
		wantExpose := exposed
		if c.method == "OPTIONS" {
			wantExpose = ""
		}
		if got := h.Get("Access-Control-Expose-Headers"); got != wantExpose {
			t.Errorf("%s %s: Expose-Headers %q, want %q", c.method, c.target, got, wantExpose)
		}
	}
}

func TestCORSOrigins(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		origin  string
		target  string
		status  int
		allow   string
	}{
		{"star", []string{"*"}, "http://any.example", "/v1/", 200, "*"},
		{"no origin header", []string{"*"}, "", "/v1/", 200, ""},
		{"glob match echoes", []string{"https://*.example.com"}, "https://app.example.com", "/v1/", 200, "https://app.example.com"},
		{"glob with class", []string{"http://localhost:[0-9]*"}, "http://localhost:3000", "/v1/", 200, "http://localhost:3000"},
		{"exact", []string{"https://a.org", "https://b.org"}, "https://b.org", "/v1/", 200, "https://b.org"},
		{"refused on known route", []string{"https://*.example.com"}, "https://evil.org", "/v1/", 400, ""},
		{"unknown route wins", []string{"https://a.org"}, "https://evil.org", "/v1/nothing", 404, ""},
		{"no origins configured", nil, "https://a.org", "/v1/", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.CORSOrigins = tt.origins }))
			var hdr []string
			if tt.origin != "" {
				hdr = []string{"Origin", tt.origin}
			}
			rec := e.do("GET", tt.target, "", hdr...)
			switch tt.status {
			case 400:
				b := wantError(t, rec, 400, 107, "Invalid parameters", "Origin in header: "+tt.origin+" not allowed")
				want := []any{map[string]any{"location": "header", "name": "Origin", "description": tt.origin + " not allowed"}}
				if !reflect.DeepEqual(b["details"], want) {
					t.Errorf("details %v, want %v", b["details"], want)
				}
			case 404:
				wantError(t, rec, 404, 111, "Not Found", "The resource you are looking for could not be found.")
			default:
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d", rec.Code, tt.status)
				}
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.allow {
				t.Errorf("Allow-Origin %q, want %q", got, tt.allow)
			}
			if rec.Header().Get("Access-Control-Allow-Credentials") != "" {
				t.Error("Allow-Credentials set")
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	down := &fakeAuth{name: "account", fn: func(string) (string, bool, error) { return "", false, errors.New("down") }}
	e := newEnv(t, withAuth(down))
	rec := e.do("OPTIONS", "/v1/", "",
		"Origin", "http://app.example",
		"Access-Control-Request-Method", "GET",
		"Access-Control-Request-Headers", "Authorization, If-Match,content-type",
		"Authorization", "Basic eDp5")
	if rec.Code != 200 {
		t.Fatalf("preflight: status %d (body %s)", rec.Code, rec.Body)
	}
	h := rec.Header()
	if rec.Body.String() != "null" {
		t.Errorf("body %q, want null", rec.Body)
	}
	checks := map[string]string{
		"Access-Control-Allow-Origin":   "*",
		"Access-Control-Allow-Methods":  "HEAD,GET,OPTIONS",
		"Access-Control-Max-Age":        "3600",
		"Access-Control-Expose-Headers": "",
	}
	for k, want := range checks {
		if got := h.Get(k); got != want {
			t.Errorf("%s %q, want %q", k, got, want)
		}
	}
	allowed := strings.Split(h.Get("Access-Control-Allow-Headers"), ",")
	for _, want := range []string{"Authorization", "If-Match", "content-type"} {
		if !contains(allowed, want) {
			t.Errorf("Allow-Headers %v lacks %s", allowed, want)
		}
	}
	if contains(allowed, "Content-Type") {
		t.Errorf("Allow-Headers %v repeats Content-Type", allowed)
	}
	if down.calls != 0 {
		t.Errorf("preflight authenticated (%d calls)", down.calls)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestPreflightErrors(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		headers []string
		message string
		details int
	}{
		{"no origin", nil, []string{"Access-Control-Request-Method", "GET"}, "Origin in header: this header is mandatory", 1},
		{"no method", nil, []string{"Origin", "http://a"}, "Access-Control-Request-Method in header: this header is mandatory", 1},
		{"neither", nil, nil, "Access-Control-Request-Method in header: this header is mandatory", 2},
		{"method not served", nil, []string{"Origin", "http://a", "Access-Control-Request-Method", "DELETE"},
			"Access-Control-Request-Method in header: Method not allowed", 1},
		{"origin refused", []string{"http://b"}, []string{"Origin", "http://a", "Access-Control-Request-Method", "GET"},
			"Origin in header: http://a not allowed", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *httpadapter.Config) {
				if tt.origins != nil {
					c.CORSOrigins = tt.origins
				}
			}))
			b := wantError(t, e.do("OPTIONS", "/v1/__heartbeat__", "", tt.headers...), 400, 107, "Invalid parameters", tt.message)
			if d, _ := b["details"].([]any); len(d) != tt.details {
				t.Errorf("details %v, want %d entries", b["details"], tt.details)
			}
		})
	}
	// Unknown route: 404 even for a refused origin.
	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.CORSOrigins = []string{"http://b"} }))
	wantError(t, e.do("OPTIONS", "/v1/nothing", "", "Origin", "http://a", "Access-Control-Request-Method", "GET"),
		404, 111, "Not Found", "The resource you are looking for could not be found.")
}

func TestPreflightMaxAge(t *testing.T) {
	for _, tt := range []struct {
		age  int
		want string
	}{{-1, ""}, {0, "0"}, {60, "60"}} {
		e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.CORSMaxAge = tt.age }))
		rec := e.do("OPTIONS", "/v1/", "", "Origin", "http://a", "Access-Control-Request-Method", "GET")
		if got := rec.Header().Get("Access-Control-Max-Age"); got != tt.want {
			t.Errorf("CORSMaxAge %d: Max-Age %q, want %q", tt.age, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.Backoff = 10 }))
	for _, target := range []string{"/v1/", "/v1/nothing", "/buckets"} {
		if got := e.do("GET", target, "").Header().Get("Backoff"); got != "10" {
			t.Errorf("GET %s: Backoff %q, want 10", target, got)
		}
	}
	if got := newEnv(t).do("GET", "/v1/", "").Header().Get("Backoff"); got != "" {
		t.Errorf("Backoff %q without setting", got)
	}

	always := newEnv(t, withConfig(func(c *httpadapter.Config) { c.Backoff = 5; c.BackoffPercentage = 100 }))
	half := newEnv(t, withConfig(func(c *httpadapter.Config) { c.Backoff = 5; c.BackoffPercentage = 50 }))
	with := 0
	for i := 0; i < 200; i++ {
		if always.do("GET", "/v1/__lbheartbeat__", "").Header().Get("Backoff") != "5" {
			t.Fatal("BackoffPercentage 100: a response without Backoff")
		}
		if half.do("GET", "/v1/__lbheartbeat__", "").Header().Get("Backoff") == "5" {
			with++
		}
	}
	// 200 draws at 50%: both outcomes appear unless the random source is broken.
	if with == 0 || with == 200 {
		t.Errorf("BackoffPercentage 50: %d of 200 responses with Backoff", with)
	}
}

func TestEndOfService(t *testing.T) {
	alert := func(t *testing.T, h http.Header) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(h.Get("Alert")), &m); err != nil {
			t.Fatalf("Alert %q: %v", h.Get("Alert"), err)
		}
		return m
	}

	soon := newEnv(t, withConfig(func(c *httpadapter.Config) { c.EOS = "2999-01-01" }))
	rec := soon.do("GET", "/v1/", "")
	if rec.Code != 200 {
		t.Fatalf("before EOS: status %d", rec.Code)
	}
	want := map[string]any{"code": "soft-eol", "message": nil, "url": "https://kinto.readthedocs.io/"}
	if got := alert(t, rec.Header()); !reflect.DeepEqual(got, want) {
		t.Errorf("Alert %v, want %v", got, want)
	}

	past := newEnv(t, withConfig(func(c *httpadapter.Config) {
		c.EOS = "2000-01-01"
		c.EOSMessage = "Moved"
		c.EOSURL = "https://new.example"
	}))
	for _, target := range []string{"/v1/", "/v1/nothing", "/buckets"} {
		rec := past.do("GET", target, "")
		wantError(t, rec, 410, 202, "Gone", "The service you are trying to connect no longer exists at this location.")
		want := map[string]any{"code": "hard-eol", "message": "Moved", "url": "https://new.example"}
		if got := alert(t, rec.Header()); !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s: Alert %v, want %v", target, got, want)
		}
	}

	// The clock decides: move it past the date.
	httpadapter.SetNow(soon.srv, func() time.Time { return time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) })
	wantError(t, soon.do("GET", "/v1/", ""), 410, 202, "Gone", "The service you are trying to connect no longer exists at this location.")

	bad := newEnv(t, withConfig(func(c *httpadapter.Config) { c.EOS = "someday" }))
	if rec := bad.do("GET", "/v1/", ""); rec.Code != 200 || rec.Header().Get("Alert") != "" {
		t.Errorf("unreadable EOS: status %d, Alert %q; want 200 without Alert", rec.Code, rec.Header().Get("Alert"))
	}
	if len(bad.entries("ignoring unreadable EOS setting")) != 1 {
		t.Error("unreadable EOS not logged")
	}
}

func TestParseEOS(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-12-31", time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{"2026-12-31T12:00:00+02:00", time.Date(2026, 12, 31, 10, 0, 0, 0, time.UTC), true},
		{"31/12/2026", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := httpadapter.ParseEOS(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseEOS(%q): err %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && !got.Equal(tt.want) {
			t.Errorf("ParseEOS(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestReadOnly(t *testing.T) {
	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.ReadOnly = true }))
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		for _, target := range []string{"/v1/__heartbeat__", "/v1/batch", "/v1/nothing"} {
			rec := e.do(m, target, "{}")
			wantError(t, rec, 405, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
			if allow := rec.Header().Get("Allow"); allow != "" {
				t.Errorf("%s %s: Allow %q, want none", m, target, allow)
			}
		}
	}
	for _, m := range []string{"GET", "HEAD"} {
		if rec := e.do(m, "/v1/__lbheartbeat__", ""); rec.Code != 200 {
			t.Errorf("%s: status %d, want 200", m, rec.Code)
		}
	}
	if rec := e.do("OPTIONS", "/v1/", "", "Origin", "http://a", "Access-Control-Request-Method", "GET"); rec.Code != 200 {
		t.Errorf("OPTIONS: status %d, want 200", rec.Code)
	}
}
