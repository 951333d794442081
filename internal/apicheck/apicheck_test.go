package apicheck_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/apicheck"
)

const doc = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "servers": [{"url": "http://example.com/v1"}],
  "paths": {"/things/{id}": {
    "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
    "get": {"parameters": [{"name": "_limit", "in": "query", "schema": {"type": "integer"}}],
      "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
        "type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}}}}
  }},
  "components": {"schemas": {"Error": {"type": "object", "required": ["code", "errno"],
    "properties": {"code": {"type": "integer"}, "errno": {"type": "integer"}}}}}
}`

func exchange(method, target string, status int, body string) apicheck.Exchange {
	return apicheck.Exchange{
		Request: httptest.NewRequest(method, target, nil),
		Status:  status,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    []byte(body),
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	c, err := apicheck.New(ctx, []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name         string
		x            apicheck.Exchange
		checkRequest bool
		problem      string // "" when valid
	}{
		{"valid", exchange("GET", "http://example.com/v1/things/a?_limit=2", 200, `{"id":"a"}`), true, ""},
		{"bad body", exchange("GET", "http://example.com/v1/things/a", 200, `{"id":3}`), true, "response 200"},
		{"undocumented status", exchange("GET", "http://example.com/v1/things/a", 201, `{"id":"a"}`), true, "response 201"},
		{"bad request", exchange("GET", "http://example.com/v1/things/a?_limit=x", 200, `{"id":"a"}`), true, "request"},
		{"bad request not checked", exchange("GET", "http://example.com/v1/things/a?_limit=x", 200, `{"id":"a"}`), false, ""},
		{"unknown path answered 404", exchange("GET", "http://example.com/v1/nowhere", 404, `{"code":404,"errno":111}`), true, ""},
		{"unknown path, not an error", exchange("GET", "http://example.com/v1/nowhere", 404, `{"oops":1}`), true, "not an error object"},
		{"unknown path answered 200", exchange("GET", "http://example.com/v1/nowhere", 200, `{}`), true, "no documented operation"},
		{"unrouted method answered 405", exchange("DELETE", "http://example.com/v1/things/a", 405, `{"code":405,"errno":115}`), true, ""},
	} {
		err := c.Check(ctx, tc.x, tc.checkRequest)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%s: %v, want valid", tc.name, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.problem)
		}
	}
}

func TestLoadRefusesInvalidDocuments(t *testing.T) {
	if _, err := apicheck.Load(context.Background(), []byte(`{"openapi":"3.0.3","info":{"title":"t"},"paths":{}}`)); err == nil {
		t.Error("a document without info.version loaded")
	}
}
