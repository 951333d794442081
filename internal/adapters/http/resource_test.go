package http_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

const (
	aliceAuth = "Basic YWxpY2U6c2VjcmV0" // alice:secret
	bobAuth   = "Basic Ym9iOnNlY3JldA==" // bob:secret
)

// notes is a per-user resource with a schema, readonly and unique fields.
func notes() *app.Resource {
	return &app.Resource{
		Name: "note", Plural: "notes", PerUser: true, IDs: app.RelaxedUUID4{},
		Schema:         app.MustCompileSchema(`{"type":"object","properties":{"title":{"type":"string"},"slug":{"type":"string"}}}`),
		ReadonlyFields: []string{"slug"},
		UniqueFields:   []string{"slug"},
	}
}

func newResourceEnv(t testing.TB, opts ...func(*setup)) *env {
	t.Helper()
	opts = append([]func(*setup){withAuth(auth.NewBasic("secret"))}, opts...)
	e := newEnv(t, opts...)
	engine := app.NewEngine(memory.NewStorage(domain.SystemClock{}), nil)
	e.srv.MountResource(engine, notes())
	e.srv.MountBatch()
	return e
}

func (e *env) json(t *testing.T, method, target, body string, headers ...string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := e.do(method, target, body, append([]string{"Content-Type", "application/json"}, headers...)...)
	if rec.Body.Len() == 0 || rec.Code == http.StatusNotModified {
		return rec, nil
	}
	return rec, decode(t, rec)
}

func TestResourceCRUD(t *testing.T) {
	e := newResourceEnv(t)
	rec, body := e.json(t, "POST", "/v1/notes", `{"data":{"title":"one","slug":"a"}}`, "Authorization", aliceAuth)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}
	data := body["data"].(map[string]any)
	id := data["id"].(string)
	etag := rec.Header().Get("ETag")
	if etag != fmt.Sprintf(`"%.0f"`, data["last_modified"]) || rec.Header().Get("Last-Modified") == "" {
		t.Fatalf("POST: ETag %q for last_modified %v", etag, data["last_modified"])
	}
	if _, ok := body["permissions"].(map[string]any); !ok {
		t.Fatalf("POST: permissions %v, want an object", body["permissions"])
	}
	rec, body = e.json(t, "GET", "/v1/notes/"+id, "", "Authorization", aliceAuth)
	if rec.Code != 200 || body["data"].(map[string]any)["title"] != "one" || rec.Header().Get("Cache-Control") != "no-cache, no-store" {
		t.Fatalf("GET: %d %v", rec.Code, rec.Body)
	}
	rec, _ = e.json(t, "GET", "/v1/notes/"+id, "", "Authorization", aliceAuth, "If-None-Match", etag)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("GET If-None-Match: %d, want 304 without body", rec.Code)
	}
	rec, body = e.json(t, "PATCH", "/v1/notes/"+id, `{"data":{"title":"two"}}`, "Authorization", aliceAuth, "If-Match", etag)
	if rec.Code != 200 || body["data"].(map[string]any)["title"] != "two" {
		t.Fatalf("PATCH: %d %s", rec.Code, rec.Body)
	}
	rec, _ = e.json(t, "PATCH", "/v1/notes/"+id, `{"data":{"title":"three"}}`, "Authorization", aliceAuth, "If-Match", etag)
	b := wantError(t, rec, 412, 114, "Precondition Failed", "Resource was modified meanwhile")
	if ex := b["details"].(map[string]any)["existing"].(map[string]any); ex["title"] != "two" {
		t.Fatalf("412 details.existing %v, want the current object", ex)
	}
	if rec.Header().Get("ETag") == etag {
		t.Fatalf("412 ETag %s, want the current timestamp", etag)
	}
	rec, body = e.json(t, "PUT", "/v1/notes/"+id, `{"data":{"title":"four"}}`, "Authorization", aliceAuth)
	if rec.Code != 200 || body["data"].(map[string]any)["slug"] != "a" {
		t.Fatalf("PUT replace: %d %s, want slug kept", rec.Code, rec.Body)
	}
	rec, body = e.json(t, "DELETE", "/v1/notes/"+id, "", "Authorization", aliceAuth)
	if rec.Code != 200 || body["data"].(map[string]any)["deleted"] != true {
		t.Fatalf("DELETE: %d %s", rec.Code, rec.Body)
	}
	if _, has := body["permissions"]; has {
		t.Fatalf("DELETE: body has permissions: %s", rec.Body)
	}
	rec, _ = e.json(t, "GET", "/v1/notes/"+id, "", "Authorization", aliceAuth)
	b = wantError(t, rec, 404, 110, "Not Found", "")
	if d := b["details"].(map[string]any); d["id"] != id || d["resource_name"] != "note" {
		t.Fatalf("404 details %v", d)
	}
	rec, _ = e.json(t, "PUT", "/v1/notes/new-one", `{"data":{"title":"x"}}`, "Authorization", aliceAuth)
	if rec.Code != http.StatusCreated {
		t.Fatalf("PUT create: %d", rec.Code)
	}
}

