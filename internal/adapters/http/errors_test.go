package http_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// errorEnv mounts /fail, whose handler answers err with writeError.
func errorEnv(t *testing.T, err error, opts ...func(*setup)) *env {
	t.Helper()
	e := newEnv(t, opts...)
	e.srv.Route("fail", "/fail", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"1"`) // headers set earlier survive
		httpadapter.WriteError(e.srv, w, r, err)
	}))
	return e
}

func TestWriteErrorTable(t *testing.T) {
	existing := domain.Record{ID: "a1", LastModified: 1714000000350, Data: map[string]any{"title": "edited"}}
	tests := []struct {
		name    string
		err     error
		status  int
		errno   int
		title   string
		message string
		details any
		headers map[string]string
	}{
		{"not found", domain.NotFoundError("op", "record", "r1"), 404, 110, "Not Found", "",
			map[string]any{"id": "r1", "resource_name": "record"}, nil},
		{"not found with a message stays silent", domain.Errorf(domain.NotFound, "op", "record r1 missing"), 404, 110, "Not Found", "", nil, nil},
		{"missing parent", &domain.Error{Kind: domain.MissingParent, Resource: "collection", ID: "articles"}, 404, 111, "Not Found", "",
			map[string]any{"id": "articles", "resource_name": "collection"}, nil},
		{"precondition", &domain.Error{Kind: domain.PreconditionFailed, Existing: &existing}, 412, 114, "Precondition Failed",
			"Resource was modified meanwhile",
			map[string]any{"existing": map[string]any{"id": "a1", "last_modified": float64(1714000000350), "title": "edited"}}, nil},
		{"precondition on a list", &domain.Error{Kind: domain.PreconditionFailed}, 412, 114, "Precondition Failed",
			"Resource was modified meanwhile", nil, nil},
		{"conflict", &domain.Error{Kind: domain.Conflict}, 409, 122, "Conflict", "Integrity constraint violated, please retry.", nil,
			map[string]string{"Retry-After": "3"}},
		{"forbidden", &domain.Error{Kind: domain.Forbidden}, 403, 121, "Forbidden", "This user cannot access this resource.", nil, nil},
		{"method not allowed", &domain.Error{Kind: domain.MethodNotAllowed}, 405, 115, "Method Not Allowed",
			"Method not allowed on this endpoint.", nil, map[string]string{"Allow": ""}},
		{"unavailable", domain.Wrap(domain.Unavailable, "postgres.Storage.Get", errors.New("dial tcp: secret-host refused")),
			503, 201, "Service Unavailable",
			"Service temporary unavailable due to overloading or maintenance, please retry later.", nil,
			map[string]string{"Retry-After": "3"}},
		{"unauthenticated without basic policy", &domain.Error{Kind: domain.Unauthenticated}, 401, 104, "Unauthorized",
			"Please authenticate yourself to use this endpoint.", nil, map[string]string{"WWW-Authenticate": ""}},
		{"internal", errors.New("nil map in secret-function"), 500, 999, "Internal Server Error",
			"A programmatic error occurred, developers have been informed.", nil, map[string]string{"Retry-After": ""}},
		{"internal kind", domain.Wrap(domain.Internal, "op", errors.New("secret bug")), 500, 999, "Internal Server Error",
			"A programmatic error occurred, developers have been informed.", nil, nil},
		{"unknown kind", &domain.Error{Kind: domain.Kind(200), Message: "secret"}, 500, 999, "Internal Server Error",
			"A programmatic error occurred, developers have been informed.", nil, nil},
		{"wrapped", fmt.Errorf("load collection c: %w", domain.Errorf(domain.Forbidden, "op", "Cannot read accounts.")),
			403, 121, "Forbidden", "Cannot read accounts.", nil, nil},
		{"invalid message only", domain.Errorf(domain.Invalid, "op", "Provide at least one of data or permissions"),
			400, 107, "Invalid parameters", "Provide at least one of data or permissions", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := errorEnv(t, tt.err)
			rec := e.do("GET", "/v1/fail", "")
			b := wantError(t, rec, tt.status, tt.errno, tt.title, tt.message)
			if !reflect.DeepEqual(b["details"], tt.details) {
				t.Errorf("details %v, want %v", b["details"], tt.details)
			}
			for k, want := range tt.headers {
				if got := rec.Header().Get(k); got != want {
					t.Errorf("%s %q, want %q", k, got, want)
				}
			}
			if rec.Header().Get("ETag") != `"1"` {
				t.Error("headers set before the error were lost")
			}
			if tt.status == 500 {
				if b["info"] != "https://github.com/Kinto/kinto/issues/" {
					t.Errorf("info %v, want the error info link", b["info"])
				}
			} else if _, ok := b["info"]; ok {
				t.Errorf("info on a %d", tt.status)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Errorf("body shows the cause: %s", rec.Body)
			}
			if tt.status >= 500 {
				msg := "internal error"
				if tt.status == 503 {
					msg = "backend unavailable"
				}
				logged := e.entries(msg)
				if len(logged) != 1 {
					t.Fatalf("%d %q log lines, want 1", len(logged), msg)
				}
				if err, _ := logged[0].Data["error"].(error); err == nil || !strings.Contains(err.Error(), "secret") {
					t.Errorf("logged cause %v, want the hidden cause", logged[0].Data["error"])
				}
			}
		})
	}
}

func TestWriteErrorInvalid(t *testing.T) {
	tests := []struct {
		name    string
		issues  []domain.Issue
		message string
		details []any
	}{
		{"prefixed, sorted by name",
			[]domain.Issue{
				{Location: domain.InBody, Name: "data.name", Description: "42 is not a string"},
				{Location: domain.InQuerystring, Name: "_limit", Description: "-1 is less than minimum value 0"},
			},
			"_limit in querystring: -1 is less than minimum value 0",
			[]any{
				map[string]any{"location": "querystring", "name": "_limit", "description": "-1 is less than minimum value 0"},
				map[string]any{"location": "body", "name": "data.name", "description": "42 is not a string"},
			}},
		{"null name",
			[]domain.Issue{{Location: domain.InPath, Description: "Invalid object id"}},
			"path: Invalid object id",
			[]any{map[string]any{"location": "path", "name": nil, "description": "Invalid object id"}}},
		{"null sorts as None",
			[]domain.Issue{{Location: domain.InPath, Description: "Invalid object id"}, {Location: domain.InBody, Name: "data", Description: "Required"}},
			"path: Invalid object id",
			[]any{
				map[string]any{"location": "path", "name": nil, "description": "Invalid object id"},
				map[string]any{"location": "body", "name": "data", "description": "Required"},
			}},
		{"description names the field",
			[]domain.Issue{{Location: domain.InBody, Name: "requests", Description: "Number of requests is limited to 25"}},
			"Number of requests is limited to 25",
			[]any{map[string]any{"location": "body", "name": "requests", "description": "Number of requests is limited to 25"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := errorEnv(t, &domain.Error{Kind: domain.Invalid, Op: "app.Create", Issues: tt.issues})
			b := wantError(t, e.do("GET", "/v1/fail", ""), 400, 107, "Invalid parameters", tt.message)
			if !reflect.DeepEqual(b["details"], tt.details) {
				t.Errorf("details %v\nwant %v", b["details"], tt.details)
			}
		})
	}
	// A domain-supplied message wins over the first issue.
	e := errorEnv(t, &domain.Error{Kind: domain.Invalid, Message: "custom", Issues: []domain.Issue{{Location: domain.InBody, Name: "x", Description: "bad"}}})
	wantError(t, e.do("GET", "/v1/fail", ""), 400, 107, "Invalid parameters", "custom")
}

func TestWriteErrorChallenges(t *testing.T) {
	one := &basicFake{fakeAuth: *tokenAuth("account")}
	two := &basicFake{fakeAuth: *tokenAuth("basicauth")}
	plain := tokenAuth("openid")
	e := errorEnv(t, &domain.Error{Kind: domain.Unauthenticated}, withAuth(one, plain, two))
	rec := e.do("GET", "/v1/fail", "")
	wantError(t, rec, 401, 104, "Unauthorized", "Please authenticate yourself to use this endpoint.")
	if got := rec.Header().Values("WWW-Authenticate"); !reflect.DeepEqual(got, []string{`Basic realm="Realm", Basic realm="Realm"`}) {
		t.Errorf("WWW-Authenticate %q, want one challenge per Basic policy, comma-joined", got)
	}
}

func TestWriteJSONUnencodable(t *testing.T) {
	e := newEnv(t)
	e.srv.Route("bad", "/bad", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		httpadapter.WriteJSON(e.srv, w, r, http.StatusOK, map[string]any{"f": func() {}})
	}))
	wantError(t, e.do("GET", "/v1/bad", ""), 500, 999, "Internal Server Error",
		"A programmatic error occurred, developers have been informed.")
	sum := e.entries("request.summary")
	if len(sum) != 1 || sum[0].Data["errno"] != 999 {
		t.Errorf("summary %v, want errno 999", sum)
	}
}

func TestWriteJSONKeepsHTML(t *testing.T) {
	e := newEnv(t)
	e.srv.Route("html", "/html", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		httpadapter.WriteJSON(e.srv, w, r, http.StatusCreated, map[string]any{"t": "<b>&</b>"})
	}))
	rec := e.do("GET", "/v1/html", "")
	if rec.Code != 201 || !strings.Contains(rec.Body.String(), `"<b>&</b>"`) {
		t.Errorf("got %d %s, want 201 with unescaped HTML", rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Errorf("body not JSON: %v", err)
	}
}
