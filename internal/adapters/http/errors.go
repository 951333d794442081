package http

import (
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// The errnos of the protocol (PROTOCOL-core §3.2) that this adapter emits.
const (
	errnoMissingAuth        = 104
	errnoInvalidParameters  = 107
	errnoInvalidResourceID  = 110
	errnoMissingResource    = 111
	errnoRequestTooLarge    = 113
	errnoModifiedMeanwhile  = 114
	errnoMethodNotAllowed   = 115
	errnoVersionUnavailable = 116
	errnoForbidden          = 121
	errnoConstraint         = 122
	errnoBackend            = 201
	errnoServiceDeprecated  = 202
	errnoUndefined          = 999
)

// Client-facing messages fixed by the protocol (PROTOCOL-core §3.3).
const (
	msgNotFound         = "The resource you are looking for could not be found."
	msgVersion          = "The requested API version is not available on this server."
	msgMethodNotAllowed = "Method not allowed on this endpoint."
	msgUnauthenticated  = "Please authenticate yourself to use this endpoint."
	msgForbidden        = "This user cannot access this resource."
	msgModified         = "Resource was modified meanwhile"
	msgConflict         = "Integrity constraint violated, please retry."
	msgUnavailable      = "Service temporary unavailable due to overloading or maintenance, please retry later."
	msgDeprecated       = "The service you are trying to connect no longer exists at this location."
	msgInternal         = "A programmatic error occurred, developers have been informed."
	titleInvalid        = "Invalid parameters"
)

// statusFor is the one table from error kinds to status and errno. Kinds
// missing from it (Internal, unknown values) answer 500/999.
var statusFor = map[domain.Kind]struct{ code, errno int }{
	domain.Invalid:            {http.StatusBadRequest, errnoInvalidParameters},
	domain.NotFound:           {http.StatusNotFound, errnoInvalidResourceID},
	domain.MissingParent:      {http.StatusNotFound, errnoMissingResource},
	domain.Conflict:           {http.StatusConflict, errnoConstraint},
	domain.PreconditionFailed: {http.StatusPreconditionFailed, errnoModifiedMeanwhile},
	domain.Forbidden:          {http.StatusForbidden, errnoForbidden},
	domain.Unauthenticated:    {http.StatusUnauthorized, errnoMissingAuth},
	domain.Unavailable:        {http.StatusServiceUnavailable, errnoBackend},
	domain.MethodNotAllowed:   {http.StatusMethodNotAllowed, errnoMethodNotAllowed},
}

// apiError is a response already in the protocol's error format. The adapter
// builds one directly for transport failures (unknown URL, bad JSON, wrong
// content type) that never reach the app layer, and writeError builds one
// from a domain.Error.
type apiError struct {
	status  int
	errno   int
	title   string // the "error" key; empty means the status's reason phrase
	message string // omitted when empty
	info    string // omitted when empty
	details any    // omitted when nil
	header  http.Header
}

func (e *apiError) Error() string {
	return strconv.Itoa(e.status) + "/" + strconv.Itoa(e.errno) + ": " + e.message
}

// messageLimit bounds a message or a detail's name or description, in
// bytes: whatever layer built them, and whatever input they quote, an error
// answer stays small.
const messageLimit = 4 * quoteLimit

// maxDetails bounds how many issues an error answer lists.
const maxDetails = 50

// body returns the JSON envelope of PROTOCOL-core §3.1.
func (e *apiError) body() map[string]any {
	title := e.title
	if title == "" {
		title = http.StatusText(e.status)
	}
	b := map[string]any{"code": e.status, "errno": e.errno, "error": title}
	if e.message != "" {
		b["message"] = domain.CutText(e.message, messageLimit)
	}
	details := e.details
	if ds, ok := details.([]detail); ok {
		details = boundDetails(ds)
	}
	if e.info != "" {
		b["info"] = e.info
	}
	if details != nil {
		b["details"] = details
	}
	return b
}

// boundDetails cuts every text of ds to messageLimit and keeps at most
// maxDetails of them.
func boundDetails(ds []detail) []detail {
	if len(ds) > maxDetails {
		ds = ds[:maxDetails]
	}
	out := make([]detail, len(ds))
	for i, d := range ds {
		d.Description = domain.CutText(d.Description, messageLimit)
		if d.Name != nil {
			name := domain.CutText(*d.Name, messageLimit)
			d.Name = &name
		}
		out[i] = d
	}
	return out
}

// newAPIError builds a transport error with a message and no details.
func newAPIError(status, errno int, message string) *apiError {
	return &apiError{status: status, errno: errno, message: message}
}

// detail is one entry of a validation error's details. Name is a pointer
// because the protocol distinguishes null from the empty string (bad JSON
// bodies use "").
type detail struct {
	Location    string  `json:"location"`
	Name        *string `json:"name"`
	Description string  `json:"description"`
}

// invalidError builds the validation error of PROTOCOL-core §3.1 with the
// given status (400, or 406/415 for content negotiation): every issue in
// details, sorted by name, and the message built from the first.
func invalidError(status int, issues []detail) *apiError {
	sorted := append([]detail(nil), issues...)
	sort.SliceStable(sorted, func(i, j int) bool { return sortKey(sorted[i]) < sortKey(sorted[j]) })
	e := &apiError{status: status, errno: errnoInvalidParameters, title: titleInvalid}
	if len(sorted) > 0 {
		e.message = issueMessage(sorted[0])
		e.details = sorted
	}
	return e
}

// sortKey orders issues as the reference does: by the text of the name, in
// which null reads "None".
func sortKey(d detail) string {
	if d.Name == nil {
		return "None"
	}
	return *d.Name
}

// issueMessage is the protocol's message for one issue: the description when
// it already names the field, else "<name> in <location>: <description>", or
// "<location>: <description>" without a name.
func issueMessage(d detail) string {
	switch {
	case d.Name == nil:
		return d.Location + ": " + d.Description
	case strings.Contains(d.Description, *d.Name):
		return d.Description
	default:
		return *d.Name + " in " + d.Location + ": " + d.Description
	}
}

// headerIssue is an issue about a request header.
func headerIssue(name, description string) detail {
	return detail{Location: string(domain.InHeader), Name: &name, Description: description}
}

// bodyIssue is an issue about the body as a whole; the reference names it
// with the empty string, not null.
func bodyIssue(description string) detail {
	empty := ""
	return detail{Location: string(domain.InBody), Name: &empty, Description: description}
}

func issuesOf(in []domain.Issue) []detail {
	out := make([]detail, len(in))
	for i, is := range in {
		out[i] = detail{Location: string(is.Location), Description: is.Description}
		if is.Name != "" {
			name := is.Name
			out[i].Name = &name
		}
	}
	return out
}

// writeError answers err in the protocol's format. A *apiError is written as
// is; anything else is translated through statusFor. The cause of Internal
// and Unavailable errors is logged here, once, and never shown.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = s.fromDomain(r, err)
	}
	s.writeAPIError(w, r, ae)
}

