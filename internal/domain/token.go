package domain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Token is the content of a pagination token (_token): the position of the
// last object of the previous page, and an optional nonce that the DELETE
// list action stores to make its tokens single-use (PROTOCOL-core §7.4).
type Token struct {
	// After holds one SortValue per Sort of the request.
	After []SortValue
	// Nonce is opaque to the domain; empty when unused.
	Nonce string
}

// maxTokenLength bounds the work DecodeToken does on hostile input.
const maxTokenLength = 1 << 16

// tokenJSON is the wire form of a token, before base64. Sort names the order
// the cursor belongs to ("-last_modified"), so that a token replayed with
// another _sort is refused instead of silently skipping objects.
type tokenJSON struct {
	Sort  []string         `json:"sort"`
	Last  []tokenValueJSON `json:"last"`
	Nonce string           `json:"nonce,omitempty"`
}

type tokenValueJSON struct {
	Value   json.RawMessage `json:"value,omitempty"`
	Missing bool            `json:"missing,omitempty"`
}

// EncodeToken builds the opaque, URL-safe _token of a page that ends at
// t.After in the order sorts. Values keep their exact JSON text, so numbers
// round-trip exactly. It fails only on values JSON cannot represent, which
// decoded JSON never holds.
func EncodeToken(sorts []Sort, t Token) (string, error) {
	if len(t.After) != len(sorts) {
		return "", fmt.Errorf("encode token: %d values for %d sort fields", len(t.After), len(sorts))
	}
	tj := tokenJSON{Sort: sortNames(sorts), Last: make([]tokenValueJSON, len(sorts)), Nonce: t.Nonce}
	for i, v := range t.After {
		if v.Missing {
			tj.Last[i].Missing = true
			continue
		}
		raw, err := json.Marshal(v.Value)
		if err != nil {
			return "", fmt.Errorf("encode token value of %s: %w", sorts[i].Field, err)
		}
		tj.Last[i].Value = raw
	}
	b, err := json.Marshal(tj)
	if err != nil {
		return "", fmt.Errorf("encode token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// DecodeToken reads a _token made by EncodeToken for the same sorts. Any
// other input (bad base64 or JSON, a token of another sort, a wrong number
// of values, a non-integer last_modified, a non-string id, a NUL character)
// fails with an Invalid error whose issue is the protocol's
// "_token has invalid content" in the querystring (name null, as Kinto).
func DecodeToken(s string, sorts []Sort) (Token, error) {
	bad := func() (Token, error) { return Token{}, InvalidToken() }
	if len(s) > maxTokenLength {
		return bad()
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return bad()
	}
	var tj tokenJSON
	if err := json.Unmarshal(raw, &tj); err != nil {
		return bad()
	}
	names := sortNames(sorts)
	if len(tj.Sort) != len(names) || len(tj.Last) != len(names) {
		return bad()
	}
	t := Token{After: make([]SortValue, len(names)), Nonce: tj.Nonce}
	for i, name := range names {
		if tj.Sort[i] != name {
			return bad()
		}
		lv := tj.Last[i]
		if lv.Missing {
			if lv.Value != nil || sorts[i].Field == "id" || sorts[i].Field == "last_modified" {
				return bad()
			}
			t.After[i] = SortValue{Missing: true}
			continue
		}
		if lv.Value == nil {
			return bad()
		}
		v, err := decodeJSONValue(lv.Value)
		if err != nil || hasNUL(v) {
			return bad()
		}
		switch sorts[i].Field {
		case "id":
			if _, ok := v.(string); !ok {
				return bad()
			}
		case "last_modified":
			n, ok := v.(json.Number)
			if !ok {
				return bad()
			}
			if _, err := n.Int64(); err != nil {
				return bad()
			}
		}
		t.After[i] = SortValue{Value: v}
	}
	return t, nil
}

// InvalidToken is the error of an unreadable _token.
func InvalidToken() *Error {
	return InvalidField("domain.DecodeToken", InQuerystring, "", "_token has invalid content")
}

// TokenExpired is the error of a DELETE list token that was already used or
// has expired (its nonce is gone).
func TokenExpired() *Error {
	return InvalidField("domain.DecodeToken", InQuerystring, "", "_token was already used or has expired.")
}

func sortNames(sorts []Sort) []string {
	names := make([]string, len(sorts))
	for i, s := range sorts {
		if s.Desc {
			names[i] = "-" + s.Field
		} else {
			names[i] = s.Field
		}
	}
	return names
}

// decodeJSONValue decodes exactly one JSON value, numbers as json.Number.
func decodeJSONValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

// hasNUL reports whether a decoded value holds a NUL character in a string
// or a key; Postgres cannot store those in jsonb.
func hasNUL(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.IndexByte(t, 0) >= 0
	case []any:
		for _, e := range t {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range t {
			if strings.IndexByte(k, 0) >= 0 || hasNUL(e) {
				return true
			}
		}
	}
	return false
}
