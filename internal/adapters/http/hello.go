package http

import (
	"maps"
	"net/http"
)

// serveHello answers GET / (PROTOCOL-core §2): who the server is, its public
// settings and capabilities, and the caller when authenticated.
func (s *Server) serveHello(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	caps := maps.Clone(s.capabilities)
	s.mu.RUnlock()

	body := map[string]any{
		"project_name":     s.cfg.ProjectName,
		"project_version":  s.cfg.ProjectVersion,
		"http_api_version": s.cfg.HTTPAPIVersion,
		"project_docs":     s.cfg.ProjectDocs,
		"url":              s.apiURL(r) + "/",
		"settings": map[string]any{
			"batch_max_requests":   s.cfg.BatchMaxRequests,
			"readonly":             s.cfg.ReadOnly,
			"explicit_permissions": s.cfg.ExplicitPermissions,
		},
		"capabilities": caps,
	}
	if s.cfg.EOS != "" {
		body["eos"] = s.cfg.EOS
	}
	if uid := UserID(r.Context()); uid != "" {
		user := map[string]any{"id": uid, "principals": Principals(r.Context())}
		for _, add := range s.helloUsers {
			add(user, uid)
		}
		body["user"] = user
	}
	if s.cfg.ReadOnly {
		// Nothing here changes while the service is read-only.
		cacheExpires(w.Header(), s.cfg.RootCacheExpires, s.now())
	}
	s.writeJSON(w, r, http.StatusOK, body)
}
