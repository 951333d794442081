package http

import (
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
)

// summaryFieldCount is the number of fields of a summary line that has
// every optional one (querystring, uid, authn_type).
const summaryFieldCount = 13

// summaryTimeLayout is the line's time field: ISO 8601, local, microseconds.
const summaryTimeLayout = "2006-01-02T15:04:05.000000"

// summaryEntries recycles the entries of the summary lines. The line is
// written once per request, and logrus's Logger.WithFields builds a map,
// copies it into a fresh entry and discards the entry's map on release:
// a pooled entry whose map keeps its buckets leaves logrus only its own
// copy to make (Entry.Log hands hooks and the formatter a clone, so
// reusing ours after Log returns is safe).
type summaryEntries struct {
	logger *logrus.Logger // nil: the server's logger is not a *logrus.Logger
	pool   sync.Pool      // of *logrus.Entry
}

// newSummaryEntries recycles entries of log when it is a *logrus.Logger.
func newSummaryEntries(log logrus.FieldLogger) *summaryEntries {
	l, _ := log.(*logrus.Logger)
	se := &summaryEntries{logger: l}
	se.pool.New = func() any {
		return &logrus.Entry{Logger: l, Data: make(logrus.Fields, summaryFieldCount)}
	}
	return se
}

// logSummary writes the request.summary line of an answered request, with
// the reference's field names (mozlog "request.summary"): agent, path,
// method, lang, rid, errno (0 when none), querystring when there is one,
// time (ISO, local, the end of the request), code, t (milliseconds), and
// uid and authn_type when authenticated.
func (s *Server) logSummary(r *http.Request, st *reqState, end time.Time, elapsed time.Duration) {
	if lv, ok := s.log.(interface{ IsLevelEnabled(logrus.Level) bool }); ok && !lv.IsLevelEnabled(logrus.InfoLevel) {
		return // the line would be dropped: spare building it
	}
	se := s.summaries
	if se.logger == nil {
		fields := make(logrus.Fields, summaryFieldCount)
		s.summaryFields(fields, r, st, end, elapsed)
		s.log.WithFields(fields).Info("request.summary")
		return
	}
	e := se.pool.Get().(*logrus.Entry)
	s.summaryFields(e.Data, r, st, end, elapsed)
	e.Log(logrus.InfoLevel, "request.summary")
	clear(e.Data) // keeps the buckets for the next line
	se.pool.Put(e)
}

// summaryFields fills f with the fields of the summary line. Values that
// are constants (the type, the usual methods and statuses) go in as
// interfaces of static data, so that only the request's own strings cost
// an allocation each.
func (s *Server) summaryFields(f logrus.Fields, r *http.Request, st *reqState, end time.Time, elapsed time.Duration) {
	var timeBuf [len(summaryTimeLayout) + 8]byte
	f["type"] = "request.summary" // mozlog Type in JSON logs
	f["agent"] = r.Header.Get("User-Agent")
	f["path"] = r.URL.Path
	f["method"] = methodField(r.Method)
	f["lang"] = r.Header.Get("Accept-Language")
	f["rid"] = st.rid
	f["errno"] = st.errno
	f["time"] = string(end.AppendFormat(timeBuf[:0], summaryTimeLayout))
	f["code"] = statusField(st.w.status)
	f["t"] = elapsed.Milliseconds()
	if qs := querystring(r, st); qs != nil {
		f["querystring"] = qs
	}
	if st.uid != "" {
		f["uid"] = st.uid
		f["authn_type"] = s.policyField(st.authType)
	}
}

// methodField is method as a log field value, without allocating for the
// methods the protocol serves.
func methodField(method string) any {
	switch method {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	}
	return method
}

// statusField is status as a log field value (an int, as before), without
// allocating for the statuses the protocol answers with: Go boxes only
// integers below 256 for free.
func statusField(status int) any {
	if status >= 0 && status < 256 {
		return status // Go boxes these without allocating
	}
	switch status {
	case http.StatusMovedPermanently:
		return http.StatusMovedPermanently
	case http.StatusFound:
		return http.StatusFound
	case http.StatusNotModified:
		return http.StatusNotModified
	case http.StatusTemporaryRedirect:
		return http.StatusTemporaryRedirect
	case http.StatusPermanentRedirect:
		return http.StatusPermanentRedirect
	case http.StatusBadRequest:
		return http.StatusBadRequest
	case http.StatusUnauthorized:
		return http.StatusUnauthorized
	case http.StatusForbidden:
		return http.StatusForbidden
	case http.StatusNotFound:
		return http.StatusNotFound
	case http.StatusMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case http.StatusNotAcceptable:
		return http.StatusNotAcceptable
	case http.StatusConflict:
		return http.StatusConflict
	case http.StatusGone:
		return http.StatusGone
	case http.StatusLengthRequired:
		return http.StatusLengthRequired
	case http.StatusPreconditionFailed:
		return http.StatusPreconditionFailed
	case http.StatusRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case http.StatusUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case http.StatusTooManyRequests:
		return http.StatusTooManyRequests
	case http.StatusInternalServerError:
		return http.StatusInternalServerError
	case http.StatusServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return status
}

// policyField is an authentication policy's name as a log field value:
// the name boxed once when the server was built, not per request.
func (s *Server) policyField(policy string) any {
	if v, ok := s.policyNames[policy]; ok {
		return v
	}
	return policy
}

// queryOf is r's query, parsed once per request for the code that only
// reads it (list parameters, _fields, the summary line); code that changes
// the values it gets (nextPage) parses its own with r.URL.Query.
func queryOf(r *http.Request) url.Values {
	return stateOf(r.Context()).queryValues(r)
}

// queryValues is r.URL.Query(), remembered on st (nil: not remembered)
// while r's raw query is the one parsed.
func (st *reqState) queryValues(r *http.Request) url.Values {
	if st == nil {
		return r.URL.Query()
	}
	if st.query == nil || st.queryRaw != r.URL.RawQuery {
		st.query = r.URL.Query()
		st.queryRaw = r.URL.RawQuery
	}
	return st.query
}
