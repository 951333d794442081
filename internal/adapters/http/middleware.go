package http

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// contentSecurityPolicy forbids everything: an API serves no active content.
const contentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; "

// The constant header values, as the one-element slices http.Header holds.
// Their capacity is their length, so that Header.Add appends to a copy and
// never into the shared array; nothing in the server writes h[k][i].
var (
	cspValue         = []string{contentSecurityPolicy}[:1:1]
	nosniffValue     = []string{"nosniff"}[:1:1]
	exposedValue     = []string{exposedHeaders}[:1:1]
	jsonContentValue = []string{"application/json"}[:1:1]
	noCacheValue     = []string{"no-cache, no-store"}[:1:1]
)

// middleware wraps the router with what every request goes through, outer
// first: the summary log line, the always-present headers and end of
// service, panic recovery, URL encoding checks and the read-only guard.
func (s *Server) middleware(next http.Handler) http.Handler {
	h := s.readOnly(next)
	h = s.checkEncoding(h)
	h = s.recoverPanics(h)
	h = s.commonHeaders(h)
	return s.summary(h)
}

// reqState is what the middleware learns while serving one request, for
// its summary log line. It is also the request's context, the one value
// the middleware adds to it: one allocation holds the state, the status
// writer and the context node, where a context.WithValue would be one
// more per request.
type reqState struct {
	context.Context // the request's context as the middleware received it
	w               statusWriter
	// parent is the batch's state for a batch subrequest, nil otherwise.
	parent   *reqState
	errno    int
	uid      string
	authType string
	rid      string // request id, shared by a batch and its subrequests
	// identity is the caller once identified; each batch subrequest has
	// its own state, so it is authenticated on its own. It is held by
	// value: no allocation per request.
	identity   identity
	identified bool
	endpoint   string // the route's name in metrics; "" before routing
	// nested is set for a batch subrequest, which runs inside the batch's
	// request.
	nested bool
	body   bodyHold // what the request reserved of the body budget
	// labels is scratch space for the label sets of the request metrics.
	labels [3]ports.Label
	// vars are the variables of the route serving the request, which
	// Value answers mux.Vars with (routevars.go); muxKey recognizes
	// mux's key.
	vars   map[string]string
	muxKey *muxVarsKey
	match  mux.RouteMatch // serveRouter's
	// query is the parse of queryRaw, read only (queryOf).
	query    url.Values
	queryRaw string
}

type stateKey struct{}

// Value answers the state itself for stateKey, and defers every other key
// to the request's context.
func (st *reqState) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return st
	}
	if st.vars != nil && st.muxKey.is(key) {
		return st.vars
	}
	return st.Context.Value(key)
}

func stateOf(ctx context.Context) *reqState {
	if st, ok := ctx.(*reqState); ok {
		return st // the request's own context: no lookup
	}
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// statusWriter remembers the status sent, so that the log line can report
// it and panic recovery knows whether an answer is still possible.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	size   int64 // body bytes written, for request_size
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// summary writes one log line per request, with the reference's field
// names (mozlog "request.summary"): agent, path, method, lang, rid, errno
// (0 when none), querystring when there is one, time (ISO, local), code,
// t (milliseconds), and uid and authn_type when authenticated. It gives
// each request its id, sent back in X-Request-Id (a batch's subrequests
// share the batch's), and records the request metrics.
func (s *Server) summary(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		parent := stateOf(r.Context())
		st := &reqState{Context: r.Context(), parent: parent, nested: parent != nil, muxKey: s.muxVars}
		st.w = statusWriter{ResponseWriter: w, status: http.StatusOK}
		if parent != nil {
			st.rid = parent.rid
		} else {
			st.rid = s.requestID(r)
			w.Header()[RequestIDHeader] = []string{st.rid} // canonical already
		}
		func() {
			// Deferred so that a panicking handler gives its bytes back too.
			defer st.body.release()
			next.ServeHTTP(&st.w, r.WithContext(st))
		}()
		elapsed := time.Since(start)
		s.measure(r, st, elapsed)
		// The log's time is the end of the request: start+elapsed saves
		// reading the clock a third time.
		end := start.Add(elapsed)

		s.logSummary(r, st, end, elapsed)
	})
}