func TestResourceErrors(t *testing.T) {
	e := newResourceEnv(t)
	a := []string{"Authorization", aliceAuth}
	cases := []struct {
		name, method, target, body string
		headers                    []string
		status, errno              int
		message                    string
	}{
		{"anonymous", "GET", "/v1/notes", "", nil, 401, 104, "Please authenticate yourself to use this endpoint."},
		{"malformed JSON", "POST", "/v1/notes", `{"data":`, a, 400, 107, ""},
		{"body not an object", "POST", "/v1/notes", `42`, a, 400, 107, ""},
		{"data not an object", "POST", "/v1/notes", `{"data":[1]}`, a, 400, 107, ""},
		{"unknown body key", "POST", "/v1/notes", `{"foo":1}`, a, 400, 107, ""},
		{"wrong field type", "POST", "/v1/notes", `{"data":{"title":42}}`, a, 400, 107, "title in body: 42 is not of type 'string'"},
		{"bad id in URL", "PUT", "/v1/notes/-bad", `{}`, a, 400, 107, "path: Invalid object id"},
		{"id mismatch", "PUT", "/v1/notes/abc", `{"data":{"id":"xyz"}}`, a, 400, 107, "Object id does not match existing object"},
		{"unknown filter operator is a field", "GET", "/v1/notes?_limit=-1", "", a, 400, 107, ""},
		{"bad _token", "GET", "/v1/notes?_token=garbage", "", a, 400, 107, "querystring: _token has invalid content"},
		{"bad _since", "GET", "/v1/notes?_since=abc", "", a, 400, 107, ""},
		{"bad If-Match", "GET", "/v1/notes", "", append([]string{"If-Match", "123"}, a...), 400, 107, "If-Match in header: The value should be integer between double quotes."},
		{"If-None-Match star on list", "DELETE", "/v1/notes", "", append([]string{"If-None-Match", "*"}, a...), 412, 114, "Resource was modified meanwhile"},
		{"POST If-Match without id", "POST", "/v1/notes", `{"data":{}}`, append([]string{"If-Match", `"1"`}, a...), 412, 114, "Resource was modified meanwhile"},
		{"empty PATCH", "PATCH", "/v1/notes/abc", `{}`, a, 400, 107, "Provide at least one of data or permissions"},
		{"PATCH missing", "PATCH", "/v1/notes/abc", `{"data":{}}`, a, 404, 110, ""},
		{"DELETE missing", "DELETE", "/v1/notes/abc", "", a, 404, 110, ""},
		{"wrong content type", "POST", "/v1/notes", `{}`, append([]string{"Content-Type", "text/plain"}, a...), 415, 107, "Content-Type header should be one of ['application/json']"},
		{"method not allowed", "POST", "/v1/notes/abc", `{}`, a, 405, 115, "Method not allowed on this endpoint."},
		{"bad JSON-Patch op", "PATCH", "/v1/notes/abc", `[{"op":"jump","path":"/data/x"}]`, append([]string{"Content-Type", "application/json-patch+json"}, a...), 400, 107, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := e.do(c.method, c.target, c.body, append([]string{"Content-Type", "application/json"}, c.headers...)...)
			if rec.Code != c.status {
				t.Fatalf("%s %s: status %d, want %d (%s)", c.method, c.target, rec.Code, c.status, rec.Body)
			}
			b := decode(t, rec)
			if b["errno"] != float64(c.errno) || b["code"] != float64(c.status) || b["error"] == nil {
				t.Fatalf("%s %s: body %v, want errno %d", c.method, c.target, b, c.errno)
			}
			if c.message != "" && b["message"] != c.message {
				t.Fatalf("%s %s: message %q, want %q", c.method, c.target, b["message"], c.message)
			}
		})
	}
}

