package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// writeJSON answers v as JSON with the given status. The body is encoded
// before anything is written, so that an unencodable value still gets a
// proper 500 instead of a truncated answer.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<", ">" and "&" readable, as the reference does
	if err := enc.Encode(v); err != nil {
		s.logCause(r, err, http.StatusInternalServerError, errnoUndefined, "encode response")
		if st := stateOf(r.Context()); st != nil {
			st.errno = errnoUndefined
		}
		buf.Reset()
		_ = json.NewEncoder(&buf).Encode(s.internalError().body())
		status = http.StatusInternalServerError
	}
	writeRaw(w, status, buf.Bytes())
}

// writeRaw answers an already encoded JSON document.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client gone away is not our error to report
}

// cacheExpires sets the cache headers the reference sends for an answer
// cacheable for seconds: a negative value sets nothing, zero forbids caching,
// a positive value allows it for that long.
func cacheExpires(h http.Header, seconds int, now time.Time) {
	switch {
	case seconds < 0:
		return
	case seconds == 0:
		h.Set("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate")
		h.Set("Pragma", "no-cache")
		h.Set("Expires", now.UTC().Format(http.TimeFormat))
	default:
		h.Set("Cache-Control", "max-age="+strconv.Itoa(seconds))
		h.Set("Expires", now.Add(time.Duration(seconds)*time.Second).UTC().Format(http.TimeFormat))
	}
}
