package http

import (
	"encoding/json"
)

// fastJSONMaxDepth bounds the nesting the fast decoder follows; deeper
// documents (and encoding/json's own depth error) are left to
// encoding/json.
const fastJSONMaxDepth = 256

// decodeJSONFast decodes a well-formed JSON object or array, already known
// to be UTF-8, into exactly the values encoding/json's Decoder with
// UseNumber gives (map[string]any, []any, string, json.Number, bool, nil).
// ok is false for anything else: invalid JSON, a scalar document, data
// after the value, deep nesting. The caller then decodes with
// encoding/json, whose error messages the answers quote; this path exists
// because encoding/json's decoder costs about twice the allocations of the
// values it builds, on every write.
//
// The document is copied into one string, and the keys and the strings
// without escapes are substrings of it: no allocation of their own. (They
// keep that string alive while any of them is, at most the body's size.)
func decodeJSONFast(b []byte) (v any, ok bool) {
	d := fastDecoder{src: string(b)}
	d.elems = d.elemsArr[:0]
	d.skipSpace()
	if d.pos >= len(d.src) || (d.src[d.pos] != '{' && d.src[d.pos] != '[') {
		return nil, false
	}
	if v, ok = d.value(); !ok {
		return nil, false
	}
	d.skipSpace()
	if d.pos != len(d.src) {
		return nil, false
	}
	return v, true
}

// fastDecoder is the state of decodeJSONFast.
type fastDecoder struct {
	src   string
	pos   int
	depth int
	// elems holds the elements of the arrays being decoded, innermost
	// last, so that each array is allocated once at its final length; it
	// starts in elemsArr, on the stack.
	elems    []any
	elemsArr [16]any
}

func (d *fastDecoder) skipSpace() {
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// value decodes the value at pos.
func (d *fastDecoder) value() (any, bool) {
	if d.pos >= len(d.src) {
		return nil, false
	}
	switch c := d.src[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, ok := d.str()
		if !ok {
			return nil, false
		}
		return s, true
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, false
}

// literal consumes word if it is at pos.
func (d *fastDecoder) literal(word string) bool {
	if len(d.src)-d.pos < len(word) || d.src[d.pos:d.pos+len(word)] != word {
		return false
	}
	d.pos += len(word)
	return true
}

func (d *fastDecoder) object() (any, bool) {
	if d.depth++; d.depth > fastJSONMaxDepth {
		return nil, false
	}
	d.pos++ // {
	m := map[string]any{}
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == '}' {
		d.pos++
		d.depth--
		return m, true
	}
	for {
		d.skipSpace()
		if d.pos >= len(d.src) || d.src[d.pos] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if d.pos >= len(d.src) || d.src[d.pos] != ':' {
			return nil, false
		}
		d.pos++
		d.skipSpace()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		m[k] = v // the last of duplicate keys wins, as in encoding/json
		d.skipSpace()
		if d.pos >= len(d.src) {
			return nil, false
		}
		switch d.src[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

func (d *fastDecoder) array() (any, bool) {
	if d.depth++; d.depth > fastJSONMaxDepth {
		return nil, false
	}
	d.pos++ // [
	base := len(d.elems)
	d.skipSpace()
	if d.pos < len(d.src) && d.src[d.pos] == ']' {
		d.pos++
		d.depth--
		return []any{}, true // empty, not nil, as encoding/json decodes it
	}
	for {
		d.skipSpace()
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		d.elems = append(d.elems, v)
		d.skipSpace()
		if d.pos >= len(d.src) {
			return nil, false
		}
		switch d.src[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			out := make([]any, len(d.elems)-base)
			copy(out, d.elems[base:])
			clear(d.elems[base:])
			d.elems = d.elems[:base]
			return out, true
		default:
			return nil, false
		}
	}
}

// str decodes the string at pos. A string without escapes is a substring
// of the document; one with escapes is rare enough to hand to
// encoding/json, whose rules (surrogate pairs, invalid escapes) it then
// follows exactly.
func (d *fastDecoder) str() (string, bool) {
	start := d.pos
	d.pos++ // opening quote
	escaped := false
	for d.pos < len(d.src) {
		c := d.src[d.pos]
		switch {
		case c == '"':
			d.pos++
			if !escaped {
				return d.src[start+1 : d.pos-1], true
			}
			var s string
			if err := json.Unmarshal([]byte(d.src[start:d.pos]), &s); err != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			escaped = true
			d.pos += 2 // the escaped byte is never the closing quote
		case c < 0x20:
			return "", false // control characters must be escaped
		default:
			d.pos++
		}
	}
	return "", false
}

// number decodes the number at pos as json.Number, after checking the JSON
// grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (d *fastDecoder) number() (any, bool) {
	start := d.pos
	if d.src[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos < len(d.src) && d.src[d.pos] == '0':
		d.pos++
	case d.pos < len(d.src) && d.src[d.pos] >= '1' && d.src[d.pos] <= '9':
		d.digits()
	default:
		return nil, false
	}
	if d.pos < len(d.src) && d.src[d.pos] == '.' {
		d.pos++
		if d.digits() == 0 {
			return nil, false
		}
	}
	if d.pos < len(d.src) && (d.src[d.pos] == 'e' || d.src[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.src) && (d.src[d.pos] == '+' || d.src[d.pos] == '-') {
			d.pos++
		}
		if d.digits() == 0 {
			return nil, false
		}
	}
	return json.Number(d.src[start:d.pos]), true
}

// digits consumes a run of digits and returns its length.
func (d *fastDecoder) digits() int {
	start := d.pos
	for d.pos < len(d.src) && d.src[d.pos] >= '0' && d.src[d.pos] <= '9' {
		d.pos++
	}
	return d.pos - start
}