func TestResourceUniqueConflict(t *testing.T) {
	e := newResourceEnv(t)
	e.json(t, "POST", "/v1/notes", `{"data":{"slug":"s"}}`, "Authorization", aliceAuth)
	rec, _ := e.json(t, "POST", "/v1/notes", `{"data":{"slug":"s"}}`, "Authorization", aliceAuth)
	if rec.Code != 409 {
		t.Fatalf("duplicate unique field: %d, want 409", rec.Code)
	}
	b := decode(t, rec)
	if b["errno"] != float64(122) || b["message"] == nil {
		t.Fatalf("409 body %v", b)
	}
	if _, ok := b["details"].(map[string]any)["existing"]; !ok || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("409: details %v Retry-After %q", b["details"], rec.Header().Get("Retry-After"))
	}
	// Another user may use the same slug.
	if rec, _ := e.json(t, "POST", "/v1/notes", `{"data":{"slug":"s"}}`, "Authorization", bobAuth); rec.Code != 201 {
		t.Fatalf("POST same slug as bob: %d", rec.Code)
	}
}

func TestResourceListPagingAndHead(t *testing.T) {
	e := newResourceEnv(t)
	for i := range 25 {
		e.json(t, "POST", "/v1/notes", fmt.Sprintf(`{"data":{"title":"t%02d","n":%d}}`, i, i), "Authorization", aliceAuth)
	}
	seen := map[string]bool{}
	next := "http://example.com/v1/notes?_limit=7&_sort=title&min_n=0"
	pages := 0
	var listETag string
	for next != "" {
		u, err := url.Parse(next)
		if err != nil {
			t.Fatalf("Next-Page %q: %v", next, err)
		}
		rec, body := e.json(t, "GET", u.RequestURI(), "", "Authorization", aliceAuth)
		if rec.Code != 200 {
			t.Fatalf("GET %s: %d %s", next, rec.Code, rec.Body)
		}
		if listETag == "" {
			listETag = rec.Header().Get("ETag")
		} else if rec.Header().Get("ETag") != listETag {
			t.Fatalf("page ETag changed: %s vs %s", rec.Header().Get("ETag"), listETag)
		}
		for _, d := range body["data"].([]any) {
			title := d.(map[string]any)["title"].(string)
			if seen[title] {
				t.Fatalf("%s seen twice", title)
			}
			seen[title] = true
		}
		next = rec.Header().Get("Next-Page")
		pages++
	}
	if len(seen) != 25 || pages != 4 {
		t.Fatalf("paged %d objects in %d pages, want 25 in 4", len(seen), pages)
	}
	rec := e.do("HEAD", "/v1/notes?min_n=20", "", "Authorization", aliceAuth)
	if rec.Code != 200 || rec.Header().Get("Total-Objects") != "5" || rec.Header().Get("Total-Records") != "5" || rec.Body.Len() != 0 {
		t.Fatalf("HEAD: %d totals %q/%q body %q", rec.Code, rec.Header().Get("Total-Objects"), rec.Header().Get("Total-Records"), rec.Body)
	}
	_, body := e.json(t, "GET", "/v1/notes?_fields=title&_limit=1", "", "Authorization", aliceAuth)
	first := body["data"].([]any)[0].(map[string]any)
	if _, has := first["n"]; has || first["id"] == nil || first["last_modified"] == nil {
		t.Fatalf("_fields: %v", first)
	}
	// Deleting with a limit pages through Next-Page until nothing is left.
	deleted := 0
	target := "/v1/notes?_limit=10"
	for target != "" {
		rec, body := e.json(t, "DELETE", target, "", "Authorization", aliceAuth)
		if rec.Code != 200 {
			t.Fatalf("DELETE list: %d %s", rec.Code, rec.Body)
		}
		deleted += len(body["data"].([]any))
		target = ""
		if np := rec.Header().Get("Next-Page"); np != "" {
			u, _ := url.Parse(np)
			target = u.RequestURI()
		}
	}
	if deleted != 25 {
		t.Fatalf("DELETE list removed %d, want 25", deleted)
	}
	_, body = e.json(t, "GET", "/v1/notes?_since=0", "", "Authorization", aliceAuth)
	if n := len(body["data"].([]any)); n != 25 {
		t.Fatalf("_since=0 after deleting: %d entries, want 25 tombstones", n)
	}
}

