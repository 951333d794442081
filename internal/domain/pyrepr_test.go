package domain_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestPyRepr(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{nil, "None"},
		{true, "True"},
		{json.Number("1.5"), "1.5"},
		{"it's", `"it's"`},
		{"a\nb", `'a\nb'`},
		{[]any{"a", json.Number("1")}, "['a', 1]"},
		{map[string]any{"b": false, "a": nil}, "{'a': None, 'b': False}"},
	} {
		if got := domain.PyRepr(c.v); got != c.want {
			t.Errorf("PyRepr(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
}

func TestPyReprLimit(t *testing.T) {
	big := make([]any, 100000)
	for i := range big {
		big[i] = "abc"
	}
	for name, v := range map[string]any{
		"array":  big,
		"string": strings.Repeat("é", 100000),
		"object": map[string]any{"k": big},
	} {
		got := domain.PyReprLimit(v, 100)
		if len(got) > 103 || !strings.HasSuffix(got, "...") {
			t.Errorf("PyReprLimit(%s, 100): %d bytes %q, want at most 100 and \"...\"", name, len(got), got)
		}
		if full := domain.PyRepr(v); !strings.HasPrefix(full, strings.TrimSuffix(got, "...")) {
			t.Errorf("PyReprLimit(%s, 100) = %q, not the start of PyRepr", name, got)
		}
	}
	if got := domain.PyReprLimit([]any{"a"}, 100); got != "['a']" {
		t.Errorf("PyReprLimit(short) = %q, want it whole", got)
	}
}
