package domain

import "strconv"

// ETagMessage is Kinto's description of a malformed If-Match or
// If-None-Match value.
const ETagMessage = "The value should be integer between double quotes."

// FormatETag is the ETag of timestamp ts: the integer between double quotes.
func FormatETag(ts int64) string {
	return `"` + strconv.FormatInt(ts, 10) + `"`
}

// ParseETag reads one If-Match or If-None-Match value: * or a run of ASCII
// digits between double quotes, as Kinto accepts. Kinto reads the digits as
// an unbounded integer, so a run beyond int64 is accepted too: it is a
// timestamp no list or object can have, and the condition gets Beyond set
// (it never equals a current timestamp). Anything else is an Invalid error
// naming the header, with Kinto's message.
func ParseETag(header, raw string) (ETagCondition, error) {
	if raw == "*" {
		return ETagCondition{Set: true, Any: true}, nil
	}
	n := len(raw)
	if n < 3 || raw[0] != '"' || raw[n-1] != '"' {
		return ETagCondition{}, invalidETag(header)
	}
	digits := raw[1 : n-1]
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return ETagCondition{}, invalidETag(header)
		}
	}
	ts, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		// Only a range error is possible on plain digits.
		return ETagCondition{Set: true, Beyond: true}, nil
	}
	return ETagCondition{Set: true, TS: ts}, nil
}

func invalidETag(header string) error {
	return InvalidField("domain.ParseETag", InHeader, header, ETagMessage)
}
