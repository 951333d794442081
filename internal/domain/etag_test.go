package domain_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestParseETag(t *testing.T) {
	cases := []struct {
		raw    string
		want   domain.ETagCondition
		failed bool
	}{
		{`*`, domain.ETagCondition{Set: true, Any: true}, false},
		{`"0"`, domain.ETagCondition{Set: true, TS: 0}, false},
		{`"1700000000000"`, domain.ETagCondition{Set: true, TS: 1700000000000}, false},
		{`"007"`, domain.ETagCondition{Set: true, TS: 7}, false},
		{`"9223372036854775807"`, domain.ETagCondition{Set: true, TS: math.MaxInt64}, false},
		// Kinto reads any run of digits; beyond int64 it matches nothing.
		{`"9223372036854775808"`, domain.ETagCondition{Set: true, Beyond: true}, false},
		{`"` + "1234567890123456789012345678901234567890" + `"`, domain.ETagCondition{Set: true, Beyond: true}, false},
		{``, domain.ETagCondition{}, true},
		{`""`, domain.ETagCondition{}, true},
		{`"`, domain.ETagCondition{}, true},
		{`123`, domain.ETagCondition{}, true},
		{`"-1"`, domain.ETagCondition{}, true},
		{`"+1"`, domain.ETagCondition{}, true},
		{`"1.5"`, domain.ETagCondition{}, true},
		{`"1e3"`, domain.ETagCondition{}, true},
		{`W/"123"`, domain.ETagCondition{}, true},
		{`"12" `, domain.ETagCondition{}, true},
		{`"1","2"`, domain.ETagCondition{}, true},
		{`**`, domain.ETagCondition{}, true},
		{`"*"`, domain.ETagCondition{}, true},
		{`"١٢"`, domain.ETagCondition{}, true}, // Arabic-Indic digits are not ASCII digits
	}
	for _, c := range cases {
		got, err := domain.ParseETag("If-Match", c.raw)
		if c.failed {
			e := domain.AsError(err)
			if e == nil || e.Kind != domain.Invalid || len(e.Issues) != 1 || e.Issues[0].Location != domain.InHeader ||
				e.Issues[0].Name != "If-Match" || e.Issues[0].Description != domain.ETagMessage {
				t.Errorf("ParseETag(%q) = %+v, %v; want an Invalid issue on header If-Match", c.raw, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseETag(%q) = %+v, %v; want %+v", c.raw, got, err, c.want)
		}
	}
}

func TestETagBeyondInt64MatchesNothing(t *testing.T) {
	beyond, err := domain.ParseETag("If-Match", `"99999999999999999999"`)
	if err != nil {
		t.Fatal(err)
	}
	for _, current := range []int64{0, beyond.TS, math.MaxInt64} {
		if _, err := domain.CheckPreconditions(domain.Preconditions{IfMatch: beyond}, true, current, false); domain.KindOf(err) != domain.PreconditionFailed {
			t.Errorf("If-Match beyond int64 against %d: %v, want PreconditionFailed", current, err)
		}
		if nm, err := domain.CheckPreconditions(domain.Preconditions{IfNoneMatch: beyond}, true, current, true); nm || err != nil {
			t.Errorf("If-None-Match beyond int64 against %d: notModified %v, %v; want a plain read", current, nm, err)
		}
	}
}

// FuzzParseETag: any header value parses or fails with an Invalid error,
// never a panic; what parses is * or the quoted digits, and every
// non-negative timestamp the server can hand out reads back as itself.
func FuzzParseETag(f *testing.F) {
	for _, s := range []string{`*`, `"0"`, `"123"`, `"9223372036854775807"`, `"9223372036854775808"`, `""`, `"-1"`, `W/"1"`, `"1" "2"`, "\"1\x00\""} {
		f.Add(s, int64(0))
	}
	f.Add(`"1"`, int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, raw string, ts int64) {
		c, err := domain.ParseETag("If-None-Match", raw)
		if err != nil {
			if domain.KindOf(err) != domain.Invalid {
				t.Fatalf("ParseETag(%q): %v, want an Invalid error", raw, err)
			}
		} else {
			switch {
			case !c.Set:
				t.Fatalf("ParseETag(%q) = %+v: not Set", raw, c)
			case c.Any:
				if raw != "*" {
					t.Fatalf("ParseETag(%q) = Any, want only for *", raw)
				}
			case c.Beyond:
				n := len(raw) - 2
				if n < 19 || raw[0] != '"' {
					t.Fatalf("ParseETag(%q) = Beyond for a short value", raw)
				}
			default:
				if c.TS < 0 {
					t.Fatalf("ParseETag(%q) = %d, negative", raw, c.TS)
				}
				// Same number, whatever the leading zeros.
				if got, _ := strconv.ParseInt(raw[1:len(raw)-1], 10, 64); got != c.TS {
					t.Fatalf("ParseETag(%q) = %d, want %d", raw, c.TS, got)
				}
			}
		}
		if ts < 0 {
			ts = -(ts + 1)
		}
		back, err := domain.ParseETag("If-Match", domain.FormatETag(ts))
		if err != nil || back != (domain.ETagCondition{Set: true, TS: ts}) {
			t.Fatalf("ParseETag(FormatETag(%d)) = %+v, %v", ts, back, err)
		}
	})
}
