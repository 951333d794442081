package http_test

import (
	"fmt"
	"net/http"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// answer is a GET handler writing what it is and the route variables it
// read.
func answer(srv *httpadapter.Server, what string, vars ...string) map[string]http.Handler {
	return handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		got := map[string]any{"route": what}
		for _, v := range vars {
			got[v] = httpadapter.PathVar(r, v)
		}
		httpadapter.WriteJSON(srv, w, r, http.StatusOK, got)
	})
}

func TestLiteralSegmentWinsWhateverTheMountOrder(t *testing.T) {
	type mount struct{ name, pattern string }
	routes := []mount{
		{"thing", "/things/{id}"},
		{"stats", "/things/stats"},
		{"nested-var", "/things/{id}/parts/{part}"},
		{"nested-literal", "/things/{id}/parts/first"},
		{"left-literal", "/shelves/top/{slot}"},
		{"right-literal", "/shelves/{shelf}/left"},
	}
	tests := []struct {
		path string
		want map[string]any
	}{
		{"/v1/things/stats", map[string]any{"route": "stats"}},
		{"/v1/things/t1", map[string]any{"route": "thing", "id": "t1"}},
		{"/v1/things/t1/parts/first", map[string]any{"route": "nested-literal", "id": "t1"}},
		{"/v1/things/t1/parts/p2", map[string]any{"route": "nested-var", "id": "t1", "part": "p2"}},
		// Both match: the leftmost literal segment decides.
		{"/v1/shelves/top/left", map[string]any{"route": "left-literal", "slot": "left"}},
		{"/v1/shelves/low/left", map[string]any{"route": "right-literal", "shelf": "low"}},
	}
	for _, order := range []string{"as listed", "reversed"} {
		t.Run(order, func(t *testing.T) {
			e := newEnv(t)
			mounts := append([]mount(nil), routes...)
			if order == "reversed" {
				for i, j := 0, len(mounts)-1; i < j; i, j = i+1, j-1 {
					mounts[i], mounts[j] = mounts[j], mounts[i]
				}
			}
			vars := map[string][]string{
				"thing": {"id"}, "nested-var": {"id", "part"}, "nested-literal": {"id"},
				"left-literal": {"slot"}, "right-literal": {"shelf"},
			}
			for _, m := range mounts {
				e.srv.Route(m.name, m.pattern, answer(e.srv, m.name, vars[m.name]...))
			}
			for _, tt := range tests {
				rec := e.do("GET", tt.path, "")
				if rec.Code != http.StatusOK {
					t.Errorf("GET %s: status %d (%s), want 200", tt.path, rec.Code, rec.Body)
					continue
				}
				if got := decode(t, rec); fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("GET %s answered %v, want %v", tt.path, got, tt.want)
				}
			}
			// The literal route answers its own 405, not the variable's.
			rec := e.do("DELETE", "/v1/things/stats", "")
			wantError(t, rec, http.StatusMethodNotAllowed, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
			if allow := rec.Header().Get("Allow"); allow != "GET, OPTIONS" {
				t.Errorf("DELETE /v1/things/stats: Allow %q, want \"GET, OPTIONS\"", allow)
			}
		})
	}
}

func TestViewBesideAResourceWhateverTheMountOrder(t *testing.T) {
	for _, viewFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("view first %v", viewFirst), func(t *testing.T) {
			e := newEnv(t, withAuth(tokenAuth("token")))
			engine := app.NewEngine(memory.NewStorage(domain.SystemClock{}), nil)
			if viewFirst {
				e.srv.Route("note-stats", "/notes/stats", answer(e.srv, "stats"))
			}
			e.srv.MountResource(engine, notes())
			if !viewFirst {
				e.srv.Route("note-stats", "/notes/stats", answer(e.srv, "stats"))
			}
			if rec := e.do("GET", "/v1/notes/stats", "", "Authorization", "Token alice"); rec.Code != http.StatusOK || decode(t, rec)["route"] != "stats" {
				t.Errorf("GET /v1/notes/stats: %d %s, want the stats view", rec.Code, rec.Body)
			}
			// An id of the resource is still an object.
			rec := e.do("GET", "/v1/notes/0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111", "", "Authorization", "Token alice")
			wantError(t, rec, http.StatusNotFound, 110, "Not Found", "")
		})
	}
}

