package http

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	s.meters = newRequestMeters(m)
	return s
}

// WithErrorReporter sends the cause of every 5xx answer to rep (Sentry),
// with the request's method, path, user id and request id. Call it before
// serving.
func (s *Server) WithErrorReporter(rep ports.ErrorReporter) *Server {
	s.reporter = rep
	return s
}

// ReportedCause reports whether a log line's fields are those of the
// cause of a 5xx answer (an error and the answer's errno), which the
// server also hands to its error reporter: a log hook sending lines to the
// same place can then leave that one out.
func ReportedCause(fields logrus.Fields) bool {
	_, isErr := fields[logrus.ErrorKey]
	_, hasErrno := fields["errno"]
	return isErr && hasErrno
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

// measure records Kinto's request metrics for one answered request,
// through the measurements bound for its endpoint, method and status. The
// label sets of the others (users, and any past the bounds of the bound
// ones) are slices of the request's own scratch array: a variadic list
// passed through the Metrics interface would be a heap allocation per
// measurement, and the metrics never keep the slice they are given.
func (s *Server) measure(r *http.Request, st *reqState, d time.Duration) {
	if s.meters == nil {
		return // no metrics
	}
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
		if c := s.meters.user(st.uid); c != nil {
			c.Add(1)
		} else {
			l[0], l[1] = userLabels(st.uid)
			m.Count("users", 1, l[:2]...)
		}
	}
	method := lowerMethod(r.Method)
	if rm := s.meters.route(endpoint, method); rm != nil {
		rm.summary(status).Add(1)
		rm.duration.Time(d)
		rm.size.Observe(float64(st.w.size))
	} else {
		l[0] = ports.Label{Name: "method", Value: method}
		l[1] = ports.Label{Name: "endpoint", Value: endpoint}
		l[2] = ports.Label{Name: "status", Value: statusText(status)}
		m.Count("request_summary", 1, l[:3]...)
		m.Timing("request_duration_seconds", d, l[:2]...)
		m.Observe("request_size", float64(st.w.size), l[:2]...)
	}
	if st.authType != "" {
		s.meters.authentication(st.authType).Add(1)
	}
}

// The bounds of the bound request measurements: label values past them
// (methods no route serves, unusual statuses) take the plain calls, so
// that a client cannot grow the tables without end.
const (
	maxBoundRoutes   = 1024
	maxBoundStatuses = 32
	maxBoundAuths    = 16
	maxBoundUsers    = 10000
)

// userLabels are the labels of the users measurement of a user id
// ("basicauth:abc" gives auth basicauth, userid abc).
func userLabels(uid string) (auth, userid ports.Label) {
	policy, id, _ := strings.Cut(uid, ":")
	return ports.Label{Name: "auth", Value: policy}, ports.Label{Name: "userid", Value: strings.ReplaceAll(id, ":", ".")}
}

// requestMeters are the request measurements bound for each endpoint and
// method met, found by a map lookup rather than through the metrics'
// caches of label sets: binding once saves hashing every label name and
// value of every measurement, on every backend.
type requestMeters struct {
	m      ports.Metrics
	routes boundMap[routeMethod, *routeMeters]
	auths  smallTable[string, ports.Counter]
	// users are the users counters by user id, the busiest ones bound:
	// a lookup by one string rather than by two label names and values
	// in each backend.
	users boundMap[string, ports.Counter]
}

type routeMethod struct{ endpoint, method string }

// routeMeters are one endpoint and method's measurements.
type routeMeters struct {
	labels   [2]ports.Label // method, endpoint
	duration ports.Timer
	size     ports.Observer
	statuses smallTable[int, ports.Counter]
	m        ports.Metrics
}

func newRequestMeters(m ports.Metrics) *requestMeters {
	return &requestMeters{m: m}
}

// user returns the users counter of a user id, bound on first use; nil
// past maxBoundUsers.
func (rm *requestMeters) user(uid string) ports.Counter {
	c, _ := rm.users.get(uid, maxBoundUsers, func() ports.Counter {
		auth, userid := userLabels(uid)
		return ports.BindCounter(rm.m, "users", auth, userid)
	})
	return c
}

// route returns the measurements of endpoint and method, bound on first
// use; nil past maxBoundRoutes.
func (rm *requestMeters) route(endpoint, method string) *routeMeters {
	r, _ := rm.routes.get(routeMethod{endpoint, method}, maxBoundRoutes, func() *routeMeters {
		r := &routeMeters{m: rm.m, labels: [2]ports.Label{{Name: "method", Value: method}, {Name: "endpoint", Value: endpoint}}}
		r.duration = ports.BindTimer(rm.m, "request_duration_seconds", r.labels[:]...)
		r.size = ports.BindObserver(rm.m, "request_size", r.labels[:]...)
		return r
	})
	return r
}

// boundMap is smallTable for keys too many to scan (routes, user ids): a
// map under a read-write lock. Past max keys, get binds nothing and
// reports false.
type boundMap[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

func (b *boundMap[K, V]) get(k K, max int, bind func() V) (V, bool) {
	b.mu.RLock()
	v, ok := b.m[k]
	b.mu.RUnlock()
	if ok {
		return v, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.m[k]; ok {
		return v, true
	}
	if len(b.m) >= max {
		var zero V
		return zero, false
	}
	if b.m == nil {
		b.m = map[K]V{}
	}
	v = bind()
	b.m[k] = v
	return v, true
}

// summary returns the request_summary counter of status.
func (r *routeMeters) summary(status int) ports.Counter {
	return r.statuses.get(status, maxBoundStatuses, func() ports.Counter {
		return ports.BindCounter(r.m, "request_summary", r.labels[0], r.labels[1], ports.Label{Name: "status", Value: statusText(status)})
	})
}

// authentication returns the authentication counter of a policy.
func (rm *requestMeters) authentication(policy string) ports.Counter {
	return rm.auths.get(policy, maxBoundAuths, func() ports.Counter {
		return ports.BindCounter(rm.m, "authentication", ports.Label{Name: "type", Value: policy})
	})
}

// smallTable maps the few keys of one label (statuses, policies) to bound
// handles: readers scan a slice without locking, a writer replaces it
// whole. Past max keys, the handles are bound on each use and not kept.
type smallTable[K comparable, V any] struct {
	mu      sync.Mutex
	entries atomic.Pointer[[]tableEntry[K, V]]
}

type tableEntry[K comparable, V any] struct {
	key K
	val V
}

func (t *smallTable[K, V]) get(k K, max int, bind func() V) V {
	if es := t.entries.Load(); es != nil {
		for _, e := range *es {
			if e.key == k {
				return e.val
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var old []tableEntry[K, V]
	if es := t.entries.Load(); es != nil {
		old = *es
	}
	for _, e := range old {
		if e.key == k {
			return e.val
		}
	}
	v := bind()
	if len(old) < max {
		grown := append(slices.Clip(old), tableEntry[K, V]{k, v})
		t.entries.Store(&grown)
	}
	return v
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
