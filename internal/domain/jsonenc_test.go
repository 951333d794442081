package domain

import (
	"encoding/json"
	"strings"
	"testing"
)

// AppendJSON must write exactly what encoding/json writes, with and
// without HTML escaping.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, "", "plain", "<a href=\"x\">&</a>", "tab\tnl\nbs\\ctl\x01\x1f\b\f\r", "bad\xffutf8", "sep\u2028\u2029é",
		true, false, 0, -12, int64(1 << 60), json.Number("12.5e-3"), json.Number("-0"), 1.5, 1e21, 1e-7,
		[]any{"a", json.Number("1"), nil, map[string]any{"z": 1, "a": []any{}}},
		[]string{"x", "<"}, []string(nil), map[string]any(nil),
		map[string]string{"b": "2", "a": "<1>"},
		map[string][]string{"write": {"u1", "u2"}, "read": nil},
		map[string]any{"title": "t", "n": json.Number("42"), "nested": map[string]any{"k": []any{true}}, "f": 2.25},
		struct{ A string }{"<x>"},
		Record{ID: "r1", LastModified: 123, Data: map[string]any{"title": "<b>", "zz": json.Number("1"), "aa": nil}},
		Record{ID: "r2", LastModified: 9, Deleted: true, Data: map[string]any{"gone": 1}},
	}
	for _, v := range values {
		for _, esc := range []bool{true, false} {
			var want strings.Builder
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(esc)
			if err := enc.Encode(v); err != nil {
				t.Fatalf("encoding/json %#v: %v", v, err)
			}
			got, err := AppendJSON(nil, v, esc)
			if err != nil {
				t.Fatalf("AppendJSON(%#v): %v", v, err)
			}
			if string(got)+"\n" != want.String() {
				t.Errorf("AppendJSON(%#v, %v) = %s, want %s", v, esc, got, want.String())
			}
		}
	}
}

func TestAppendJSONRefusesBadNumbers(t *testing.T) {
	for _, n := range []string{"1.", "01", "+1", "1e", "-", "1e+", "abc", ".5"} {
		if _, err := AppendJSON(nil, json.Number(n), true); err == nil {
			t.Errorf("AppendJSON(json.Number(%q)) succeeded", n)
		}
		if _, err := json.Marshal(json.Number(n)); err == nil {
			t.Errorf("json.Marshal(json.Number(%q)) succeeded; the test is wrong", n)
		}
	}
}
