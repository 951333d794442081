package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"runtime/debug"
)

// mountUtilities mounts the endpoints that exist on every service
// (PROTOCOL-core §2). Only hello authenticates, to show the user block.
func (s *Server) mountUtilities() {
	get := func(f http.HandlerFunc) map[string]http.Handler {
		return map[string]http.Handler{http.MethodGet: f, http.MethodHead: f}
	}
	s.mount("hello", "/", get(s.serveHello), true)
	s.mount("heartbeat", "/__heartbeat__", get(s.serveHeartbeat), false)
	s.mount("lbheartbeat", "/__lbheartbeat__", get(s.serveLBHeartbeat), false)
	s.mount("version", "/__version__", get(s.serveVersion), false)
	s.mount("openapi", "/__api__", get(s.serveOpenAPI), false)
	// The optional endpoints of this package (batch, flush, metrics) are
	// described here too; only the mounted ones appear in the document.
	for path, item := range utilityDocs() {
		s.Document(path, item)
	}
}

// serveLBHeartbeat tells a load balancer that this web head answers.
func (s *Server) serveLBHeartbeat(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, map[string]any{})
}

// serveVersion serves the file at VersionJSONPath verbatim. Without the
// file it answers what the binary knows of its build (buildVersion), where
// the reference answers a 500: a plain go build then has a version too,
// and a batch that includes __version__ does not fail. An unreadable or
// malformed file is a 500, as in the reference: it is a deployment bug.
func (s *Server) serveVersion(w http.ResponseWriter, r *http.Request) {
	b, err := os.ReadFile(s.cfg.VersionJSONPath)
	if errors.Is(err, fs.ErrNotExist) {
		s.writeJSON(w, r, http.StatusOK, buildVersion(s.cfg.ProjectVersion))
		return
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("version file: %w", err))
		return
	}
	if !json.Valid(b) {
		s.writeError(w, r, fmt.Errorf("version file %s: not valid JSON", s.cfg.VersionJSONPath))
		return
	}
	writeRaw(w, http.StatusOK, b)
}

// buildVersion is the version document (Dockerflow's source, version,
// commit and build keys) made from the binary's build information: the
// main module's path and version, and the VCS revision and commit time
// that go build records. fallback is the version when the module has none
// (a build from a work tree says "(devel)").
func buildVersion(fallback string) map[string]any {
	doc := map[string]any{"source": "", "version": fallback, "commit": "", "build": ""}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return doc
	}
	doc["source"] = info.Main.Path
	if v := info.Main.Version; v != "" && v != "(devel)" {
		doc["version"] = v
	}
	for _, st := range info.Settings {
		switch st.Key {
		case "vcs.revision":
			doc["commit"] = st.Value
		case "vcs.time":
			doc["build"] = st.Value
		}
	}
	return doc
}
