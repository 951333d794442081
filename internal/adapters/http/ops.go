package http

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// setBackoff asks clients to slow down (PROTOCOL-core §9): on every answer,
// or on BackoffPercentage percent of them.
func (s *Server) setBackoff(h http.Header) {
	if s.cfg.Backoff <= 0 {
		return
	}
	if p := s.cfg.BackoffPercentage; p > 0 && p < 100 && rand.IntN(100) >= p {
		return
	}
	h.Set("Backoff", strconv.Itoa(s.cfg.Backoff))
}

// alert is the JSON value of the Alert header for code "soft-eol" or
// "hard-eol"; kinto-http parses it and warns the user.
func (s *Server) alert(code string) string {
	var msg *string
	if s.cfg.EOSMessage != "" {
		msg = &s.cfg.EOSMessage
	}
	link := s.cfg.EOSURL
	if link == "" {
		link = s.cfg.ProjectDocs
	}
	b, _ := json.Marshal(struct {
		Code    string  `json:"code"`
		Message *string `json:"message"`
		URL     string  `json:"url"`
	}{code, msg, link}) // cannot fail: strings only
	return string(b)
}

// ParseEOS reads an end-of-service setting: an ISO date ("2026-12-31",
// midnight UTC) or an RFC 3339 time. The service answers 410 from that
// instant on and warns with a soft-eol Alert before it.
func ParseEOS(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("eos %q: want a date like 2026-12-31 or an RFC 3339 time", s)
}
