package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gorilla/mux"
)

type probeKey struct{}

// Route documents mux.Vars for the route's variables: the router matches
// without mux's request copies, and the variables must still be there, in
// the handler's request and in contexts derived from it, and other context
// values must still be found through the request's state.
func TestRouteVarsThroughMuxVars(t *testing.T) {
	e := newEnv(t)
	var got, derived map[string]string
	var other any
	e.srv.Route("thing", "/things/{tid}/parts/{pid}", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		got = mux.Vars(r)
		ctx := context.WithValue(r.Context(), probeKey{}, "v")
		derived = mux.Vars(r.WithContext(ctx))
		other = ctx.Value(probeKey{})
		w.WriteHeader(http.StatusNoContent)
	}))
	for path, want := range map[string]map[string]string{
		"/v1/things/a/parts/b":   {"tid": "a", "pid": "b"},
		"/v1/things/c2/parts/d3": {"tid": "c2", "pid": "d3"},
	} {
		if rec := e.do("GET", path, ""); rec.Code != http.StatusNoContent {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
		if len(got) != 2 || got["tid"] != want["tid"] || got["pid"] != want["pid"] {
			t.Errorf("GET %s: mux.Vars = %v, want %v", path, got, want)
		}
		if len(derived) != 2 || derived["tid"] != want["tid"] {
			t.Errorf("GET %s: mux.Vars of a derived context = %v, want %v", path, derived, want)
		}
		if other != "v" {
			t.Errorf("GET %s: derived context value = %v, want v", path, other)
		}
	}
}