// commonHeaders sets the headers of every answer (PROTOCOL-core §1.4, §1.5,
// §9) and refuses every request once the end of service has passed.
func (s *Server) commonHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Shared, read-only values: no slice per header per request.
		h["Content-Security-Policy"] = cspValue
		h["X-Content-Type-Options"] = nosniffValue
		if r.Method != http.MethodOptions {
			h["Access-Control-Expose-Headers"] = exposedValue
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if allowed, ok := s.allowOrigin(origin); ok {
				h.Set("Access-Control-Allow-Origin", allowed)
			}
		}
		s.setBackoff(h)
		if !s.eos.IsZero() {
			if s.now().Before(s.eos) {
				h.Set("Alert", s.alert("soft-eol"))
			} else {
				h.Set("Alert", s.alert("hard-eol"))
				s.writeAPIError(w, r, newAPIError(http.StatusGone, errnoServiceDeprecated, msgDeprecated))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a panicking handler into a 500, logging the panic and
// its stack once. http.ErrAbortHandler keeps its meaning for net/http.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logFor(r).WithFields(logrus.Fields{
				"method": r.Method,
				"path":   r.URL.Path,
				"errno":  errnoUndefined,
				"stack":  string(debug.Stack()),
			}).Error(fmt.Sprintf("panic: %v", v))
			s.reportCause(r, fmt.Errorf("panic: %v", v), http.StatusInternalServerError)
			st := stateOf(r.Context())
			if st != nil && st.w.wrote {
				st.errno = errnoUndefined
				return // too late for an error answer; the client sees a cut body
			}
			s.writeAPIError(w, r, s.internalError())
		}()
		next.ServeHTTP(w, r)
	})
}

// checkEncoding refuses paths and query strings that are not UTF-8, as the
// reference does before routing.
func (s *Server) checkEncoding(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !utf8.ValidString(r.URL.Path) {
			ae := newAPIError(http.StatusBadRequest, errnoInvalidParameters, "Invalid URL path.")
			s.writeAPIError(w, r, ae)
			return
		}
		if !validQuery(r.URL.RawQuery) {
			ae := newAPIError(http.StatusBadRequest, errnoInvalidParameters,
				"A request with an incorrect encoding in the querystring was received. "+
					"Please make sure your requests are encoded in UTF-8: "+r.URL.RawQuery)
			s.writeAPIError(w, r, ae)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// validQuery reports whether every decoded name and value of the query
// string is UTF-8. Malformed escapes are left for the handlers to judge.
// It walks the pairs as url.ParseQuery does (split on "&", pairs holding
// ";" or failing to unescape skipped) without building the map, and
// unescapes only the parts that hold escapes: no allocation for the usual
// query, and none at all without one.
func validQuery(raw string) bool {
	if !utf8.ValidString(raw) {
		return false
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		dk, err := queryUnescaped(k)
		if err != nil {
			continue
		}
		dv, err := queryUnescaped(v)
		if err != nil {
			continue
		}
		if !utf8.ValidString(dk) || !utf8.ValidString(dv) {
			return false
		}
	}
	return true
}

// queryUnescaped is url.QueryUnescape, which allocates only for a part
// with escapes.
func queryUnescaped(s string) (string, error) {
	if !strings.ContainsAny(s, "%+") {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// readOnly refuses every write when the service is read-only, before
// routing, as the reference does (405 without Allow, batch included).
func (s *Server) readOnly(next http.Handler) http.Handler {
	if !s.cfg.ReadOnly {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
		default:
			s.writeAPIError(w, r, methodNotAllowed(nil))
		}
	})
}
