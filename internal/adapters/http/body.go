package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// decodeBody reads the request body, at most MaxBodyBytes of it, and
// decodes it as a JSON object (see parseObject).
func (s *Server) decodeBody(r *http.Request) (map[string]any, error) {
	b, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	return parseObject(b)
}

// readBody reads the whole request body; one larger than MaxBodyBytes
// (when positive) is a 413 errno 113. Under a body budget
// (BodyMemoryBytes) the body's bytes are reserved before they are read
// and held until the request is done; no room in time is a 503 errno 201.
func (s *Server) readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if rb, ok := r.Body.(*readBack); ok && rb.Len() == len(rb.b) {
		_, _ = rb.Seek(0, io.SeekEnd) // read, as if copied out
		return rb.b, nil
	}
	max := s.cfg.MaxBodyBytes
	if max > 0 && r.ContentLength > max {
		return nil, tooLarge(max)
	}
	if hold := s.bodyHoldOf(r); hold != nil {
		b, err := s.readCounted(r.Context(), r.Body, r.ContentLength, max, hold)
		hold.read = err == nil
		return b, err
	}
	if max <= 0 {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, unreadable(err)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, unreadable(err)
	}
	if int64(len(b)) > max {
		return nil, tooLarge(max)
	}
	return b, nil
}

// readBack is a body already read and put back by a handler that peeked
// at it. readBody hands its bytes over as they are, rather than copy them
// into a second buffer that the budget would not count.
type readBack struct {
	*bytes.Reader
	b []byte
}

func (*readBack) Close() error { return nil }

// putBack makes b, read from r's body, r's body again, for the next
// handler to read.
func putBack(r *http.Request, b []byte) {
	r.Body = &readBack{Reader: bytes.NewReader(b), b: b}
	r.ContentLength = int64(len(b))
}

// bodyHoldOf returns the budget hold r's body must be read under, or nil
// when it is not counted: no budget, a body already read (and put back) by
// this request, or a batch subrequest, whose body is cut from the batch's
// and so already counted by the batch's hold.
func (s *Server) bodyHoldOf(r *http.Request) *bodyHold {
	if s.budget == nil {
		return nil
	}
	st := stateOf(r.Context())
	if st == nil || st.nested || st.body.read {
		return nil
	}
	st.body.budget = s.budget
	return &st.body
}

// unreadable is the answer to a body that cannot be read (a broken chunked
// encoding, a client that stopped sending): bad input, not a server bug.
func unreadable(err error) *apiError {
	return invalidError(http.StatusBadRequest, []detail{bodyIssue("Could not read the request body: " + err.Error())})
}

func tooLarge(max int64) *apiError {
	return newAPIError(http.StatusRequestEntityTooLarge, errnoRequestTooLarge,
		fmt.Sprintf("Request body is larger than %d bytes.", max))
}

// parseObject decodes a body that must be a JSON object (PROTOCOL-core
// §1.2): empty is {}, numbers stay json.Number so that they round-trip
// exactly, and anything else is a 400 errno 107 shaped like the
// reference's.
func parseObject(b []byte) (map[string]any, error) {
	v, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case map[string]any:
		return t, nil
	case []any:
		// The reference's schema message, with the value as Python prints it.
		msg := `"` + pyRepr(t) + `" is not a mapping type: Does not implement dict-like functionality.`
		return nil, invalidError(http.StatusBadRequest, []detail{bodyIssue(msg)})
	}
	return nil, badBody("Should be a JSON object or an array") // unreachable: parseJSON refuses scalars
}

// parseJSON decodes a body that must be a JSON object or array (a JSON
// Patch is an array); empty is {}.
func parseJSON(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return map[string]any{}, nil
	}
	if !utf8.Valid(b) {
		return nil, badBody("Invalid JSON: body is not valid UTF-8")
	}
	if v, ok := decodeJSONFast(b); ok {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, badBody("Invalid JSON: " + jsonErrorText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badBody(fmt.Sprintf("Invalid JSON: extra data after the value (char %d)", dec.InputOffset()))
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, nil
	}
	return nil, badBody("Should be a JSON object or an array")
}

// jsonErrorText describes a decoding error with its position.
func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (char %d)", se.Error(), se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

// badBody is a 400 about the body as a whole. The reference also lists a
// second "Required" issue, because its schema then sees no body at all.
func badBody(description string) *apiError {
	return invalidError(http.StatusBadRequest, []detail{bodyIssue(description), bodyIssue("Required")})
}

// quoteLimit bounds, in bytes, what a message or detail quotes of the
// client's input. The reference quotes whole values; a bounded excerpt
// keeps a large invalid body from being echoed back several times over.
const quoteLimit = 256

// pyRepr prints a value as the reference quotes it in messages, cut after
// quoteLimit bytes.
func pyRepr(v any) string { return domain.PyRepr(v) }
