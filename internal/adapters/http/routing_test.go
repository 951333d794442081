package http_test

import (
	"net/http"
	"net/url"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

func TestVersionPrefix(t *testing.T) {
	tests := []struct {
		name     string
		cfg      func(*httpadapter.Config)
		method   string
		target   string
		status   int
		location string
		errno    int
	}{
		{"unprefixed redirects", nil, "GET", "/buckets/b?_limit=2&a=%20", 307, "http://example.com/v1/buckets/b?_limit=2&a=%20", 0},
		{"root redirects to hello", nil, "GET", "/", 307, "http://example.com/v1/", 0},
		{"encoded path kept", nil, "GET", "/buckets/a%2Fb", 307, "http://example.com/v1/buckets/a%2Fb", 0},
		{"letter v is not a version", nil, "GET", "/version", 307, "http://example.com/v1/version", 0},
		{"configured host and scheme", func(c *httpadapter.Config) { c.HTTPHost = "kinto.example.org"; c.HTTPScheme = "https" },
			"GET", "/buckets", 307, "https://kinto.example.org/v1/buckets", 0},
		{"redirect disabled", func(c *httpadapter.Config) { c.VersionPrefixRedirect = false }, "GET", "/buckets", 404, "", 116},
		{"other version", nil, "GET", "/v2/buckets", 404, "", 116},
		{"other version root", nil, "GET", "/v0", 404, "", 116},
		{"string prefix quirk", nil, "GET", "/v12/buckets", 404, "", 111},
		{"unknown route", nil, "GET", "/v1/nothing/here", 404, "", 111},
		{"trailing slash", nil, "GET", "/v1/__heartbeat__/?x=1", 307, "http://example.com/v1/__heartbeat__?x=1", 0},
		{"many trailing slashes", nil, "GET", "/v1/unknown//", 307, "http://example.com/v1/unknown", 0},
		{"bare prefix", nil, "GET", "/v1?x=1", 307, "http://example.com/v1/?x=1", 0},
		{"trailing slash disabled", func(c *httpadapter.Config) { c.TrailingSlashRedirect = false }, "GET", "/v1/__heartbeat__/", 404, "", 111},
		{"bare prefix disabled", func(c *httpadapter.Config) { c.TrailingSlashRedirect = false }, "GET", "/v1", 404, "", 111},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*setup)
			if tt.cfg != nil {
				opts = append(opts, withConfig(tt.cfg))
			}
			e := newEnv(t, opts...)
			rec := e.do(tt.method, tt.target, "")
			if tt.status == 307 {
				if rec.Code != 307 {
					t.Fatalf("%s %s: status %d, want 307 (body %s)", tt.method, tt.target, rec.Code, rec.Body)
				}
				if loc := rec.Header().Get("Location"); loc != tt.location {
					t.Errorf("Location %q, want %q", loc, tt.location)
				}
				return
			}
			msg := "The resource you are looking for could not be found."
			if tt.errno == 116 {
				msg = "The requested API version is not available on this server."
			}
			wantError(t, rec, tt.status, tt.errno, "Not Found", msg)
		})
	}
}

func TestVersionRedirectOptionsAndControlChars(t *testing.T) {
	e := newEnv(t)
	rec := e.do("OPTIONS", "/buckets", "", "Origin", "http://app.example", "Access-Control-Request-Method", "GET")
	if rec.Code != 200 {
		t.Fatalf("OPTIONS unprefixed: status %d, want 200", rec.Code)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("OPTIONS unprefixed: Allow-Origin %q, want *", got)
	}

	r := request("GET", "/x", "")
	r.URL = &url.URL{Path: "/a\nb"}
	wantError(t, e.serve(r), 404, 116, "Not Found", "The requested API version is not available on this server.")
}

