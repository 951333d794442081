package http

import (
	"errors"
	"net/http"
	"time"
)

// Hooks giving package http_test access to the helpers that resource
// handlers, written later inside this package, will call.

// WriteError exposes (*Server).writeError.
func WriteError(s *Server, w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
}

// WriteJSON exposes (*Server).writeJSON.
func WriteJSON(s *Server, w http.ResponseWriter, r *http.Request, status int, v any) {
	s.writeJSON(w, r, status, v)
}

// DecodeBody exposes (*Server).decodeBody.
func DecodeBody(s *Server, r *http.Request) (map[string]any, error) { return s.decodeBody(r) }

// BaseURL exposes (*Server).baseURL; APIURL (*Server).apiURL.
func BaseURL(s *Server, r *http.Request) string { return s.baseURL(r) }
func APIURL(s *Server, r *http.Request) string  { return s.apiURL(r) }

// SetNow replaces the server's clock.
func SetNow(s *Server, now func() time.Time) { s.now = now }

// PathVar exposes pathVar.
func PathVar(r *http.Request, name string) string { return pathVar(r, name) }

var (
	ParseJSON        = parseJSON
	CheckAccept      = checkAccept
	CheckContentType = checkContentType
)

// ErrorShape returns the status, errno and message a transport error
// answers with; ok is false for errors that are not already answers.
func ErrorShape(err error) (status, errno int, message string, ok bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		return 0, 0, "", false
	}
	return ae.status, ae.errno, ae.message, true
}

// ReadBody exposes (*Server).readBody.
func ReadBody(s *Server, r *http.Request) ([]byte, error) { return s.readBody(r) }

// BodyBudgetInUse is the number of body bytes reserved now, and
// BodyBudgetWaiting the number of requests waiting for room (0 without a
// budget).
func BodyBudgetInUse(s *Server) int64 {
	if s.budget == nil {
		return 0
	}
	return s.budget.inUse.Load()
}

func BodyBudgetWaiting(s *Server) int64 {
	if s.budget == nil {
		return 0
	}
	return s.budget.waiting.Load()
}
