package http_test

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/apicheck"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// openAPIOf serves the document of e and checks it with kin-openapi.
func openAPIOf(t *testing.T, e *env) map[string]any {
	t.Helper()
	rec := e.do("GET", "/v1/__api__", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /v1/__api__: %d %s", rec.Code, rec.Body)
	}
	if _, err := apicheck.Load(context.Background(), rec.Body.Bytes()); err != nil {
		t.Fatalf("the served document does not validate: %v", err)
	}
	return decode(t, rec)
}

// at walks a decoded document: at(doc, "paths", "/notes", "get").
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func TestOpenAPIResources(t *testing.T) {
	e := newEnv(t, withAuth(auth.NewBasic("secret")))
	engine := app.NewEngine(memory.NewStorage(domain.SystemClock{}), nil)
	e.srv.MountResource(engine, notes())
	e.srv.MountResource(engine, &app.Resource{
		Name: "log", Plural: "logs", IDs: app.UUID4{}, PerUser: true,
		ListMethods: []string{"GET"}, ObjectMethods: []string{},
	})
	e.srv.MountBatch()
	doc := openAPIOf(t, e)

	for path, want := range map[string][]string{
		"/notes":      {"get", "head", "post", "delete", "options"},
		"/notes/{id}": {"get", "head", "put", "patch", "delete", "options"},
		"/logs":       {"get", "options"},
		"/batch":      {"post", "options"},
	} {
		item, _ := at(doc, "paths", path).(map[string]any)
		var got []string
		for _, m := range []string{"get", "head", "post", "put", "patch", "delete", "options"} {
			if item[m] != nil {
				got = append(got, m)
			}
		}
		if !sameSet(got, want) {
			t.Errorf("paths[%s] methods %v, want %v (as routed)", path, got, want)
		}
	}
	if at(doc, "paths", "/logs/{id}") != nil {
		t.Error("/logs/{id} documented, but no method is routed")
	}

	// The list's querystring, conditional headers and filters.
	var params []string
	for _, p := range at(doc, "paths", "/notes", "get", "parameters").([]any) {
		params = append(params, at(p, "$ref").(string))
	}
	for _, name := range []string{"Limit", "Token", "Sort", "Since", "Before", "Fields", "Filters", "IfMatch", "IfNoneMatch"} {
		if !slices.Contains(params, "#/components/parameters/"+name) {
			t.Errorf("GET /notes parameters %v lack %s", params, name)
		}
		if at(doc, "components", "parameters", name) == nil {
			t.Errorf("components.parameters lack %s", name)
		}
	}
	for name, want := range map[string]string{"Limit": "_limit", "Token": "_token", "Sort": "_sort", "Since": "_since", "Before": "_before", "Fields": "_fields", "IfMatch": "If-Match", "IfNoneMatch": "If-None-Match"} {
		if got := at(doc, "components", "parameters", name, "name"); got != want {
			t.Errorf("parameter %s is named %v, want %s", name, got, want)
		}
	}
	filters := at(doc, "components", "parameters", "Filters", "description").(string)
	for _, prefix := range []string{"min_", "max_", "lt_", "gt_", "not_", "in_", "exclude_", "like_", "has_", "contains_", "contains_any_", "eq_"} {
		if !strings.Contains(filters, prefix) {
			t.Errorf("the filters description does not name %s", prefix)
		}
	}
	// Response headers, bodies and errors.
	ok := at(doc, "paths", "/notes", "get", "responses", "200")
	for _, h := range []string{"ETag", "Last-Modified", "Next-Page"} {
		if at(ok, "headers", h) == nil {
			t.Errorf("GET /notes 200 lacks header %s", h)
		}
	}
	if got := at(ok, "content", "application/json", "schema", "$ref"); got != "#/components/schemas/NoteList" {
		t.Errorf("GET /notes 200 schema %v, want NoteList", got)
	}
	if at(doc, "paths", "/notes", "head", "responses", "200", "headers", "Total-Objects") == nil {
		t.Error("HEAD /notes 200 lacks Total-Objects")
	}
	if got := at(doc, "paths", "/notes", "get", "responses", "412", "$ref"); got != "#/components/responses/PreconditionFailed" {
		t.Errorf("GET /notes 412 %v", got)
	}
	if got := at(doc, "components", "responses", "PreconditionFailed", "content", "application/json", "schema", "$ref"); got != "#/components/schemas/Error" {
		t.Errorf("412 body %v, want the Error schema", got)
	}
	errProps := at(doc, "components", "schemas", "Error", "properties").(map[string]any)
	for _, f := range []string{"code", "errno", "error", "message", "info", "details"} {
		if errProps[f] == nil {
			t.Errorf("Error schema lacks %s", f)
		}
	}
	patch := at(doc, "paths", "/notes/{id}", "patch", "requestBody", "content").(map[string]any)
	for _, ct := range []string{"application/json", "application/merge-patch+json", "application/json-patch+json"} {
		if patch[ct] == nil {
			t.Errorf("PATCH body lacks %s", ct)
		}
	}
	// The resource's JSON schema gives its fields; id and last_modified
	// are always there.
	note := at(doc, "components", "schemas", "Note").(map[string]any)
	for _, f := range []string{"title", "slug", "id", "last_modified"} {
		if at(note, "properties", f) == nil {
			t.Errorf("Note schema lacks %s: %v", f, note)
		}
	}
	if !reflect.DeepEqual(note["required"], []any{"id", "last_modified"}) {
		t.Errorf("Note required %v", note["required"])
	}
	if got := at(doc, "paths", "/notes/{id}", "parameters"); !reflect.DeepEqual(got, []any{map[string]any{
		"name": "id", "in": "path", "required": true, "description": "Id of the note.", "schema": map[string]any{"type": "string"}}}) {
		t.Errorf("/notes/{id} parameters %v", got)
	}
}

