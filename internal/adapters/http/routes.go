package http

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// methodOrder is the order of methods in Allow and
// Access-Control-Allow-Methods, the reference's for resource lists
// ("HEAD,GET,POST,DELETE,OPTIONS"); other methods go before OPTIONS.
var methodOrder = []string{
	http.MethodHead, http.MethodGet, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete,
}

// route is one URL pattern and the handlers of its methods.
type route struct {
	name     string
	pattern  string // as given to Route, without the prefix
	handlers map[string]http.Handler
	methods  []string // served methods in methodOrder, OPTIONS last
	authn    bool     // authenticate callers (utility endpoints do not)
}

// serves reports whether the route answers method (OPTIONS included).
func (rt *route) serves(method string) bool {
	return slices.Contains(rt.methods, method)
}

// Route mounts handlers for one URL pattern under the version prefix
// (gorilla/mux syntax, e.g. "/buckets/{bid}"; read variables with
// mux.Vars). Methods not in handlers answer 405 errno 115 with an Allow
// header; OPTIONS is always the CORS preflight, answered from the method
// list, so an "OPTIONS" entry is ignored; HEAD must be listed explicitly.
// Handlers run after the origin check and authentication: UserID and
// Principals tell who calls.
//
// Route must be called before serving. It panics on a duplicate name or a
// malformed pattern, which are wiring bugs.
func (s *Server) Route(name, pattern string, handlers map[string]http.Handler) {
	s.mount(name, pattern, handlers, true)
}

func (s *Server) mount(name, pattern string, handlers map[string]http.Handler, authn bool) {
	if _, dup := s.routes[name]; dup {
		panic(fmt.Sprintf("http: route %q mounted twice", name))
	}
	rt := &route{name: name, pattern: pattern, handlers: map[string]http.Handler{}, authn: authn}
	for m, h := range handlers {
		m = strings.ToUpper(m)
		if m == http.MethodOptions || h == nil {
			continue
		}
		rt.handlers[m] = h
	}
	rt.methods = sortMethods(rt.handlers)
	mr := s.router.Handle(s.prefix+pattern, s.serveRoute(rt)).Name(name)
	if err := mr.GetError(); err != nil {
		panic(fmt.Sprintf("http: route %q: %v", name, err))
	}
	s.routes[name] = rt
}

func sortMethods(handlers map[string]http.Handler) []string {
	var known, other []string
	for _, m := range methodOrder {
		if handlers[m] != nil {
			known = append(known, m)
		}
	}
	for m := range handlers {
		if !slices.Contains(methodOrder, m) {
			other = append(other, m)
		}
	}
	slices.Sort(other)
	return append(append(known, other...), http.MethodOptions)
}

// serveRoute is the handler of one known route: preflight, origin check,
// method dispatch, authentication, then the endpoint.
func (s *Server) serveRoute(rt *route) http.Handler {
	endpoint := endpointName(rt.name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if st := stateOf(r.Context()); st != nil {
			st.endpoint = endpoint
		}
		if r.Method == http.MethodOptions {
			s.preflight(w, r, rt)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if _, ok := s.allowOrigin(origin); !ok {
				s.writeAPIError(w, r, refusedOrigin(origin))
				return
			}
		}
		h := rt.handlers[r.Method]
		if h == nil {
			s.writeAPIError(w, r, methodNotAllowed(rt.methods))
			return
		}
		if rt.authn {
			ctx, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(w, r)
	})
}

// pathVar returns the route variable name of r ("" when absent).
func pathVar(r *http.Request, name string) string {
	return mux.Vars(r)[name]
}
