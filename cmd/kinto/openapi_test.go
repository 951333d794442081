package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/apicheck"
	"github.com/cliquet-go/cliquet/internal/config"
)

// update rewrites the committed OpenAPI copy instead of comparing with it:
// go test ./cmd/kinto -run TestOpenAPICopy -update (or make api).
var update = flag.Bool("update", false, "rewrite api/kinto.openapi.json from the served document")

// openAPICopy is the committed copy of the document served by Kinto.
const openAPICopy = "../../api/kinto.openapi.json"

// openAPISettings are the default settings with every optional endpoint
// that needs no external files on: the accounts, history and flush plugins
// (the default bucket stays), both authentication policies and
// /permissions, so that the copy documents all of them.
func openAPISettings(t *testing.T) (*settings, *config.Source) {
	return testSettings(t, map[string]string{
		"includes":                  "kinto.plugins.default_bucket kinto.plugins.accounts kinto.plugins.history kinto.plugins.flush",
		"multiauth.policies":        "account basicauth",
		"account_create_principals": "system.Everyone",
		"bucket_create_principals":  "system.Authenticated",
	})
}

// servedOpenAPI answers GET /v1/__api__ on h with host, indented as the
// committed copy is.
func servedOpenAPI(t *testing.T, h http.Handler, host string) []byte {
	t.Helper()
	req := httptest.NewRequest("GET", "http://"+host+"/v1/__api__", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /v1/__api__: %d %s", rec.Code, rec.Body)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, rec.Body.Bytes(), "", "  "); err != nil {
		t.Fatalf("__api__ is not JSON: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestOpenAPICopy(t *testing.T) {
	s, src := openAPISettings(t)
	h, _ := newHandler(t, s, src)
	served := servedOpenAPI(t, h, "localhost:8888")
	if _, err := apicheck.Load(context.Background(), served); err != nil {
		t.Fatalf("served document: %v", err)
	}
	if *update {
		if err := os.WriteFile(openAPICopy, served, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, err := os.ReadFile(openAPICopy)
	if err != nil {
		t.Fatalf("%v; write it with: go test ./cmd/kinto -run TestOpenAPICopy -update (or make api)", err)
	}
	if !bytes.Equal(committed, served) {
		t.Fatalf("%s is stale: the served document differs (first difference near byte %d); regenerate it with: go test ./cmd/kinto -run TestOpenAPICopy -update (or make api)",
			filepath.Base(openAPICopy), firstDifference(committed, served))
	}
	// The same mounts always give the same bytes.
	again, _ := newHandler(t, s, src)
	if !bytes.Equal(servedOpenAPI(t, again, "localhost:8888"), served) {
		t.Error("two servers built alike serve different documents")
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(served, &doc); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/buckets":                                       {"get", "head", "post", "delete", "options"},
		"/buckets/{bid}":                                 {"get", "head", "put", "patch", "delete", "options"},
		"/buckets/{bid}/collections/{cid}":               {"get", "put", "patch", "delete"},
		"/buckets/{bid}/groups/{gid}":                    {"get", "put", "patch", "delete"},
		"/buckets/{bid}/collections/{cid}/records":       {"get", "head", "post", "delete"},
		"/buckets/{bid}/collections/{cid}/records/{rid}": {"get", "put", "patch", "delete"},
		"/buckets/{bid}/collections/{cid}/changes":       {"get"},
		"/buckets/{bid}/history":                         {"get", "head", "delete"},
		"/accounts/{id}":                                 {"get", "put", "patch", "delete"},
		"/permissions":                                   {"get", "head"},
		"/batch":                                         {"post"},
		"/__flush__":                                     {"post"},
		"/":                                              {"get", "head"},
	} {
		for _, m := range methods {
			if doc.Paths[path][m] == nil {
				t.Errorf("paths[%s] has no %s", path, m)
			}
		}
	}
	if doc.Paths["/buckets/{bid}/history/{hid}"] != nil {
		t.Error("history objects are documented though no method serves them")
	}
}

// firstDifference is the offset of the first differing byte of a and b.
func firstDifference(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// TestResponsesMatchOpenAPI drives a realistic session through the
// service and validates every request and answer against the document it
// serves, with kin-openapi: writes, reads, filtered and paged lists, the
// three PATCH flavours, batch, and the usual errors (400, 401, 403, 404,
// 406, 412, 415).
func TestResponsesMatchOpenAPI(t *testing.T) {
	s, src := openAPISettings(t)
	h, _ := newHandler(t, s, src)
	checker, err := apicheck.New(context.Background(), servedOpenAPI(t, h, "kinto.test"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	k := &kintoServer{t: t, ids: map[string]string{}}
	k.h = checker.Handler(h, func(r *http.Request) bool { return r.Header.Get("X-Invalid-On-Purpose") == "" },
		func(x apicheck.Exchange, err error) {
			checked++
			if err != nil {
				t.Errorf("%v\nanswer: %d %s", err, x.Status, x.Body)
			}
		})
	invalid := []string{"X-Invalid-On-Purpose", "1"}
	records := "/buckets/b/collections/c/records"

	k.must(200, anonymous, "GET", "/", nil)
	k.must(200, owner, "GET", "/", nil)
	k.must(200, anonymous, "GET", "/__heartbeat__", nil)
	k.must(200, anonymous, "GET", "/__lbheartbeat__", nil)
	k.must(200, anonymous, "GET", "/__version__", nil)
	k.must(200, anonymous, "GET", "/__api__", nil)

	k.must(201, owner, "PUT", "/buckets/b", nil)
	k.must(200, owner, "PUT", "/buckets/b", map[string]any{"data": map[string]any{"title": "B"}, "permissions": map[string]any{"read": []string{"system.Authenticated"}}})
	k.must(201, owner, "POST", "/buckets/b/collections", map[string]any{"data": map[string]any{"id": "c"}})
	k.must(201, owner, "PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{k.userID(member)}}})
	var etag string
	for i := 0; i < 5; i++ {
		r := k.must(201, owner, "POST", records, map[string]any{"data": map[string]any{"n": i, "tags": []string{"t" + string(rune('a'+i))}}})
		etag = r.header.Get("ETag")
	}
	k.must(200, owner, "GET", records+"?_limit=2&_sort=-n", nil)
	page := k.must(200, owner, "GET", records+"?_limit=2&_sort=n&min_n=1&has_tags=true", nil)
	if next := page.header.Get("Next-Page"); next != "" {
		k.must(200, owner, "GET", strings.TrimPrefix(next, "http://kinto.test/v1"), nil)
	} else {
		t.Error("no Next-Page on a partial page")
	}
	k.must(200, owner, "GET", records+"?_fields=n&in_n=1,2&not_n=2&_since=0", nil)
	k.must(200, owner, "HEAD", records+"?gt_n=0", nil)
	k.must(304, owner, "GET", records, nil, "If-None-Match", etag)

	rec := k.must(201, owner, "PUT", records+"/r1", map[string]any{"data": map[string]any{"title": "one"}})
	k.must(200, owner, "GET", records+"/r1?_fields=title", nil)
	k.must(200, owner, "HEAD", records+"/r1", nil)
	k.must(200, owner, "PATCH", records+"/r1", map[string]any{"data": map[string]any{"done": true}}, "Response-Behavior", "diff")
	k.must(200, owner, "PATCH", records+"/r1", `{"data":{"done":null}}`, "Content-Type", "application/merge-patch+json")
	k.must(200, owner, "PATCH", records+"/r1", `[{"op":"add","path":"/data/x","value":1}]`, "Content-Type", "application/json-patch+json")
	k.must(412, owner, "PUT", records+"/r1", map[string]any{"data": map[string]any{}}, "If-Match", rec.header.Get("ETag"))
	k.must(200, owner, "DELETE", records+"/r1", nil)
	k.must(200, owner, "GET", records+"?_since=0&deleted=true", nil)
	k.must(200, owner, "DELETE", records+"?lt_n=2", nil)
	k.must(200, owner, "GET", "/buckets/b/history?_limit=3", nil)
	k.must(200, owner, "GET", "/permissions", nil)

	k.must(200, owner, "POST", "/batch", map[string]any{
		"defaults": map[string]any{"method": "POST", "path": records},
		"requests": []any{map[string]any{"body": map[string]any{"data": map[string]any{"n": 9}}}, map[string]any{"method": "GET", "path": "/buckets/nope"}},
	})
	k.must(201, anonymous, "POST", "/accounts", map[string]any{"data": map[string]any{"id": "dana", "password": "secret"}})
	k.must(200, user{name: "dana", password: "secret"}, "GET", "/accounts/dana", nil)

	// Errors, in the protocol's format.
	k.must(400, owner, "GET", records+"?_limit=nope", nil, invalid...)
	k.must(400, owner, "PUT", "/buckets/b", `{"data": 3}`, invalid...)
	k.must(400, owner, "GET", records+"/r2", nil, append([]string{"If-None-Match", "not-an-etag"}, invalid...)...)
	k.must(401, anonymous, "POST", "/buckets", map[string]any{"data": map[string]any{"id": "x"}})
	k.must(403, stranger, "PUT", "/buckets/b/collections/c", nil)
	k.must(404, owner, "GET", "/buckets/b/collections/nope", nil)
	k.must(404, owner, "GET", "/nowhere", nil, invalid...)
	k.must(405, owner, "PUT", records, nil, invalid...)
	k.must(406, owner, "GET", "/buckets/b", nil, "Accept", "text/html")
	k.must(415, owner, "PUT", "/buckets/b", "{}", append([]string{"Content-Type", "text/plain"}, invalid...)...)
	k.must(200, anonymous, "OPTIONS", "/buckets", nil, "Origin", "http://example.com", "Access-Control-Request-Method", "GET")

	if checked < 40 {
		t.Errorf("%d exchanges checked, want every one of the session", checked)
	}
}
