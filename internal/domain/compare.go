package domain

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Value classes, in the protocol's cross-type order (PROTOCOL-core §7.2):
// null < string < number < boolean < array < object. A missing field sorts
// above all of them; callers handle it because "missing" is not a value.
const (
	classNull = iota
	classString
	classNumber
	classBool
	classArray
	classObject
	// classOther holds Go values that decoded JSON never produces; they sort
	// last so that Compare stays a total order even on programming errors.
	classOther
)

func classOf(v any) int {
	switch v.(type) {
	case nil:
		return classNull
	case string:
		return classString
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return classNumber
	case bool:
		return classBool
	case []any:
		return classArray
	case map[string]any:
		return classObject
	}
	return classOther
}

// Compare orders two decoded JSON values the way the reference Postgres
// backend orders jsonb values, and returns -1, 0 or +1.
//
// Values of different types follow null < string < number < boolean < array
// < object. Strings compare bytewise. Numbers compare exactly by value
// (json.Number, float64 and Go integers mix freely; 1, 1.0 and 1e0 are
// equal; big integers keep every digit). false < true. Arrays compare by
// length first, then element by element; objects by number of keys first,
// then key by key in (length, bytes) key order, key before value.
func Compare(a, b any) int {
	ca, cb := classOf(a), classOf(b)
	if ca != cb {
		return cmp.Compare(ca, cb)
	}
	switch ca {
	case classString:
		return strings.Compare(a.(string), b.(string))
	case classNumber:
		if x, ok := a.(int64); ok {
			if y, ok := b.(int64); ok {
				return cmp.Compare(x, y)
			}
		}
		return compareNumbers(numberText(a), numberText(b))
	case classBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		default:
			return 1
		}
	case classArray:
		x, y := a.([]any), b.([]any)
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c
		}
		for i := range x {
			if c := Compare(x[i], y[i]); c != 0 {
				return c
			}
		}
		return 0
	case classObject:
		x, y := a.(map[string]any), b.(map[string]any)
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c
		}
		// Keys are walked in jsonb storage order, but each pair is compared
		// bytewise, as Postgres does ("C" collation).
		kx, ky := objectKeys(x), objectKeys(y)
		for i := range kx {
			if c := strings.Compare(kx[i], ky[i]); c != 0 {
				return c
			}
			if c := Compare(x[kx[i]], y[ky[i]]); c != 0 {
				return c
			}
		}
		return 0
	}
	return 0
}

// Equal reports whether two decoded JSON values are equal in the sense of
// Compare: same type class and same value (numbers by value).
func Equal(a, b any) bool { return Compare(a, b) == 0 }

// objectKeys returns the keys of m in jsonb storage order: shorter keys
// first, then bytewise.
func objectKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return compareKeys(keys[i], keys[j]) < 0 })
	return keys
}