func TestRedirectCacheHeaders(t *testing.T) {
	tests := []struct {
		name       string
		ttl        int
		target     string
		wantCC     string
		wantExpire bool
	}{
		{"no cache headers", -1, "/buckets", "", false},
		{"no-cache", 0, "/buckets", "max-age=0, no-cache, no-store, must-revalidate", true},
		{"max-age", 60, "/buckets", "max-age=60", true},
		{"trailing slash default", 3600, "/v1/buckets/", "max-age=3600", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *httpadapter.Config) {
				c.VersionPrefixRedirectTTL = tt.ttl
				c.TrailingSlashRedirectTTL = tt.ttl
			}))
			rec := e.do("GET", tt.target, "")
			if rec.Code != 307 {
				t.Fatalf("status %d, want 307", rec.Code)
			}
			if cc := rec.Header().Get("Cache-Control"); cc != tt.wantCC {
				t.Errorf("Cache-Control %q, want %q", cc, tt.wantCC)
			}
			if got := rec.Header().Get("Expires") != ""; got != tt.wantExpire {
				t.Errorf("Expires present %v, want %v", got, tt.wantExpire)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	rec := e.do("POST", "/v1/__heartbeat__", "{}")
	wantError(t, rec, 405, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
	if allow := rec.Header().Get("Allow"); allow != "HEAD, GET, OPTIONS" {
		t.Errorf("Allow %q, want %q", allow, "HEAD, GET, OPTIONS")
	}
}

func TestRoute(t *testing.T) {
	e := newEnv(t)
	var got string
	e.srv.Route("bucket-object", "/buckets/{bid}", handlers(
		"get", func(w http.ResponseWriter, r *http.Request) {
			got = httpadapter.PathVar(r, "bid")
			w.WriteHeader(http.StatusNoContent)
		},
		"DELETE", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		"PATCH", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) },
		"OPTIONS", func(w http.ResponseWriter, r *http.Request) { t.Error("OPTIONS handler called") },
	))

	if rec := e.do("GET", "/v1/buckets/blog", ""); rec.Code != 204 || got != "blog" {
		t.Errorf("GET: status %d, bid %q; want 204, blog", rec.Code, got)
	}
	rec := e.do("HEAD", "/v1/buckets/blog", "")
	wantError(t, rec, 405, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
	if allow := rec.Header().Get("Allow"); allow != "GET, PATCH, DELETE, OPTIONS" {
		t.Errorf("Allow %q, want GET, PATCH, DELETE, OPTIONS", allow)
	}
	rec = e.do("OPTIONS", "/v1/buckets/blog", "", "Origin", "http://a.example", "Access-Control-Request-Method", "PATCH")
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Methods") != "GET,PATCH,DELETE,OPTIONS" {
		t.Errorf("preflight: status %d, methods %q", rec.Code, rec.Header().Get("Access-Control-Allow-Methods"))
	}
	// A would-be 404 below a route still redirects.
	if rec := e.do("GET", "/v1/buckets/blog/", ""); rec.Code != 307 {
		t.Errorf("GET with trailing slash: status %d, want 307", rec.Code)
	}
}

func TestRouteWiringBugsPanic(t *testing.T) {
	e := newEnv(t)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("duplicate name", func() { e.srv.Route("hello", "/other", nil) })
	mustPanic("bad pattern", func() { e.srv.Route("bad", "/{unclosed", nil) })
}

func TestNonUTF8(t *testing.T) {
	e := newEnv(t)
	wantError(t, e.do("GET", "/v1/buckets/%ff", ""), 400, 107, "Bad Request", "Invalid URL path.")
	wantError(t, e.do("GET", "/v1/?a=%ff", ""), 400, 107, "Bad Request",
		"A request with an incorrect encoding in the querystring was received. "+
			"Please make sure your requests are encoded in UTF-8: a=%ff")
	wantError(t, e.do("GET", "/v1/?%fe=1", ""), 400, 107, "Bad Request",
		"A request with an incorrect encoding in the querystring was received. "+
			"Please make sure your requests are encoded in UTF-8: %fe=1")
}

func TestPrefixFollowsMajorVersion(t *testing.T) {
	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.HTTPAPIVersion = "2.0" }))
	if e.srv.Prefix() != "/v2" {
		t.Errorf("Prefix() = %q, want /v2", e.srv.Prefix())
	}
	if rec := e.do("GET", "/v2/", ""); rec.Code != 200 {
		t.Errorf("GET /v2/: status %d, want 200", rec.Code)
	}
	wantError(t, e.do("GET", "/v1/", ""), 404, 116, "Not Found", "The requested API version is not available on this server.")
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		name          string
		scheme, host  string
		tls           bool
		want, wantAPI string
	}{
		{"from request", "", "", false, "http://example.com", "http://example.com/v1"},
		{"tls", "", "", true, "https://example.com", "https://example.com/v1"},
		{"configured", "https", "kinto.example.org:8443", false, "https://kinto.example.org:8443", "https://kinto.example.org:8443/v1"},
		{"host only", "", "kinto.example.org", false, "http://kinto.example.org", "http://kinto.example.org/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.HTTPScheme, c.HTTPHost = tt.scheme, tt.host }))
			target := "http://example.com/v1/"
			if tt.tls {
				target = "https://example.com/v1/"
			}
			r := request("GET", target, "")
			if got := httpadapter.BaseURL(e.srv, r); got != tt.want {
				t.Errorf("BaseURL = %q, want %q", got, tt.want)
			}
			if got := httpadapter.APIURL(e.srv, r); got != tt.wantAPI {
				t.Errorf("APIURL = %q, want %q", got, tt.wantAPI)
			}
		})
	}
}