// fromDomain translates an error from the app layer or a port.
func (s *Server) fromDomain(r *http.Request, err error) *apiError {
	de := domain.AsError(err)
	kind := domain.Internal
	if de != nil {
		kind = de.Kind
	}
	st, known := statusFor[kind]
	if !known {
		s.logCause(r, err, http.StatusInternalServerError, errnoUndefined, "internal error")
		return s.internalError()
	}
	ae := &apiError{status: st.code, errno: st.errno}
	custom := de.Message
	switch kind {
	case domain.Invalid:
		if len(de.Issues) > 0 {
			ae = invalidError(http.StatusBadRequest, issuesOf(de.Issues))
		} else {
			ae.title = titleInvalid
		}
		if custom != "" {
			ae.message = custom
		}
		return ae
	case domain.NotFound, domain.MissingParent:
		// No message: the reference only names the missing object.
		if de.ID != "" || de.Resource != "" {
			ae.details = map[string]any{"id": de.ID, "resource_name": de.Resource}
		}
		return ae
	case domain.Unavailable:
		s.logCause(r, err, st.code, st.errno, "backend unavailable")
		ae.message = msgUnavailable
		ae.header = http.Header{"Retry-After": {strconv.Itoa(s.cfg.RetryAfterSeconds)}}
		return ae
	case domain.Conflict:
		ae.message = orDefault(custom, msgConflict)
		ae.header = http.Header{"Retry-After": {strconv.Itoa(s.cfg.RetryAfterSeconds)}}
	case domain.PreconditionFailed:
		ae.message = orDefault(custom, msgModified)
	case domain.Forbidden:
		ae.message = orDefault(custom, msgForbidden)
	case domain.Unauthenticated:
		ae.message = orDefault(custom, msgUnauthenticated)
		ae.header = s.challengeHeader()
	case domain.MethodNotAllowed:
		ae.message = orDefault(custom, msgMethodNotAllowed)
	}
	if de.Existing != nil {
		ae.details = map[string]any{"existing": *de.Existing}
	}
	return ae
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// internalError is the 500 answer; its cause must have been logged already.
func (s *Server) internalError() *apiError {
	return &apiError{status: http.StatusInternalServerError, errno: errnoUndefined, message: msgInternal, info: s.cfg.ErrorInfoLink}
}

// notFound is the 404 of an unknown route.
func notFound() *apiError {
	return newAPIError(http.StatusNotFound, errnoMissingResource, msgNotFound)
}

// methodNotAllowed is the 405 of a method the route does not serve, or of a
// write on a read-only service (allow empty: no Allow header).
func methodNotAllowed(allow []string) *apiError {
	e := newAPIError(http.StatusMethodNotAllowed, errnoMethodNotAllowed, msgMethodNotAllowed)
	if len(allow) > 0 {
		e.header = http.Header{"Allow": {strings.Join(allow, ", ")}}
	}
	return e
}

// challengeHeader is the WWW-Authenticate of a 401: one challenge per policy
// that has one (Basic-type policies), comma-joined as the reference does.
func (s *Server) challengeHeader() http.Header {
	var cs []string
	for _, a := range s.auth {
		if c, ok := policyAs[challenger](a); ok {
			cs = append(cs, c.Challenge())
		}
	}
	if len(cs) == 0 {
		return nil
	}
	return http.Header{"Www-Authenticate": {strings.Join(cs, ", ")}}
}

// writeAPIError writes ae and records its errno for the summary log line.
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, ae *apiError) {
	if st := stateOf(r.Context()); st != nil {
		st.errno = ae.errno
	}
	s.discardBody(r)
	h := w.Header()
	for k, vs := range ae.header {
		h[k] = vs
	}
	s.writeJSON(w, r, ae.status, ae.body())
}

