package domain

import "strings"

// IDLookup picks, among filters, the narrowest filter on "id" that an
// adapter can answer by looking ids up instead of scanning: an equality or
// an in_ list. It returns the distinct string ids it names (ids are
// strings, so other values can match nothing), the other filters, which
// still apply to what the lookup finds, and ok false when no filter names
// ids.
func IDLookup(filters []Filter) (ids []string, rest []Filter, ok bool) {
	best := -1
	var values []any
	for i, f := range filters {
		if f.Field != "id" {
			continue
		}
		var vs []any
		switch f.Op {
		case OpEq, "":
			vs = []any{f.Value}
		case OpIn:
			// Match takes a value that is not a list as a list of one.
			list, isList := f.Value.([]any)
			if !isList {
				list = []any{f.Value}
			}
			vs = list
		default:
			continue
		}
		if best < 0 || len(vs) < len(values) {
			best, values = i, vs
		}
	}
	if best < 0 {
		return nil, nil, false
	}
	seen := make(map[string]struct{}, len(values))
	ids = make([]string, 0, len(values))
	for _, v := range values {
		id, isString := v.(string)
		if !isString {
			continue
		}
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		ids = append(ids, id)
	}
	rest = make([]Filter, 0, len(filters)-1)
	rest = append(rest, filters[:best]...)
	rest = append(rest, filters[best+1:]...)
	return ids, rest, true
}

// MatchObjectPattern reports whether an object URI matches pattern
// segment by segment: both have the same number of "/"-separated
// segments, and a "*" in a pattern segment matches any run of characters
// (possibly none) within that segment, never a "/".
func MatchObjectPattern(pattern, object string) bool {
	for {
		pseg, prest, pmore := strings.Cut(pattern, "/")
		oseg, orest, omore := strings.Cut(object, "/")
		if pmore != omore || !matchSegment(pseg, oseg) {
			return false
		}
		if !pmore {
			return true
		}
		pattern, object = prest, orest
	}
}

// matchSegment is a glob match where "*" is the only special character;
// it backtracks only to the last "*" seen, which suffices then.
func matchSegment(pattern, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(pattern) && pattern[pi] == s[si]:
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}
