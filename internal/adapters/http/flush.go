package http

import (
	"context"
	"net/http"
)

// MountFlush mounts the flush endpoint (what Kinto's flush plugin adds):
// POST /__flush__, open to anyone as in Kinto, runs flush (which empties every backend) and answers 202
// with {}. It also advertises the flush_endpoint capability. Without it
// the path is an unknown URL (404), as in Kinto without the plugin.
func (s *Server) MountFlush(flush func(ctx context.Context) error) {
	s.mount("flush", "/__flush__", map[string]http.Handler{
		http.MethodPost: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := flush(r.Context()); err != nil {
				s.writeError(w, r, err)
				return
			}
			s.writeJSON(w, r, http.StatusAccepted, map[string]any{})
		}),
	}, false)
	s.AddCapability("flush_endpoint", map[string]any{
		"description": "The __flush__ endpoint can be used to remove all data from all backends.",
		"url":         "https://kinto.readthedocs.io/en/latest/api/1.x/flush.html",
	})
}