func TestResourcePatchFlavoursOverHTTP(t *testing.T) {
	e := newResourceEnv(t)
	e.json(t, "PUT", "/v1/notes/n1", `{"data":{"title":"t","meta":{"a":1,"b":2}}}`, "Authorization", aliceAuth)
	rec, body := e.json(t, "PATCH", "/v1/notes/n1", `{"data":{"meta":{"a":null}}}`, "Authorization", aliceAuth, "Content-Type", "application/merge-patch+json")
	if rec.Code != 200 {
		t.Fatalf("merge-patch: %d %s", rec.Code, rec.Body)
	}
	if meta := body["data"].(map[string]any)["meta"].(map[string]any); len(meta) != 1 || meta["b"] != float64(2) {
		t.Fatalf("merge-patch: meta %v, want only b", meta)
	}
	rec, body = e.json(t, "PATCH", "/v1/notes/n1", `[{"op":"add","path":"/data/tags","value":["x"]},{"op":"add","path":"/permissions/read/system.Everyone"}]`, "Authorization", aliceAuth, "Content-Type", "application/json-patch+json")
	if rec.Code != 200 || body["data"].(map[string]any)["tags"] == nil {
		t.Fatalf("json-patch: %d %s", rec.Code, rec.Body)
	}
	rec, body = e.json(t, "PATCH", "/v1/notes/n1", `{"data":{"title":"t","extra":1}}`, "Authorization", aliceAuth, "Response-Behavior", "diff")
	if d := body["data"].(map[string]any); rec.Code != 200 || len(d) != 0 {
		t.Fatalf("Response-Behavior diff: %d %v, want nothing different from what was sent", rec.Code, d)
	}
	rec, body = e.json(t, "PATCH", "/v1/notes/n1", `{"data":{"title":"u"}}`, "Authorization", aliceAuth, "Response-Behavior", "light")
	if d := body["data"].(map[string]any); rec.Code != 200 || len(d) != 1 || d["title"] != "u" {
		t.Fatalf("Response-Behavior light: %d %v", rec.Code, d)
	}
}

