package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// batchMethods are the methods a batch subrequest may use.
var batchMethods = []string{"GET", "HEAD", "DELETE", "TRACE", "POST", "PUT", "PATCH"}

// subrequest is one validated batch request.
type subrequest struct {
	method  string
	path    string
	headers map[string]string
	body    map[string]any // nil: no body
}

// MountBatch mounts POST /batch: several requests in one, each routed
// through the same router and middleware as a direct request, so that
// authentication and every check apply to each.
func (s *Server) MountBatch() {
	s.MountBatchWithUnits(ports.Unitless{})
}

// MountBatchWithUnits mounts POST /batch as one unit of work of units,
// the store of the engines mounted on s.
func (s *Server) MountBatchWithUnits(units ports.UnitOfWork) {
	s.units = units
	s.Route("batch", "/batch", map[string]http.Handler{http.MethodPost: http.HandlerFunc(s.serveBatch)})
}

func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	if err := checkContentType(r, mediaJSON); err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := s.decodeBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	reqs, err := s.parseBatch(body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// The batch is one unit of work, as in Kinto: subrequests run in order
	// inside it (each write a nested unit, undone alone when it fails),
	// 4xx answers are recorded and the batch goes on, and a 5xx rolls
	// everything back and fails the whole batch with that answer. A 409
	// does what it does in Kinto, which aborts its transaction there: the
	// writes of the batch so far are rolled back (their answers stay in
	// the responses), and the subrequests after it run in a new unit.
	var failed *httptest.ResponseRecorder
	responses := make([]any, 0, len(reqs))
	// Subrequests ask the backends each question once, who a caller is
	// and what it may do (app forgets what a write changes; a failed
	// subrequest, whose writes are undone, makes it forget everything).
	ctx := app.WithBatchMemo(r.Context())
	next := 0
	for next < len(reqs) {
		err = s.units.Atomically(ctx, func(ctx context.Context) error {
			parent := r.WithContext(ctx)
			for next < len(reqs) {
				sub := reqs[next]
				next++
				rec, finalPath := s.runSubrequest(parent, sub)
				if rec.Code >= 500 {
					failed = rec
					return errBatchFailed
				}
				if rec.Code >= 400 {
					app.ForgetAll(ctx)
				}
				responses = append(responses, map[string]any{
					"status":  rec.Code,
					"path":    finalPath,
					"headers": flatHeaders(rec.Header()),
					"body":    subBody(sub.method, rec.Body.Bytes()),
				})
				if rec.Code == http.StatusConflict {
					return errBatchConflict
				}
			}
			return nil
		})
		if !errors.Is(err, errBatchConflict) {
			break
		}
		err = nil
	}
	if failed != nil {
		maps.Copy(w.Header(), failed.Header())
		w.WriteHeader(failed.Code)
		_, _ = w.Write(failed.Body.Bytes())
		return
	}
	if err != nil {
		s.writeError(w, r, fmt.Errorf("batch: %w", err))
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"responses": responses})
}

// errBatchFailed rolls back a batch one of whose subrequests failed with
// a 5xx.
var errBatchFailed = errors.New("a batch subrequest failed")

// errBatchConflict rolls back the batch's unit at a 409, after which the
// batch goes on in a new one.
var errBatchConflict = errors.New("a batch subrequest conflicted")

// runSubrequest executes one subrequest through the whole handler, following
// one redirect (trailing slash, version prefix).
func (s *Server) runSubrequest(parent *http.Request, sub subrequest) (*httptest.ResponseRecorder, string) {
	path := sub.path
	if path != s.prefix && !strings.HasPrefix(path, s.prefix+"/") {
		path = s.prefix + path
	}
	var rec *httptest.ResponseRecorder
	for range 2 {
		rec = httptest.NewRecorder()
		s.handler.ServeHTTP(rec, s.newSubrequest(parent, sub, path))
		loc := rec.Header().Get("Location")
		if rec.Code != http.StatusTemporaryRedirect || loc == "" {
			break
		}
		u, err := url.Parse(loc)
		if err != nil {
			break
		}
		path = u.RequestURI()
	}
	final := path
	if u, err := url.Parse(path); err == nil {
		final = u.Path
	}
	return rec, final
}

// newSubrequest builds the http.Request of a subrequest: the batch's headers
// overlaid by the subrequest's, and its body re-encoded as JSON.
func (s *Server) newSubrequest(parent *http.Request, sub subrequest, path string) *http.Request {
	var body []byte
	if sub.body != nil {
		body, _ = json.Marshal(sub.body) // decoded JSON always encodes
	}
	req, err := http.NewRequestWithContext(parent.Context(), sub.method, path, bytes.NewReader(body))
	if err != nil {
		// The path was checked to start with "/"; an unparsable one is
		// served as an unknown route.
		req, _ = http.NewRequestWithContext(parent.Context(), sub.method, s.prefix+"/__invalid__", nil)
	}
	req.Host = parent.Host
	req.RemoteAddr = parent.RemoteAddr
	req.TLS = parent.TLS
	req.Header = parent.Header.Clone()
	req.Header.Del("Content-Length")
	for k, v := range sub.headers {
		req.Header.Set(k, v)
	}
	if sub.body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	req.ContentLength = int64(len(body))
	return req
}