func TestRequireAuthentication(t *testing.T) {
	basic := &basicFake{fakeAuth: *tokenAuth("basicauth")}
	e := newEnv(t, withAuth(basic))
	calls := 0
	e.srv.Route("private", "/private", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		calls++
		httpadapter.WriteJSON(e.srv, w, r, http.StatusOK, map[string]any{"user": httpadapter.UserID(r.Context())})
	}), httpadapter.RequireAuthentication())
	e.srv.Route("public", "/public", answer(e.srv, "public"))

	for _, tt := range []struct{ what, authorization string }{
		{"anonymous", ""},
		{"unknown credentials", "Bearer nobody"},
	} {
		rec := e.do("GET", "/v1/private", "", "Authorization", tt.authorization)
		wantError(t, rec, http.StatusUnauthorized, 104, "Unauthorized", "Please authenticate yourself to use this endpoint.")
		if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="Realm"` {
			t.Errorf("%s: WWW-Authenticate %q, want the policy's challenge", tt.what, got)
		}
	}
	if calls != 0 {
		t.Errorf("handler ran %d times for anonymous callers, want never", calls)
	}

	rec := e.do("GET", "/v1/private", "", "Authorization", "Token alice")
	if rec.Code != http.StatusOK || decode(t, rec)["user"] != "basicauth:alice" {
		t.Errorf("GET /v1/private as alice: %d %s, want 200 with her id", rec.Code, rec.Body)
	}

	// A method the route does not serve is a 405 for anyone, and the
	// preflight needs no credentials.
	rec = e.do("POST", "/v1/private", "")
	wantError(t, rec, http.StatusMethodNotAllowed, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
	rec = e.do("OPTIONS", "/v1/private", "", "Origin", "http://app.example", "Access-Control-Request-Method", "GET")
	if rec.Code != http.StatusOK {
		t.Errorf("OPTIONS /v1/private: %d, want 200", rec.Code)
	}

	// Routes without the option still serve anonymous callers.
	if rec := e.do("GET", "/v1/public", ""); rec.Code != http.StatusOK {
		t.Errorf("GET /v1/public anonymously: %d, want 200", rec.Code)
	}
}

func TestReadOnlyResourceServesReadsOnly(t *testing.T) {
	e := newEnv(t, withAuth(tokenAuth("token")))
	res := notes()
	res.ReadOnly = true
	e.srv.MountResource(app.NewEngine(memory.NewStorage(domain.SystemClock{}), nil), res)
	if rec := e.do("GET", "/v1/notes", "", "Authorization", "Token alice"); rec.Code != http.StatusOK {
		t.Errorf("GET /v1/notes: %d %s, want 200", rec.Code, rec.Body)
	}
	id := "/v1/notes/0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111"
	for _, tt := range []struct{ method, path string }{
		{"POST", "/v1/notes"}, {"DELETE", "/v1/notes"}, {"PUT", id}, {"PATCH", id}, {"DELETE", id},
	} {
		for _, authz := range []string{"Token alice", ""} {
			rec := e.do(tt.method, tt.path, `{"data": {}}`, "Authorization", authz, "Content-Type", "application/json")
			wantError(t, rec, http.StatusMethodNotAllowed, 115, "Method Not Allowed", "Method not allowed on this endpoint.")
			if allow := rec.Header().Get("Allow"); allow != "HEAD, GET, OPTIONS" {
				t.Errorf("%s %s: Allow %q, want \"HEAD, GET, OPTIONS\"", tt.method, tt.path, allow)
			}
		}
	}
}

// A middleware added with Use keeps wrapping the router when a later mount
// rebuilds it to put a literal route before a variable one.
func TestUseWrapsTheRebuiltRouter(t *testing.T) {
	e := newEnv(t)
	e.srv.Route("thing", "/things/{id}", answer(e.srv, "thing", "id"))
	seen := 0
	e.srv.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen++
			next.ServeHTTP(w, r)
		})
	})
	e.srv.Route("stats", "/things/stats", answer(e.srv, "stats")) // must come first: a rebuild
	rec := e.do("GET", "/v1/things/stats", "")
	if got := decode(t, rec); rec.Code != http.StatusOK || got["route"] != "stats" {
		t.Errorf("GET /v1/things/stats = %d %v, want 200 from the stats route", rec.Code, got)
	}
	if seen != 1 {
		t.Errorf("middleware ran %d times, want 1", seen)
	}
}
