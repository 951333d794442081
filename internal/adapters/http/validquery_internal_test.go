package http

import (
	"net/url"
	"testing"
	"unicode/utf8"
)

// validQueryByMap is validQuery as url.ParseQuery's map tells it.
func validQueryByMap(raw string) bool {
	if !utf8.ValidString(raw) {
		return false
	}
	q, _ := url.ParseQuery(raw)
	for k, vs := range q {
		if !utf8.ValidString(k) {
			return false
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return false
			}
		}
	}
	return true
}

func TestValidQueryAgreesWithParseQuery(t *testing.T) {
	for _, raw := range []string{
		"", "a", "a=1", "_limit=10&_sort=-last_modified", "a=%C3%A9", "a=%E9", "%E9=1", "%ZZ=%E9",
		"a=%E9%ZZ", "a=b;c=%E9", "a;b=%E9&c=1", "&&a=1&", "=%E9", "a=+%2B", "é=ü", "a=%C3", "k=%C3%A9&v=%FF",
		"a=1&b=%E9", "a=%", "a=%E", "%=1&b=2",
	} {
		if got, want := validQuery(raw), validQueryByMap(raw); got != want {
			t.Errorf("validQuery(%q) = %v, want %v", raw, got, want)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { validQuery("_limit=10&_sort=-last_modified") }); allocs != 0 {
		t.Errorf("validQuery of a plain query: %.0f allocations, want 0", allocs)
	}
}

func FuzzValidQuery(f *testing.F) {
	f.Add("a=%E9&b=1")
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := validQuery(raw), validQueryByMap(raw); got != want {
			t.Errorf("validQuery(%q) = %v, want %v", raw, got, want)
		}
	})
}
