package http

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/cliquet-go/cliquet/internal/domain"
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
	pattern  string // under the version prefix, gorilla/mux syntax
	seq      int    // mount order, which breaks precedence ties
	handlers map[string]http.Handler
	methods  []string // served methods in methodOrder, OPTIONS last
	authn    bool     // authenticate callers (utility endpoints do not)
	// requireUser answers 401 to anonymous callers (RequireAuthentication).
	requireUser bool
}

// serves reports whether the route answers method (OPTIONS included).
func (rt *route) serves(method string) bool {
	return slices.Contains(rt.methods, method)
}

// RouteOption changes how a route mounted with Route serves its requests.
type RouteOption func(*route)

// RequireAuthentication makes a route answer anonymous callers 401 errno
// 104, with the policies' WWW-Authenticate challenges, before its handlers
// run: the answer resources of per-user objects give, without each handler
// checking UserID itself. The CORS preflight and the 405 of a method the
// route does not serve come first, as for every route.
func RequireAuthentication() RouteOption {
	return func(rt *route) { rt.requireUser = true }
}

// Route mounts handlers for one URL pattern under the version prefix
// (gorilla/mux syntax, e.g. "/buckets/{bid}"; read variables with
// mux.Vars). Methods not in handlers answer 405 errno 115 with an Allow
// header; OPTIONS is always the CORS preflight, answered from the method
// list, so an "OPTIONS" entry is ignored; HEAD must be listed explicitly.
// Handlers run after the origin check and authentication: UserID and
// Principals tell who calls.
//
// Mount order does not matter: where two patterns may match the same path,
// the one with a literal segment where the other has a variable is tried
// first (the leftmost such segment decides), so "/articles/stats" is never
// taken for the id of "/articles/{id}". Patterns alike in that respect are
// tried in mount order.
//
// Route must be called before serving. It panics on a duplicate name or a
// malformed pattern, which are wiring bugs.
func (s *Server) Route(name, pattern string, handlers map[string]http.Handler, opts ...RouteOption) {
	s.mount(name, pattern, handlers, true, opts...)
}

func (s *Server) mount(name, pattern string, handlers map[string]http.Handler, authn bool, opts ...RouteOption) {
	if _, dup := s.routes[name]; dup {
		panic(fmt.Sprintf("http: route %q mounted twice", name))
	}
	rt := &route{name: name, pattern: pattern, seq: len(s.routes), handlers: map[string]http.Handler{}, authn: authn}
	for _, o := range opts {
		o(rt)
	}
	for m, h := range handlers {
		m = strings.ToUpper(m)
		if m == http.MethodOptions || h == nil {
			continue
		}
		rt.handlers[m] = h
	}
	rt.methods = sortMethods(rt.handlers)
	mustPrecede := false
	for _, other := range s.routes {
		if mayOverlap(rt.pattern, other.pattern) && comparePrecedence(rt.pattern, other.pattern) < 0 {
			mustPrecede = true
			break
		}
	}
	s.routes[name] = rt
	if !mustPrecede {
		s.handle(s.router, rt)
		return
	}
	// gorilla/mux tries routes in the order they were added and cannot
	// insert one before another: build the router again, in precedence
	// order. This happens only when a route comes after one it must
	// precede, while mounting.
	ordered := slices.SortedFunc(maps.Values(s.routes), func(a, b *route) int {
		if c := comparePrecedence(a.pattern, b.pattern); c != 0 {
			return c
		}
		return a.seq - b.seq
	})
	router := s.newRouter()
	for _, o := range ordered {
		s.handle(router, o)
	}
	s.router = router
}

// newRouter is an empty router configured as the server's.
func (s *Server) newRouter() *mux.Router {
	router := mux.NewRouter().SkipClean(true)
	router.NotFoundHandler = http.HandlerFunc(s.serveNotFound)
	return router
}

// handle adds rt to router.
func (s *Server) handle(router *mux.Router, rt *route) {
	mr := router.Handle(s.prefix+rt.pattern, s.serveRoute(rt)).Name(rt.name)
	if err := mr.GetError(); err != nil {
		panic(fmt.Sprintf("http: route %q: %v", rt.name, err))
	}
}

// patternSegments splits a pattern into its path segments, keeping each
// {variable} whole: its regexp may hold slashes.
func patternSegments(pattern string) []string {
	var segs []string
	depth, start := 0, 0
	for i, c := range pattern {
		switch {
		case c == '{':
			depth++
		case c == '}' && depth > 0:
			depth--
		case c == '/' && depth == 0:
			segs = append(segs, pattern[start:i])
			start = i + 1
		}
	}
	return append(segs, pattern[start:])
}

// isVariable reports whether a pattern segment holds a {variable}.
func isVariable(seg string) bool { return strings.Contains(seg, "{") }

// comparePrecedence orders patterns by the kinds of their segments,
// literal before variable, from the left: negative when a must be tried
// before b, zero when they are alike.
func comparePrecedence(a, b string) int {
	sa, sb := patternSegments(a), patternSegments(b)
	for i := range min(len(sa), len(sb)) {
		va, vb := isVariable(sa[i]), isVariable(sb[i])
		switch {
		case va == vb:
		case vb:
			return -1
		default:
			return 1
		}
	}
	return len(sa) - len(sb)
}

// mayOverlap reports whether some path could match both patterns: no
// segment is a different literal in each, and they have as many segments
// unless a variable with its own regexp (which may match slashes) makes
// the counts meaningless.
func mayOverlap(a, b string) bool {
	sa, sb := patternSegments(a), patternSegments(b)
	for i := range min(len(sa), len(sb)) {
		if !isVariable(sa[i]) && !isVariable(sb[i]) && sa[i] != sb[i] {
			return false
		}
	}
	if len(sa) == len(sb) {
		return true
	}
	hasRegexp := func(segs []string) bool {
		return slices.ContainsFunc(segs, func(s string) bool { return isVariable(s) && strings.Contains(s, ":") })
	}
	return hasRegexp(sa) || hasRegexp(sb)
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
			if ctx != r.Context() {
				r = r.WithContext(ctx)
			}
		}
		if rt.requireUser && UserID(r.Context()) == "" {
			// The same error the engine gives per-user resources, so the
			// answer is theirs to the byte.
			s.writeError(w, r, &domain.Error{Kind: domain.Unauthenticated, Op: "http.route"})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// pathVar returns the route variable name of r ("" when absent).
func pathVar(r *http.Request, name string) string {
	return mux.Vars(r)[name]
}
