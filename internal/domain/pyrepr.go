package domain

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// PyRepr prints a decoded JSON value the way Python's repr does, which is
// how Kinto quotes values in its error messages.
func PyRepr(v any) string { return PyReprLimit(v, 0) }

// PyReprLimit is PyRepr cut after about limit bytes, ending with "...",
// for messages that quote client input: a large invalid body must not be
// echoed back whole. It stops printing once past the limit rather than
// print everything and cut, so the cost is bounded too. limit <= 0 means
// no limit.
func PyReprLimit(v any, limit int) string {
	b := reprBuilder{limit: limit}
	b.repr(v)
	if b.cut {
		return CutText(b.String(), limit)
	}
	return b.String()
}

// CutText returns s when it has at most limit bytes, else its first bytes
// up to limit (never splitting a character) followed by "...".
func CutText(s string, limit int) string {
	if limit <= 0 || len(s) <= limit {
		return s
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// reprBuilder writes a repr and notes when it went past its limit.
type reprBuilder struct {
	strings.Builder
	limit int
	cut   bool
}

// full reports, once past the limit, that nothing more need be written.
func (b *reprBuilder) full() bool {
	if b.limit > 0 && b.Len() > b.limit {
		b.cut = true
	}
	return b.cut
}

func (b *reprBuilder) repr(v any) {
	if b.full() {
		return
	}
	switch t := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if t {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case json.Number:
		b.WriteString(t.String())
	case string:
		b.stringRepr(t)
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			b.repr(e)
			if b.full() {
				break
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := slices.Sorted(maps.Keys(t))
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.stringRepr(k)
			b.WriteString(": ")
			b.repr(t[k])
			if b.full() {
				break
			}
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, t)
	}
}

// writeStringRepr quotes like Python: single quotes, unless the string has
// some and no double quotes.
func (b *reprBuilder) stringRepr(s string) {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	b.WriteByte(q)
	for _, r := range s {
		if b.full() {
			return
		}
		switch {
		case r == '\\' || r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
}
