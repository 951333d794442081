package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the JSON encoding of v to dst, byte for byte what
// encoding/json writes (map keys sorted, the same string escapes; HTML
// characters escaped when escapeHTML is set), without its per-value
// reflection and allocations for the shapes decoded JSON and records take.
// Other values go through encoding/json. It exists because the request path
// encodes a record or a log line per request, and encoding/json's map
// encoder allocates several times per key.
func AppendJSON(dst []byte, v any, escapeHTML bool) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return AppendJSONString(dst, x, escapeHTML), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case json.Number:
		if x == "" {
			return append(dst, '0'), nil
		}
		if !validNumber(string(x)) {
			return dst, fmt.Errorf("json: invalid number literal %q", string(x))
		}
		return append(dst, x...), nil
	case Record:
		// Always HTML escaped: MarshalJSON is json.Marshal's output, which
		// an Encoder copies without undoing its escapes.
		return x.AppendJSON(dst, true)
	case map[string]any:
		return appendMap(dst, x, escapeHTML, AppendJSON)
	case map[string]string:
		return appendMap(dst, x, escapeHTML, appendString)
	case map[string][]string:
		return appendMap(dst, x, escapeHTML, appendStrings)
	case []string:
		return appendStrings(dst, x, escapeHTML)
	case []any:
		return appendList(dst, x, escapeHTML, AppendJSON)
	}
	return appendSlow(dst, v, escapeHTML)
}

// appendSlow is encoding/json for the shapes AppendJSON does not know.
func appendSlow(dst []byte, v any, escapeHTML bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// smallKeys is how many keys an object may have for its sorted keys to be
// kept on the stack while it is encoded.
const smallKeys = 16

// sortedKeys appends the keys of m to keys, sorted. Callers pass the
// empty slice of an array of their own, so that an object of up to
// smallKeys keys costs no allocation.
func sortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendMap appends m as a JSON object, keys sorted, each value through
// value: typed per value so that no value is boxed into an interface.
func appendMap[V any](dst []byte, m map[string]V, escapeHTML bool, value func([]byte, V, bool) ([]byte, error)) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	var keysArr [smallKeys]string
	dst = append(dst, '{')
	for i, k := range sortedKeys(keysArr[:0], m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, k, escapeHTML)
		dst = append(dst, ':')
		var err error
		if dst, err = value(dst, m[k], escapeHTML); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendList appends l as a JSON array, each element through value.
func appendList[V any](dst []byte, l []V, escapeHTML bool, value func([]byte, V, bool) ([]byte, error)) ([]byte, error) {
	if l == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '[')
	for i, e := range l {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = value(dst, e, escapeHTML); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

func appendString(dst []byte, s string, escapeHTML bool) ([]byte, error) {
	return AppendJSONString(dst, s, escapeHTML), nil
}

func appendStrings(dst []byte, l []string, escapeHTML bool) ([]byte, error) {
	return appendList(dst, l, escapeHTML, appendString)
}

// AppendJSON appends the protocol form of r (what MarshalJSON writes)
// without building the map of Map.
func (r Record) AppendJSON(dst []byte, escapeHTML bool) ([]byte, error) {
	var keysArr [smallKeys]string
	keys := keysArr[:0]
	if !r.Deleted {
		for k := range r.Data {
			if k != "id" && k != "last_modified" {
				keys = append(keys, k)
			}
		}
	}
	keys = append(keys, "id", "last_modified")
	if r.Deleted {
		keys = append(keys, "deleted")
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, k, escapeHTML)
		dst = append(dst, ':')
		switch {
		case k == "id":
			dst = AppendJSONString(dst, r.ID, escapeHTML)
		case k == "last_modified":
			dst = strconv.AppendInt(dst, r.LastModified, 10)
		case k == "deleted" && r.Deleted:
			dst = append(dst, "true"...)
		default:
			var err error
			if dst, err = AppendJSON(dst, r.Data[k], escapeHTML); err != nil {
				return dst, err
			}
		}
	}
	return append(dst, '}'), nil
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string with encoding/json's escapes.
func AppendJSONString(dst []byte, s string, escapeHTML bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && (!escapeHTML || (b != '<' && b != '>' && b != '&')) {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	default:
		return false
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}
