package http

import (
	"context"
	"net/http"
	"time"
)

// A service extends the adapter beyond its declared resources through the
// hooks below, registered before serving: middleware around routing, extra
// principals for authenticated callers, and fields of hello's user block.
// Together with Route and AddCapability they let a service's main add its
// own protocol features without the adapter knowing them.

// PrincipalsFunc returns the principals a service adds to those of an
// authenticated user (group memberships, roles…). userID is never empty.
// An error makes the request fail with 503, as a failing policy does.
type PrincipalsFunc func(ctx context.Context, userID string) ([]string, error)

// HelloUserFunc adds fields to the user block of hello, which already holds
// "id" and "principals", for the authenticated user userID.
type HelloUserFunc func(user map[string]any, userID string)

// Use adds a middleware around routing: it sees every request whose path
// is under the version prefix, batch subrequests included, after the
// version-prefix redirect and before the router, so before an unknown
// route's 404 or trailing-slash redirect. It may rewrite the request (its
// path, its body) before handing it on, and the router serves the
// rewritten one. Middleware added first runs outermost.
//
// Routing comes before authentication, so a middleware that needs the
// caller calls Authenticate, then reads UserID and Principals. Use must be
// called before serving.
func (s *Server) Use(mw func(http.Handler) http.Handler) {
	s.middlewares = append(s.middlewares, mw)
	h := http.Handler(http.HandlerFunc(s.serveRouter))
	for i := len(s.middlewares) - 1; i >= 0; i-- {
		h = s.middlewares[i](h)
	}
	s.routed = h
}

// AddPrincipals adds a source of principals for authenticated callers,
// asked after the policy accepts the credentials; the principals of every
// source are added, in the order the sources were added. It must be called
// before serving.
func (s *Server) AddPrincipals(f PrincipalsFunc) {
	s.principalSources = append(s.principalSources, f)
}

// AddHelloUser adds a contributor to hello's user block, called in the
// order added when the caller is authenticated. It must be called before
// serving.
func (s *Server) AddHelloUser(f HelloUserFunc) {
	s.helloUsers = append(s.helloUsers, f)
}

// Authenticate identifies the caller of r with the authentication policies
// and the principal sources, and returns r with the identity in its
// context, for UserID and Principals to read (inside the middleware the
// identity is kept in the request's state, and r itself is returned). A request is identified once:
// the route serving it later reuses the identity. Failing credentials make
// the caller anonymous; only a policy or a principal source that cannot
// decide is an error (503 through WriteError).
func (s *Server) Authenticate(r *http.Request) (*http.Request, error) {
	ctx, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if ctx == r.Context() {
		return r, nil // identified in the request's state
	}
	return r.WithContext(ctx), nil
}

// ReadBody reads the whole request body within the adapter's limits
// (MaxBodyBytes: 413 errno 113; the body budget: 503 errno 201), for a
// middleware that looks at the body before the endpoint does; PutBackBody
// then hands it on.
func (s *Server) ReadBody(r *http.Request) ([]byte, error) {
	return s.readBody(r)
}

// PutBackBody makes b the body of r, for the next handler to read as if
// it came from the client: a body read with ReadBody and put back is not
// counted twice against the body budget.
func PutBackBody(r *http.Request, b []byte) {
	putBack(r, b)
}

// ParseObject decodes a request body that must be a JSON object, as the
// endpoints do: empty is {}, numbers stay json.Number, anything else is a
// 400 errno 107 error for WriteError.
func ParseObject(b []byte) (map[string]any, error) {
	return parseObject(b)
}

// ReadOnly reports whether the service is read-only (Config.ReadOnly).
func (s *Server) ReadOnly() bool { return s.cfg.ReadOnly }

// Now is the server's clock, the one its timestamps and end of service
// read.
func (s *Server) Now() time.Time { return s.now() }
