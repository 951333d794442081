package http

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// StaticSite is a folder of static files served under the version prefix,
// such as a web admin build: its index page at "<path>/", its files
// below, "<path>" redirected to "<path>/".
type StaticSite struct {
	// Dir is the folder served. Its index.html is read once, when the site
	// is mounted; a missing folder or index serves Missing instead.
	Dir string
	// IndexPolicy is the Content-Security-Policy of the index page (a
	// single-page application needs its own scripts and styles, which the
	// API's policy refuses).
	IndexPolicy string
	// Missing is the page answered at "<path>/" when Dir holds no
	// index.html: how to install what should be there.
	Missing []byte
	// MaxAge is how long clients may cache the other files.
	MaxAge time.Duration
}

// MountStatic serves site at pattern (for example "/admin") under the
// version prefix, without authentication; name prefixes the route names.
// It reports whether Dir held an index page.
func (s *Server) MountStatic(name, pattern string, site StaticSite) bool {
	index, err := os.ReadFile(path.Join(site.Dir, "index.html"))
	found := err == nil
	if !found {
		index = site.Missing
	}
	s.mount(name+"-redirect", pattern, map[string]http.Handler{
		http.MethodGet:  http.HandlerFunc(s.redirectToSlash),
		http.MethodHead: http.HandlerFunc(s.redirectToSlash),
	}, false)
	home := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Length", strconv.Itoa(len(index)))
		if site.IndexPolicy != "" {
			h.Set("Content-Security-Policy", site.IndexPolicy)
		}
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(index)
		}
	})
	s.mount(name+"-home", pattern+"/", map[string]http.Handler{http.MethodGet: home, http.MethodHead: home}, false)
	files := http.FileServer(http.FS(noListing{os.DirFS(site.Dir)}))
	asset := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rel := mux.Vars(r)["path"]
		if !fs.ValidPath(rel) || !found {
			s.writeAPIError(w, r, notFound())
			return
		}
		if info, err := fs.Stat(os.DirFS(site.Dir), rel); err != nil || info.IsDir() {
			s.writeAPIError(w, r, notFound())
			return
		}
		if site.MaxAge > 0 {
			cacheExpires(w.Header(), int(site.MaxAge/time.Second), s.now())
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + rel
		files.ServeHTTP(w, r2)
	})
	s.mount(name+"-files", pattern+"/{path:.+}", map[string]http.Handler{http.MethodGet: asset, http.MethodHead: asset}, false)
	return found
}

// redirectToSlash answers 307 to the same path with a trailing slash.
func (s *Server) redirectToSlash(w http.ResponseWriter, r *http.Request) {
	s.redirect(w, r, r.URL.EscapedPath()+"/", 0)
}

// noListing is a file system whose folders cannot be listed.
type noListing struct{ fs.FS }

func (n noListing) Open(name string) (fs.File, error) {
	f, err := n.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if info, err := f.Stat(); err == nil && info.IsDir() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// ReadVersionFile returns the first line of a VERSION file in dir, or ""
// when there is none.
func ReadVersionFile(dir string) string {
	b, err := os.ReadFile(path.Join(dir, "VERSION"))
	if err != nil {
		return ""
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return strings.TrimSpace(string(line))
}
