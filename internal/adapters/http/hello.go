package http

import (
	"fmt"
	"net/http"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// serveHello answers GET / (PROTOCOL-core §2): who the server is, its public
// settings and capabilities, and the caller when authenticated.
//
// Everything but the url and the user block is the same for every request
// until a capability is added, and those two sort last in the document: the
// rest is encoded once (helloStatic) and each answer appends the two.
func (s *Server) serveHello(w http.ResponseWriter, r *http.Request) {
	static, err := s.helloStatic()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var user map[string]any
	if uid := UserID(r.Context()); uid != "" {
		user = map[string]any{"id": uid, "principals": Principals(r.Context())}
		for _, add := range s.helloUsers {
			add(user, uid)
		}
	}
	if s.cfg.ReadOnly {
		// Nothing here changes while the service is read-only.
		cacheExpires(w.Header(), s.cfg.RootCacheExpires, s.now())
	}
	url := s.helloURL(r)
	s.writeEncoded(w, r, http.StatusOK, func(dst []byte) ([]byte, error) {
		dst = append(dst, static...)
		dst = append(dst, `,"url":`...)
		dst = domain.AppendJSONString(dst, url, false)
		if user != nil {
			dst = append(dst, `,"user":`...)
			var err error
			if dst, err = domain.AppendJSON(dst, user, false); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	})
}

// helloStatic is the encoded hello document without its url and user and
// without its closing brace, built on first use after every AddCapability.
func (s *Server) helloStatic() ([]byte, error) {
	s.mu.RLock()
	static := s.helloDoc
	s.mu.RUnlock()
	if static != nil {
		return static, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.helloDoc != nil {
		return s.helloDoc, nil
	}
	body := map[string]any{
		"project_name":     s.cfg.ProjectName,
		"project_version":  s.cfg.ProjectVersion,
		"http_api_version": s.cfg.HTTPAPIVersion,
		"project_docs":     s.cfg.ProjectDocs,
		"settings": map[string]any{
			"batch_max_requests":   s.cfg.BatchMaxRequests,
			"readonly":             s.cfg.ReadOnly,
			"explicit_permissions": s.cfg.ExplicitPermissions,
		},
		"capabilities": s.capabilities,
	}
	if s.cfg.EOS != "" {
		body["eos"] = s.cfg.EOS
	}
	// Keep "<", ">" and "&" readable, as writeJSON does.
	doc, err := domain.AppendJSON(nil, body, false)
	if err != nil {
		return nil, fmt.Errorf("encode hello: %w", err)
	}
	// Every key above sorts before "url" and "user": cutting the closing
	// brace leaves the document open for them, in order.
	s.helloDoc = doc[: len(doc)-1 : len(doc)-1]
	return s.helloDoc, nil
}

// helloURL is hello's url: apiURL(r) + "/", concatenated at once.
func (s *Server) helloURL(r *http.Request) string {
	scheme, host := s.schemeHost(r)
	return scheme + "://" + host + s.prefix + "/"
}
