package http

import (
	"context"
	"net/http"
	"sync/atomic"

	"github.com/gorilla/mux"
)

// Routing without mux's request copies. mux.Router.ServeHTTP hands the
// handler a request copied twice, each copy with a context node of its own
// (the route's variables, then the route): four allocations per request.
// serveRouter matches instead, and the request's state (its context)
// answers mux.Vars from the variables it keeps, so that handlers still read
// them with mux.Vars, as Route documents.
//
// mux's context key is unexported. muxVarsKey finds it by asking, of a key
// the state does not know, whether a context mux.SetURLVars made holds
// this package's probe variables under it; the key found is remembered and
// compared directly from then on.
type muxVarsKey struct {
	probe context.Context // holds probeVars under mux's key
	known atomic.Pointer[any]
}

// probeVarName names the one variable of the probe.
const probeVarName = "\x00cliquet-probe"

func newMuxVarsKey() *muxVarsKey {
	probe := mux.SetURLVars(new(http.Request), map[string]string{probeVarName: probeVarName})
	return &muxVarsKey{probe: probe.Context()}
}

// is reports whether key is mux's key of the route variables.
func (m *muxVarsKey) is(key any) bool {
	if k := m.known.Load(); k != nil {
		return *k == key
	}
	vars, _ := m.probe.Value(key).(map[string]string)
	if vars[probeVarName] != probeVarName {
		return false
	}
	found := key // a copy: storing &key would move every call's key to the heap
	m.known.Store(&found)
	return true
}

// serveRouter serves r with the router as it is now: mounting a route may
// rebuild the router (route precedence), after Use wrapped it. Inside the
// middleware the matched route's handler is called directly, its variables
// kept in the request's state; outside, mux serves as usual.
func (s *Server) serveRouter(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r.Context())
	if st == nil {
		s.router.ServeHTTP(w, r)
		return
	}
	m := &st.match // the state's: a RouteMatch of its own would escape
	*m = mux.RouteMatch{}
	if !s.router.Match(r, m) || m.Handler == nil {
		s.router.ServeHTTP(w, r) // no handler: mux's own answers
		return
	}
	st.vars = m.Vars
	m.Handler.ServeHTTP(w, r)
}
