package domain

import (
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Match reports whether rec satisfies f, with the semantics of the reference
// Postgres backend (PROTOCOL-core §7.2):
//
//   - eq / in: the field is present and equal (Compare) to the value, or to
//     one of the values; types are exact (5 ≠ "5"), 1 = 1.0.
//   - not / exclude: the field is missing or differs from the value(s).
//   - lt / max: the field is present and < / <= the value (cross-type order).
//   - gt / min: the field is missing (it sorts above all) or > / >= the value.
//   - like: the field's text (strings as is, other non-null values as jsonb
//     text) matches the pattern case-insensitively; '*' is a wildcard; a
//     pattern without '*' matches anywhere (substring); '%' and '_' are SQL
//     wildcards and '\' escapes the next character, as ILIKE does. A missing
//     or null field never matches; a non-string pattern never matches.
//   - has: the field is present (null counts) when the value is truthy,
//     absent otherwise.
//   - contains: the field is an array containing every value (jsonb @>).
//   - contains_any: the field is an array holding at least one of the values.
//
// For in, exclude, contains and contains_any the Value is a []any; any other
// value is taken as a one-element list. An empty in list matches nothing, an
// empty exclude list everything. An unknown operator matches nothing.
func Match(rec Record, f Filter) bool {
	v, present := fieldOf(rec, f.Field)
	switch f.Op {
	case OpEq, "":
		return present && Compare(v, f.Value) == 0
	case OpNot:
		return !present || Compare(v, f.Value) != 0
	case OpLt:
		return present && Compare(v, f.Value) < 0
	case OpMax:
		return present && Compare(v, f.Value) <= 0
	case OpGt:
		return !present || Compare(v, f.Value) > 0
	case OpMin:
		return !present || Compare(v, f.Value) >= 0
	case OpIn:
		return present && inList(v, asList(f.Value))
	case OpExclude:
		return !present || !inList(v, asList(f.Value))
	case OpLike:
		pattern, ok := f.Value.(string)
		if !present || !ok {
			return false
		}
		text, ok := jsonText(v)
		return ok && Like(text, pattern)
	case OpHas:
		return present == Truthy(f.Value)
	case OpContains:
		arr, ok := v.([]any)
		return present && ok && jsonContains(arr, asList(f.Value))
	case OpContainsAny:
		arr, ok := v.([]any)
		if !present || !ok {
			return false
		}
		for _, e := range arr {
			if inList(e, asList(f.Value)) {
				return true
			}
		}
		return false
	}
	return false
}

// MatchAll reports whether rec satisfies every filter (filters are ANDed).
func MatchAll(rec Record, filters []Filter) bool {
	for _, f := range filters {
		if !Match(rec, f) {
			return false
		}
	}
	return true
}

// fieldOf is Record.Field without the formatting cost for last_modified,
// which every timestamp filter and the default sort read.
func fieldOf(rec Record, path string) (any, bool) {
	if path == "last_modified" {
		return json.Number(strconv.FormatInt(rec.LastModified, 10)), true
	}
	return rec.Field(path)
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func inList(v any, list []any) bool {
	for _, e := range list {
		if Compare(v, e) == 0 {
			return true
		}
	}
	return false
}

// Truthy reports whether a decoded querystring value counts as true, as
// Python's truth test does in the reference: null, false, zero, "" and
// empty arrays or objects are false, everything else true.
func Truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	if classOf(v) == classNumber {
		d, ok := parseDecimal(numberText(v))
		return !ok || d.sign() != 0
	}
	return true
}

// likeToken is one element of a compiled like pattern.
type likeToken struct {
	kind int // likeRune, likeOne ('_'), likeMany ('%' or '*')
	r    rune
}

const (
	likeRune = iota
	likeOne
	likeMany
)

// Like reports whether text matches a like_ filter value as the reference
// Postgres backend evaluates it: '*' becomes '%', a value without '*' is
// wrapped in '%…%' (substring), then ILIKE applies: case-insensitive, '%'
// any run, '_' any one character, '\' escapes the next character. It runs
// in O(len(text)·len(pattern)) time whatever the pattern.
func Like(text, value string) bool {
	var toks []likeToken
	hasStar := false
	for _, r := range value {
		if r == '*' {
			hasStar = true
			break
		}
	}
	if !hasStar {
		toks = append(toks, likeToken{kind: likeMany})
	}
	escaped := false
	for _, r := range value {
		switch {
		case escaped:
			toks = append(toks, likeToken{kind: likeRune, r: unicode.ToLower(r)})
			escaped = false
		case r == '\\':
			escaped = true
		case r == '*' || r == '%':
			if n := len(toks); n == 0 || toks[n-1].kind != likeMany {
				toks = append(toks, likeToken{kind: likeMany})
			}
		case r == '_':
			toks = append(toks, likeToken{kind: likeOne})
		default:
			toks = append(toks, likeToken{kind: likeRune, r: unicode.ToLower(r)})
		}
	}
	if escaped { // a trailing backslash stands for itself
		toks = append(toks, likeToken{kind: likeRune, r: '\\'})
	}
	if !hasStar {
		if n := len(toks); toks[n-1].kind != likeMany {
			toks = append(toks, likeToken{kind: likeMany})
		}
	}
	return likeMatch(text, toks)
}

// likeMatch is the classic wildcard matcher with one backtrack point per
// '%': greedy, and linear in the pattern for every text position.
func likeMatch(text string, toks []likeToken) bool {
	ti, pi := 0, 0
	starP, starT := -1, 0
	for ti < len(text) {
		r, size := utf8.DecodeRuneInString(text[ti:])
		if pi < len(toks) {
			switch t := toks[pi]; t.kind {
			case likeMany:
				starP, starT = pi, ti
				pi++
				continue
			case likeOne:
				ti += size
				pi++
				continue
			default:
				if unicode.ToLower(r) == t.r {
					ti += size
					pi++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '%' swallow one more character and retry.
		_, s := utf8.DecodeRuneInString(text[starT:])
		starT += s
		ti = starT
		pi = starP + 1
	}
	for pi < len(toks) && toks[pi].kind == likeMany {
		pi++
	}
	return pi == len(toks)
}