func TestBatch(t *testing.T) {
	e := newResourceEnv(t, withConfig(func(c *httpadapter.Config) { c.BatchMaxRequests = 3 }))
	rec, body := e.json(t, "POST", "/v1/batch", `{"defaults":{"method":"PUT","headers":{"Authorization":"`+aliceAuth+`"}},
	 "requests":[{"path":"/notes/a","body":{"data":{"title":"A"}}},
	             {"path":"/v1/notes/b","body":{"data":{"title":"B"}},"headers":{"If-None-Match":"*"}},
	             {"method":"GET","path":"/notes/missing"}]}`)
	if rec.Code != 200 {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	resp := body["responses"].([]any)
	if len(resp) != 3 {
		t.Fatalf("batch: %d responses, want 3", len(resp))
	}
	statuses := []float64{201, 201, 404}
	paths := []string{"/v1/notes/a", "/v1/notes/b", "/v1/notes/missing"}
	for i, r := range resp {
		m := r.(map[string]any)
		if m["status"] != statuses[i] || m["path"] != paths[i] {
			t.Fatalf("response %d: status %v path %v, want %v %s", i, m["status"], m["path"], statuses[i], paths[i])
		}
		if _, ok := m["headers"].(map[string]any)["ETag"]; i < 2 && !ok {
			t.Fatalf("response %d: headers %v lack ETag", i, m["headers"])
		}
	}
	// Each subrequest authenticates on its own: an anonymous batch gets 401s.
	_, body = e.json(t, "POST", "/v1/batch", `{"requests":[{"path":"/notes"}]}`)
	if st := body["responses"].([]any)[0].(map[string]any)["status"]; st != float64(401) {
		t.Fatalf("anonymous subrequest: status %v, want 401", st)
	}
	errCases := []struct{ name, body, message string }{
		{"too many", `{"requests":[{"path":"/a"},{"path":"/b"},{"path":"/c"},{"path":"/d"}]}`, "Number of requests is limited to 3"},
		{"recursive", `{"requests":[{"path":"/batch"}]}`, "requests in body: Recursive call on /batch endpoint is forbidden."},
		{"no requests", `{}`, "requests in body: Required"},
		{"bad method", `{"requests":[{"path":"/a","method":"FOO"}]}`, ""},
		{"bad path", `{"requests":[{"path":"a"}]}`, ""},
		{"unknown key", `{"requests":[],"foo":1}`, ""},
		{"body not object", `{"requests":[{"path":"/a","body":[1]}]}`, ""},
	}
	for _, c := range errCases {
		rec, body := e.json(t, "POST", "/v1/batch", c.body)
		if rec.Code != 400 || body["errno"] != float64(107) || body["error"] != "Invalid parameters" {
			t.Fatalf("batch %s: %d %v", c.name, rec.Code, body)
		}
		if c.message != "" && body["message"] != c.message {
			t.Fatalf("batch %s: message %q, want %q", c.name, body["message"], c.message)
		}
	}
	// An unknown path inside a batch is a 404 subresponse, not a failure.
	_, body = e.json(t, "POST", "/v1/batch", `{"requests":[{"path":"/nowhere"}]}`)
	if st := body["responses"].([]any)[0].(map[string]any)["status"]; st != float64(404) {
		t.Fatalf("unknown path subrequest: %v, want 404", st)
	}
	if !strings.Contains(rec.Header().Get("Content-Type"), "json") {
		t.Fatalf("batch content type %q", rec.Header().Get("Content-Type"))
	}
}

func TestCacheExpiresForAnonymousReaders(t *testing.T) {
	e := newEnv(t, withAuth(auth.NewBasic("secret")))
	res := &app.Resource{Name: "page", Plural: "pages", IDs: app.RelaxedUUID4{},
		CacheExpires: func(context.Context, *app.Request) (int, bool) { return 60, true }}
	e.srv.MountResource(app.NewEngine(memory.NewStorage(domain.SystemClock{}), nil), res)
	e.do("PUT", "/v1/pages/p1", `{"data":{}}`, "Content-Type", "application/json")
	for _, target := range []string{"/v1/pages", "/v1/pages/p1"} {
		rec := e.do("GET", target, "")
		if cc := rec.Header().Get("Cache-Control"); rec.Code != 200 || cc != "max-age=60" || rec.Header().Get("Expires") == "" {
			t.Fatalf("anonymous GET %s: %d Cache-Control %q, want max-age=60 with Expires", target, rec.Code, cc)
		}
		rec = e.do("GET", target, "", "Authorization", aliceAuth)
		if cc := rec.Header().Get("Cache-Control"); cc != "no-cache, no-store" {
			t.Fatalf("authenticated GET %s: Cache-Control %q, want no-cache, no-store", target, cc)
		}
	}
}

// TestBatchIsNotOneTransaction documents the chosen batch semantics
// (PROTOCOL-core §12.2): subrequests run in order, a failing one (409 here)
// does not stop the others, and earlier writes are kept.
func TestBatchIsNotOneTransaction(t *testing.T) {
	e := newResourceEnv(t)
	_, body := e.json(t, "POST", "/v1/batch", `{"defaults":{"method":"POST","path":"/notes","headers":{"Authorization":"`+aliceAuth+`"}},
	 "requests":[{"body":{"data":{"slug":"s1"}}},{"body":{"data":{"slug":"s1"}}},{"body":{"data":{"slug":"s2"}}}]}`)
	var statuses []float64
	for _, r := range body["responses"].([]any) {
		statuses = append(statuses, r.(map[string]any)["status"].(float64))
	}
	if fmt.Sprint(statuses) != "[201 409 201]" {
		t.Fatalf("batch statuses %v, want [201 409 201]", statuses)
	}
	rec := e.do("HEAD", "/v1/notes", "", "Authorization", aliceAuth)
	if n := rec.Header().Get("Total-Records"); n != "2" {
		t.Fatalf("notes after the batch: %s, want 2 (the writes around the conflict are kept)", n)
	}
}