func compareKeys(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// numberText returns the decimal text of a numeric Go value.
func numberText(v any) string {
	switch n := v.(type) {
	case json.Number:
		return string(n)
	case float64:
		return formatFloat(n)
	case float32:
		return formatFloat(float64(n))
	case int:
		return strconv.FormatInt(int64(n), 10)
	case int8:
		return strconv.FormatInt(int64(n), 10)
	case int16:
		return strconv.FormatInt(int64(n), 10)
	case int32:
		return strconv.FormatInt(int64(n), 10)
	case int64:
		return strconv.FormatInt(n, 10)
	case uint:
		return strconv.FormatUint(uint64(n), 10)
	case uint8:
		return strconv.FormatUint(uint64(n), 10)
	case uint16:
		return strconv.FormatUint(uint64(n), 10)
	case uint32:
		return strconv.FormatUint(uint64(n), 10)
	case uint64:
		return strconv.FormatUint(n, 10)
	}
	return "0"
}

func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "0"
	case math.IsInf(f, 1):
		return "1e999999999"
	case math.IsInf(f, -1):
		return "-1e999999999"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// compareNumbers compares two JSON number texts exactly. Integers that fit
// in int64 take a fast path; everything else goes through an exact decimal
// comparison that never builds big numbers, so "1e999999999" costs nothing.
func compareNumbers(x, y string) int {
	if x == y {
		return 0
	}
	if isNatural(x) && isNatural(y) {
		// JSON integers have no leading zeros: longer is larger.
		if c := cmp.Compare(len(x), len(y)); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	}
	if a, err := strconv.ParseInt(x, 10, 64); err == nil {
		if b, err := strconv.ParseInt(y, 10, 64); err == nil {
			return cmp.Compare(a, b)
		}
	}
	dx, okx := parseDecimal(x)
	dy, oky := parseDecimal(y)
	if !okx || !oky {
		// Malformed numbers only come from code, never from JSON; keep the
		// order total anyway.
		return strings.Compare(x, y)
	}
	return dx.compare(dy)
}

// decimal is a number as 0.digits × 10^exp, digits without leading or
// trailing zeros; zero has no digits.
type decimal struct {
	neg    bool
	digits string
	exp    int64
}

const maxExponent = 1 << 50 // clamp, far beyond any float and cheap to add

func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	frac := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return d, false
	}
	var exp int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			if exp < maxExponent {
				exp = exp*10 + int64(s[i]-'0')
			}
			i++
		}
		if es == i {
			return d, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return d, false
	}
	digits := intPart + frac
	d.exp = int64(len(intPart)) + exp
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	d.exp -= int64(lead)
	digits = strings.TrimRight(digits[lead:], "0")
	d.digits = digits
	if digits == "" {
		d.neg = false
		d.exp = 0
	}
	return d, true
}

// isNatural reports whether s is a JSON non-negative integer: digits, no
// leading zero.
func isNatural(s string) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (d decimal) sign() int {
	switch {
	case d.digits == "":
		return 0
	case d.neg:
		return -1
	default:
		return 1
	}
}

func (d decimal) compare(o decimal) int {
	sd, so := d.sign(), o.sign()
	if sd != so {
		return cmp.Compare(sd, so)
	}
	if sd == 0 {
		return 0
	}
	m := cmp.Compare(d.exp, o.exp)
	if m == 0 {
		// Trailing zeros are stripped, so plain string order is numeric
		// order for equal magnitudes ("12" < "123" as 0.12 < 0.123).
		m = strings.Compare(d.digits, o.digits)
	}
	if sd < 0 {
		return -m
	}
	return m
}

// jsonContains reports whether have contains want in the sense of
// Postgres's jsonb @> operator: objects contain subsets of their keys with
// contained values, arrays contain arrays whose every element is contained
// in one of theirs, scalars contain equal scalars. Types must match at every
// level.
func jsonContains(have, want any) bool {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			hv, ok := h[k]
			if !ok || !jsonContains(hv, wv) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok {
			return false
		}
		for _, wv := range w {
			found := false
			for _, hv := range h {
				if jsonContains(hv, wv) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return classOf(have) == classOf(want) && Compare(have, want) == 0
}

// jsonText renders a value the way Postgres's ->> operator does, which is
// what like_ matches against: strings unquoted, other values as jsonb text
// ({"a": 1, "b": [1, 2]}). It reports false for null, which ->> turns into
// SQL NULL.
func jsonText(v any) (string, bool) {
	switch t := v.(type) {
	case nil:
		return "", false
	case string:
		return t, true
	}
	var b strings.Builder
	writeJSONText(&b, v)
	return b.String(), true
}

func writeJSONText(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		writeJSONString(b, t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONText(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range objectKeys(t) {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSONString(b, k)
			b.WriteString(": ")
			writeJSONText(b, t[k])
		}
		b.WriteByte('}')
	default:
		if classOf(v) == classNumber {
			b.WriteString(numberText(v))
		}
	}
}

// writeJSONString quotes s as Postgres's jsonb text does: quotes,
// backslashes and control characters escaped, everything else (<, >, &,
// U+2028…) as is, unlike encoding/json, so that like_ matches what the
// Postgres backend matches.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
