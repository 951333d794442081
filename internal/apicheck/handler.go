package apicheck

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
)

// Handler serves h and hands every exchange to report with the checker's
// verdict (nil when it validates). checkRequest decides, per request,
// whether the request itself must validate too (a test that sends a bad
// request on purpose says no). For in-process tests: answers are buffered.
func (c *Checker) Handler(h http.Handler, checkRequest func(*http.Request) bool, report func(Exchange, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "apicheck: reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		x := Exchange{Request: r, RequestBody: body, Status: rec.Code, Header: rec.Header().Clone(), Body: rec.Body.Bytes()}
		report(x, c.Check(r.Context(), x, checkRequest(r)))
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
