package http

import (
	"net/http"
	"strings"
)

// dispatch sends prefixed paths to the router, through the middlewares
// added with Use, and answers the others (PROTOCOL-core §1.1): a path that
// does not start with "/v<digit>" is redirected under the prefix, or 404
// errno 116 when that is disabled.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, s.prefix):
		// Also "/v12…" when the prefix is "/v1": the reference tests the
		// plain string prefix, so those are unknown routes (111), not 116.
		s.routed.ServeHTTP(w, r)
	case isVersioned(p):
		s.writeAPIError(w, r, newAPIError(http.StatusNotFound, errnoVersionUnavailable, msgVersion))
	case s.cfg.VersionPrefixRedirect && !strings.ContainsAny(p, "\r\n"):
		if r.Method == http.MethodOptions {
			// CORS preflights must get a 2xx, so never redirect them.
			w.WriteHeader(http.StatusOK)
			return
		}
		s.redirect(w, r, s.prefix+r.URL.EscapedPath(), s.cfg.VersionPrefixRedirectTTL)
	default:
		s.writeAPIError(w, r, newAPIError(http.StatusNotFound, errnoVersionUnavailable, msgVersion))
	}
}

// isVersioned reports whether p starts with "/v" and a digit.
func isVersioned(p string) bool {
	return len(p) > 2 && p[0] == '/' && p[1] == 'v' && p[2] >= '0' && p[2] <= '9'
}

// serveNotFound answers paths under the prefix that match no route: a
// trailing slash is redirected away (and "/v1" to "/v1/") when enabled,
// anything else is 404 errno 111.
func (s *Server) serveNotFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	if s.cfg.TrailingSlashRedirect {
		switch {
		case strings.HasSuffix(p, "/"):
			s.redirect(w, r, strings.TrimRight(p, "/"), s.cfg.TrailingSlashRedirectTTL)
			return
		case p == s.prefix:
			s.redirect(w, r, s.prefix+"/", s.cfg.TrailingSlashRedirectTTL)
			return
		}
	}
	s.writeAPIError(w, r, notFound())
}

// redirect answers 307 to the absolute URL of path, keeping the query,
// cacheable per ttl (see cacheExpires).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path string, ttl int) {
	loc := s.baseURL(r) + path
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	h := w.Header()
	h.Set("Location", loc)
	cacheExpires(h, ttl, s.now())
	w.WriteHeader(http.StatusTemporaryRedirect)
}
