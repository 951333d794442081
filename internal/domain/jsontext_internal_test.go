package domain

import "testing"

func TestJSONTextLikePostgres(t *testing.T) {
	got, _ := jsonText([]any{"<b>&", "a\u2028b", map[string]any{"k<": "v"}})
	want := "[\"<b>&\", \"a\u2028b\", {\"k<\": \"v\"}]"
	if got != want {
		t.Fatalf("jsonText = %q, want %q", got, want)
	}
	a := map[string]any{"a": map[string]any{"b": 1}}
	b := map[string]any{"a": map[string]any{"aa": 1}}
	if Compare(a["a"], b["a"]) <= 0 {
		t.Fatalf(`Compare({"b":1}, {"aa":1}) <= 0, want > 0 as Postgres ("b" > "aa" bytewise)`)
	}
}

func TestJSONTextEscapes(t *testing.T) {
	got, _ := jsonText([]any{"q\"b\\s\n\u0001", `\u2028`})
	want := `["q\"b\\s\n\u0001", "\\u2028"]`
	if got != want {
		t.Fatalf("jsonText = %s, want %s", got, want)
	}
}
