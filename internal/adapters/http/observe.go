package http

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// RequestIDHeader is the response header that carries the request id, the
// rid of the request's log lines.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds a request id taken from a trusted header, so that
// a proxy bug cannot fill the logs.
const maxRequestIDLen = 128

// WithMetrics sends the request measurements (Kinto's request_summary,
// request_duration_seconds, request_size, authentication, users) and the
// heartbeat's to m. Call it before serving.
func (s *Server) WithMetrics(m ports.Metrics) *Server {
	s.metrics = m
	return s
}

// WithErrorReporter sends the cause of every 5xx answer to rep (Sentry),
// with the request's method, path, user id and request id. Call it before
// serving.
func (s *Server) WithErrorReporter(rep ports.ErrorReporter) *Server {
	s.reporter = rep
	return s
}

// MountMetricsEndpoint serves h, unauthenticated, at /__metrics__ under
// the version prefix, where Kinto's prometheus plugin serves.
func (s *Server) MountMetricsEndpoint(h http.Handler) {
	s.mount("prometheus_metrics", "/__metrics__", map[string]http.Handler{http.MethodGet: h, http.MethodHead: h}, false)
}

// requestID returns the id of a request: the trusted header's value when
// configured and well formed, a fresh UUID otherwise.
func (s *Server) requestID(r *http.Request) string {
	if h := s.cfg.TrustedRequestIDHeader; h != "" {
		if v := r.Header.Get(h); validRequestID(v) {
			return v
		}
	}
	return newRequestID()
}

// validRequestID accepts what a proxy writes (UUIDs, hex, dotted or dashed
// tokens) and nothing that could forge a log line.
func validRequestID(v string) bool {
	if v == "" || len(v) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

// RequestID returns the request id of a request's context, "" outside a
// request.
func RequestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.rid
	}
	return ""
}

// logFor is the logger of every line about r: it carries the request id.
func (s *Server) logFor(r *http.Request) logrus.FieldLogger {
	return s.logCtx(r.Context())
}

// logCtx is logFor for code that has the request's context only.
func (s *Server) logCtx(ctx context.Context) logrus.FieldLogger {
	if rid := RequestID(ctx); rid != "" {
		return s.log.WithField("rid", rid)
	}
	return s.log
}

// endpointName is a route's name in metrics: Kinto's Cornice service
// names, "<resource>-plural" for a resource list.
func endpointName(route string) string {
	if base, ok := strings.CutSuffix(route, "-list"); ok {
		return base + "-plural"
	}
	return route
}

// measure records Kinto's request metrics for one answered request. The
// label sets are slices of the request's own scratch array: a variadic
// list passed through the Metrics interface would be a heap allocation per
// measurement, and the metrics never keep the slice they are given.
func (s *Server) measure(r *http.Request, st *reqState, d time.Duration) {
	m := s.metrics
	status := st.w.status
	endpoint := st.endpoint
	if endpoint == "" {
		endpoint = "unnamed"
		if status == http.StatusNotFound {
			endpoint = "unknown" // unknown URLs must not multiply label values
		}
	}
	l := &st.labels
	if st.uid != "" {
		auth, uid, _ := strings.Cut(st.uid, ":")
		l[0] = ports.Label{Name: "auth", Value: auth}
		l[1] = ports.Label{Name: "userid", Value: strings.ReplaceAll(uid, ":", ".")}
		m.Count("users", 1, l[:2]...)
	}
	l[0] = ports.Label{Name: "method", Value: lowerMethod(r.Method)}
	l[1] = ports.Label{Name: "endpoint", Value: endpoint}
	l[2] = ports.Label{Name: "status", Value: statusText(status)}
	m.Count("request_summary", 1, l[:3]...)
	m.Timing("request_duration_seconds", d, l[:2]...)
	m.Observe("request_size", float64(st.w.size), l[:2]...)
	if st.authType != "" {
		l[0] = ports.Label{Name: "type", Value: st.authType}
		m.Count("authentication", 1, l[:1]...)
	}
}

// lowerMethod is strings.ToLower(method), without allocating for the
// methods the protocol serves.
func lowerMethod(method string) string {
	switch method {
	case http.MethodGet:
		return "get"
	case http.MethodHead:
		return "head"
	case http.MethodPost:
		return "post"
	case http.MethodPut:
		return "put"
	case http.MethodPatch:
		return "patch"
	case http.MethodDelete:
		return "delete"
	case http.MethodOptions:
		return "options"
	}
	return strings.ToLower(method)
}

// statusTexts are the decimal forms of the statuses, built once.
var statusTexts = func() (out [600]string) {
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}()

// statusText is strconv.Itoa(status), without allocating.
func statusText(status int) string {
	if status >= 0 && status < len(statusTexts) {
		return statusTexts[status]
	}
	return strconv.Itoa(status)
}

// querystring is the query of r as Kinto logs it: each name with its
// value, or its values when repeated; nil when there is none.
func querystring(r *http.Request, st *reqState) map[string]any {
	if r.URL.RawQuery == "" {
		return nil
	}
	q := st.queryValues(r) // the handlers' parse when they made one
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]any, len(q))
	for k, vs := range q {
		if len(vs) == 1 {
			out[k] = vs[0]
		} else {
			out[k] = vs
		}
	}
	return out
}