// headerSpelling restores the usual spelling of the headers whose Go
// canonical form differs from it ("Etag"), so that batch answers name them
// as Kinto does.
var headerSpelling = map[string]string{
	"Etag":             "ETag",
	"Www-Authenticate": "WWW-Authenticate",
}

// flatHeaders gives each response header as one string.
func flatHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if spelled, ok := headerSpelling[k]; ok {
			k = spelled
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// subBody is a subresponse's body: decoded JSON, "" for HEAD, else the raw
// text.
func subBody(method string, b []byte) any {
	if method == http.MethodHead || len(b) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return string(b)
	}
	return v
}

// parseBatch validates a batch body (PROTOCOL-core §8) and merges defaults
// into each request.
func (s *Server) parseBatch(body map[string]any) ([]subrequest, error) {
	for k := range body {
		if k != "defaults" && k != "requests" {
			return nil, namedIssue(k, fmt.Sprintf("Unrecognized keys in mapping: %q", pyRepr(map[string]any{k: body[k]})))
		}
	}
	var defaults map[string]any
	if raw, ok := body["defaults"]; ok {
		d, isObj := raw.(map[string]any)
		if !isObj {
			return nil, namedIssue("defaults", fmt.Sprintf("%q is not a mapping type: Does not implement dict-like functionality.", pyRepr(raw)))
		}
		defaults = d
	}
	raw, ok := body["requests"]
	if !ok {
		return nil, namedIssue("requests", "Required")
	}
	list, isList := raw.([]any)
	if !isList {
		return nil, namedIssue("requests", fmt.Sprintf("%q is not iterable", pyRepr(raw)))
	}
	if max := s.cfg.BatchMaxRequests; max > 0 && len(list) > max {
		return nil, namedIssue("requests", fmt.Sprintf("Number of requests is limited to %d", max))
	}
	out := make([]subrequest, 0, len(list))
	for i, item := range list {
		m, isObj := item.(map[string]any)
		if !isObj {
			return nil, namedIssue(fmt.Sprintf("requests.%d", i), fmt.Sprintf("%q is not a mapping type: Does not implement dict-like functionality.", pyRepr(item)))
		}
		sub, err := parseSubrequest(i, mergeDefaults(m, defaults))
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}

// mergeDefaults deep-merges defaults into req without overriding its values.
func mergeDefaults(req, defaults map[string]any) map[string]any {
	out := domain.CloneMap(req)
	for k, dv := range defaults {
		rv, has := out[k]
		if !has {
			out[k] = dv
			continue
		}
		rm, rIsObj := rv.(map[string]any)
		dm, dIsObj := dv.(map[string]any)
		if rIsObj && dIsObj {
			out[k] = mergeDefaults(rm, dm)
		}
	}
	return out
}

func parseSubrequest(i int, m map[string]any) (subrequest, error) {
	name := func(field string) string { return fmt.Sprintf("requests.%d.%s", i, field) }
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		switch k {
		case "method", "path", "headers", "body":
		default:
			return subrequest{}, namedIssue(fmt.Sprintf("requests.%d", i), fmt.Sprintf("Unrecognized keys in mapping: %q", pyRepr(map[string]any{k: m[k]})))
		}
	}
	sub := subrequest{method: http.MethodGet}
	if raw, ok := m["method"]; ok {
		method, isString := raw.(string)
		if !isString || !slices.Contains(batchMethods, method) {
			return sub, namedIssue(name("method"), fmt.Sprintf("%s is not one of %s", pyRepr(raw), strings.Join(batchMethods, ", ")))
		}
		sub.method = method
	}
	path, isString := m["path"].(string)
	switch {
	case m["path"] == nil:
		return sub, namedIssue(name("path"), "Required")
	case !isString || !strings.HasPrefix(path, "/"):
		return sub, namedIssue(name("path"), fmt.Sprintf("%s does not match '^/'", pyRepr(m["path"])))
	case strings.Contains(path, "/batch"):
		return sub, namedIssue("requests", "Recursive call on /batch endpoint is forbidden.")
	}
	sub.path = path
	if raw, ok := m["headers"]; ok {
		hm, isObj := raw.(map[string]any)
		if !isObj {
			return sub, namedIssue(name("headers"), fmt.Sprintf("%q is not a mapping type: Does not implement dict-like functionality.", pyRepr(raw)))
		}
		sub.headers = map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(hm)) {
			v, isString := hm[k].(string)
			if !isString {
				return sub, namedIssue(name("headers."+k), fmt.Sprintf("%s is not a string: {'type': 'string'}", pyRepr(hm[k])))
			}
			sub.headers[k] = v
		}
	}
	if raw, ok := m["body"]; ok && raw != nil {
		bm, isObj := raw.(map[string]any)
		if !isObj {
			return sub, namedIssue(name("body"), fmt.Sprintf("%q is not a mapping type: Does not implement dict-like functionality.", pyRepr(raw)))
		}
		sub.body = bm
	}
	return sub, nil
}
