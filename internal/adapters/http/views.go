package http

import "net/http"

// Custom views are handlers a service mounts with Route next to its
// declared resources (readinglist's /articles/stats, for instance). They
// live in the service's own package, so these exported wrappers give them
// the adapter's answer format without exposing its internals.

// WriteJSON answers v as a JSON document with status, exactly as the
// resource endpoints do (Content-Type, Content-Length, a 500 in the
// protocol's format if v cannot be encoded).
func (s *Server) WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.writeJSON(w, r, status, v)
}

// WriteError answers err in the protocol's error format: a domain.Error is
// mapped through the adapter's status and errno table (Unauthenticated is
// 401 errno 104 with the policies' WWW-Authenticate challenge, Unavailable
// 503 errno 201 with Retry-After…); any other error is a 500 whose cause is
// logged once and never shown.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
}

// SetTimestamp sets the ETag (quoted epoch milliseconds) and Last-Modified
// headers of timestamp ts, as every resource answer carries them.
func SetTimestamp(h http.Header, ts int64) {
	setTimestamp(h, ts)
}
