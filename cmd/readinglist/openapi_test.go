package main

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"testing"

	"github.com/cliquet-go/cliquet/internal/apicheck"
)

// update rewrites the committed OpenAPI copy instead of comparing with it:
// go test ./cmd/readinglist -run TestOpenAPICopy -update (or make api).
var update = flag.Bool("update", false, "rewrite api/readinglist.openapi.json from the served document")

// openAPICopy is the committed copy of the document served by readinglist
// with the default settings.
const openAPICopy = "../../api/readinglist.openapi.json"

// servedOpenAPI answers GET /v1/__api__ on h with host, indented as the
// committed copy is.
func servedOpenAPI(t *testing.T, h http.Handler, host string) []byte {
	t.Helper()
	served, err := apicheck.Served(h, host)
	if err != nil {
		t.Fatal(err)
	}
	return served
}

func TestOpenAPICopy(t *testing.T) {
	served := servedOpenAPI(t, newService(t, nil).h, "localhost:8888")
	if err := apicheck.CompareCopy(context.Background(), openAPICopy, served, *update, "go test ./cmd/readinglist -run TestOpenAPICopy -update (or make api)"); err != nil {
		t.Fatal(err)
	}
	if *update {
		return
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(served, &doc); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/articles":       {"get", "head", "post", "delete"},
		"/articles/{id}":  {"get", "head", "put", "patch", "delete"},
		"/articles/stats": {"get"},
		"/archive":        {"get", "head"},
		"/archive/{id}":   {"get", "head"},
		"/batch":          {"post"},
	} {
		for _, m := range methods {
			if doc.Paths[path][m] == nil {
				t.Errorf("paths[%s] has no %s", path, m)
			}
		}
	}
	if doc.Paths["/archive"]["post"] != nil {
		t.Error("the read-only archive documents POST")
	}
	// The article's JSON schema gives the record schema its fields.
	props, _ := doc.Components.Schemas["Article"]["properties"].(map[string]any)
	for _, field := range []string{"id", "last_modified", "url", "title", "unread", "added_on"} {
		if props[field] == nil {
			t.Errorf("Article schema lacks %s: %v", field, props)
		}
	}
}

// TestResponsesMatchOpenAPI validates every request and answer of a
// session against the served document with kin-openapi.
func TestResponsesMatchOpenAPI(t *testing.T) {
	svc := newService(t, nil)
	checker, err := apicheck.New(context.Background(), servedOpenAPI(t, svc.h, "example.com"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	svc.h = checker.Handler(svc.h, func(r *http.Request) bool { return r.Header.Get("X-Invalid-On-Purpose") == "" },
		func(x apicheck.Exchange, err error) {
			checked++
			if err != nil {
				t.Errorf("%v\nanswer: %d %s", err, x.Status, x.Body)
			}
		})
	want := func(code int, res response) {
		t.Helper()
		if res.code != code {
			t.Fatalf("status %d %v, want %d", res.code, res.body, code)
		}
	}
	a := svc.create(t, "alice", article(1))
	svc.create(t, "alice", article(2))
	id := a["id"].(string)
	want(200, svc.do(t, "GET", "/v1/articles?_limit=1&unread=true", "alice", nil))
	want(200, svc.do(t, "GET", "/v1/articles/"+id+"?_fields=title", "alice", nil))
	want(200, svc.do(t, "PATCH", "/v1/articles/"+id, "alice", map[string]any{"data": map[string]any{"archived": true}}))
	want(200, svc.do(t, "GET", "/v1/articles/stats", "alice", nil))
	want(200, svc.do(t, "GET", "/v1/archive", "alice", nil))
	want(200, svc.do(t, "DELETE", "/v1/articles/"+id, "alice", nil))
	want(401, svc.do(t, "GET", "/v1/articles", "", nil))
	want(400, svc.do(t, "POST", "/v1/articles", "alice", map[string]any{"data": map[string]any{"title": "no url"}}))
	want(400, svc.do(t, "GET", "/v1/articles/"+id+"x", "alice", nil))
	want(404, svc.do(t, "GET", "/v1/articles/6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5", "alice", nil))
	want(405, svc.do(t, "POST", "/v1/archive", "alice", map[string]any{}, "X-Invalid-On-Purpose", "1"))
	if checked < 12 {
		t.Errorf("%d exchanges checked, want every one", checked)
	}
}