// discardBody reads what is left of r's body, up to MaxBodyBytes, before an
// error is answered. A refusal often comes before the body is read (401,
// 403, 415, 404); answering then would make net/http close the connection
// on a body over its own small threshold while the client is still
// sending, and the client would see a broken pipe rather than the answer,
// where the reference reads the body first. The server's read timeout
// bounds the wait; a body over the limit is left, and net/http closes the
// connection after the answer.
func (s *Server) discardBody(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	if s.cfg.MaxBodyBytes > 0 {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return // refused anyway as too large: reading it is wasted
		}
		_, _ = io.CopyN(io.Discard, r.Body, s.cfg.MaxBodyBytes)
		return
	}
	_, _ = io.Copy(io.Discard, r.Body)
}

// logCause logs the hidden cause of a 5xx answer.
func (s *Server) logCause(r *http.Request, err error, status, errno int, msg string) {
	s.logFor(r).WithError(err).WithFields(logrus.Fields{
		"method": r.Method,
		"path":   r.URL.Path,
		"errno":  errno,
	}).Error(msg)
	s.reportCause(r, err, status)
}

// reportCause hands the cause of a 5xx answer to the error reporter, with
// the request's method, path, user id and request id only.
func (s *Server) reportCause(r *http.Request, err error, status int) {
	if s.reporter == nil {
		return
	}
	in := ports.Incident{Method: r.Method, Path: r.URL.Path, Status: status}
	if st := stateOf(r.Context()); st != nil {
		in.UserID, in.RequestID = st.uid, st.rid
	}
	s.reporter.Report(r.Context(), err, in)
}
