package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// writeJSON answers v as JSON with the given status. The body is encoded
// before anything is written, so that an unencodable value still gets a
// proper 500 instead of a truncated answer.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	s.writeEncoded(w, r, status, func(dst []byte) ([]byte, error) {
		// Keep "<", ">" and "&" readable, as the reference does.
		return domain.AppendJSON(dst, v, false)
	})
}

// writeEncoded is writeJSON for a document that encode appends to dst.
func (s *Server) writeEncoded(w http.ResponseWriter, r *http.Request, status int, encode func(dst []byte) ([]byte, error)) {
	bp := bodyBuffers.Get().(*[]byte)
	buf, err := encode((*bp)[:0])
	if err != nil {
		s.logCause(r, err, http.StatusInternalServerError, errnoUndefined, "encode response")
		if st := stateOf(r.Context()); st != nil {
			st.errno = errnoUndefined
		}
		buf, _ = json.Marshal(s.internalError().body())
		buf = append(buf, '\n')
		status = http.StatusInternalServerError
	} else {
		buf = append(buf, '\n') // as json.Encoder ends a document
	}
	writeRaw(w, status, buf)
	// The writer has copied the body (net/http buffers it), so the buffer
	// can serve the next answer.
	if cap(buf) <= maxPooledBody && err == nil {
		*bp = buf
		bodyBuffers.Put(bp)
	}
}

// writeRaw answers an already encoded JSON document.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentValue
	h["Content-Length"] = []string{strconv.Itoa(len(body))} // canonical already
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
