package http

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// pageToken is the _token of a list page (PROTOCOL-core §7.4): where the
// previous page ended, in the order it was listed by. The engine hands out
// that position as a domain cursor (app.Page.Next, one SortValue per Sort);
// this type alone turns it into the opaque querystring value and back, so
// the wire form is written and read in one place.
type pageToken struct {
	// sort is the complete order of the list the page belongs to.
	sort []domain.Sort
	// after holds one SortValue per entry of sort.
	after []domain.SortValue
}

// maxTokenLength bounds the work decodePageToken does on hostile input.
const maxTokenLength = 1 << 16

// tokenJSON is the wire form of a token, before base64. Sort names the order
// the cursor belongs to ("-last_modified"), so that a token replayed with
// another _sort is refused instead of silently skipping objects. Tokens
// handed out by earlier versions may also hold a "nonce", which is ignored.
type tokenJSON struct {
	Sort []string         `json:"sort"`
	Last []tokenValueJSON `json:"last"`
}

type tokenValueJSON struct {
	Value   json.RawMessage `json:"value,omitempty"`
	Missing bool            `json:"missing,omitempty"`
}

// encode builds the opaque, URL-safe _token. Values keep their exact JSON
// text, so numbers round-trip exactly. It fails only on a cursor that does
// not fit the order, or on values JSON cannot represent, which decoded JSON
// never holds.
func (t pageToken) encode() (string, error) {
	if len(t.after) != len(t.sort) {
		return "", fmt.Errorf("encode page token: %d values for %d sort fields", len(t.after), len(t.sort))
	}
	tj := tokenJSON{Sort: sortNames(t.sort), Last: make([]tokenValueJSON, len(t.sort))}
	for i, v := range t.after {
		if v.Missing {
			tj.Last[i].Missing = true
			continue
		}
		raw, err := json.Marshal(v.Value)
		if err != nil {
			return "", fmt.Errorf("encode page token value of %s: %w", t.sort[i].Field, err)
		}
		tj.Last[i].Value = raw
	}
	b, err := json.Marshal(tj)
	if err != nil {
		return "", fmt.Errorf("encode page token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// decodePageToken reads a _token made by encode for the same sorts. Any
// other input (bad base64 or JSON, a token of another sort, a wrong number
// of values, a non-integer last_modified, a non-string id, a NUL character)
// fails with an Invalid error whose issue is the protocol's
// "_token has invalid content" in the querystring (name null, as Kinto).
func decodePageToken(s string, sorts []domain.Sort) (pageToken, error) {
	bad := func() (pageToken, error) { return pageToken{}, invalidPageToken() }
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
	t := pageToken{sort: sorts, after: make([]domain.SortValue, len(names))}
	for i, name := range names {
		if tj.Sort[i] != name {
			return bad()
		}
		lv := tj.Last[i]
		if lv.Missing {
			if lv.Value != nil || sorts[i].Field == "id" || sorts[i].Field == "last_modified" {
				return bad()
			}
			t.after[i] = domain.SortValue{Missing: true}
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
		t.after[i] = domain.SortValue{Value: v}
	}
	return t, nil
}

// invalidPageToken is the error of an unreadable _token.
func invalidPageToken() *domain.Error {
	return domain.InvalidField("http.decodePageToken", domain.InQuerystring, "", "_token has invalid content")
}

// sortNames renders an order as _sort writes it: "-field" when descending.
func sortNames(sorts []domain.Sort) []string {
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