func TestOpenAPIDocumentedRoutes(t *testing.T) {
	e := newEnv(t)
	ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }
	e.srv.Route("thing", "/things/{name:[a-z]+}", handlers("GET", ok, "DELETE", ok))
	e.srv.Document("/things/{name}", httpadapter.PathItem{
		Get:  &httpadapter.Operation{OperationID: "read_thing", Responses: map[string]httpadapter.Response{"204": {Description: "Read."}}},
		Post: &httpadapter.Operation{OperationID: "never_routed", Responses: map[string]httpadapter.Response{"201": {Description: "No."}}},
	})
	e.srv.Route("plain", "/plain", handlers("GET", ok))
	e.srv.Document("/unmounted", httpadapter.PathItem{Get: &httpadapter.Operation{Responses: map[string]httpadapter.Response{"200": {Description: "x"}}}})
	doc := openAPIOf(t, e)

	item := at(doc, "paths", "/things/{name}").(map[string]any)
	if at(item, "get", "operationId") != "read_thing" {
		t.Errorf("GET /things/{name} is not the documented operation: %v", item["get"])
	}
	if item["post"] != nil {
		t.Error("POST is documented but not routed")
	}
	if at(item, "delete", "responses") == nil {
		t.Error("the routed DELETE has no generic operation")
	}
	if at(item, "get", "responses", "default", "$ref") != "#/components/responses/Error" {
		t.Errorf("GET /things default response %v, want the shared error", at(item, "get", "responses", "default"))
	}
	if got := at(item, "parameters"); !reflect.DeepEqual(got, []any{map[string]any{"name": "name", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}}) {
		t.Errorf("the path variable is not declared: %v", got)
	}
	if at(doc, "paths", "/plain", "get") == nil {
		t.Error("an undocumented route is missing")
	}
	if at(doc, "paths", "/unmounted") != nil {
		t.Error("a documented but unmounted path is served")
	}
	// Same mounts, same bytes.
	first := e.do("GET", "/v1/__api__", "").Body.String()
	for i := 0; i < 5; i++ {
		if again := e.do("GET", "/v1/__api__", "").Body.String(); again != first {
			t.Fatal("two answers of /__api__ differ")
		}
	}
	var ids []string
	for _, it := range doc["paths"].(map[string]any) {
		for _, op := range it.(map[string]any) {
			if id, ok := at(op, "operationId").(string); ok {
				ids = append(ids, id)
			}
		}
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("operationId %s is not unique", id)
		}
		seen[id] = true
	}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x string) bool { return !slices.Contains(b, x) })
}
