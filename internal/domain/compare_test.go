package domain_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		// cross-type order: null < string < number < boolean < array < object
		{`null`, `""`, -1},
		{`"zzz"`, `0`, -1},
		{`-1e9`, `false`, -1},
		{`true`, `[]`, -1},
		{`[1,2,3]`, `{}`, -1},
		{`{}`, `null`, 1},
		{`null`, `null`, 0},
		// strings bytewise
		{`"a"`, `"b"`, -1},
		{`"B"`, `"a"`, -1},
		{`"ab"`, `"a"`, 1},
		// numbers by value, exactly
		{`1`, `1.0`, 0},
		{`1`, `1e0`, 0},
		{`100`, `1e2`, 0},
		{`0`, `-0`, 0},
		{`0.0`, `-0.0e5`, 0},
		{`2`, `10`, -1},
		{`-2`, `-10`, 1},
		{`1.5`, `1.25`, 1},
		{`-1.5`, `-1.25`, -1},
		{`0.1`, `0.10000000000000001`, -1},
		{`9007199254740993`, `9007199254740992`, 1},
		{`123456789012345678901234567890`, `123456789012345678901234567891`, -1},
		{`123456789012345678901234567890`, `1.2345678901234567890123456789e29`, 0},
		{`1e999999999`, `1`, 1},
		{`-1e999999999`, `-1`, -1},
		{`1e-999999999`, `0`, 1},
		{`12`, `12.3`, -1},
		// booleans
		{`false`, `true`, -1},
		{`true`, `true`, 0},
		// arrays: length first, then elements
		{`[9]`, `[1,1]`, -1},
		{`[1,2]`, `[1,3]`, -1},
		{`[1,"a"]`, `[1,"a"]`, 0},
		{`[1]`, `[1.0]`, 0},
		// objects: size first, then keys in (length, bytes) order
		{`{"a":1}`, `{"a":1,"b":1}`, -1},
		{`{"a":1}`, `{"a":2}`, -1},
		{`{"a":1}`, `{"b":0}`, -1},
		{`{"a":{"x":[1]}}`, `{"a":{"x":[1.0]}}`, 0},
	}
	for _, tt := range tests {
		a, b := j(t, tt.a), j(t, tt.b)
		if got := domain.Compare(a, b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := domain.Compare(b, a); got != -tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
		}
	}
}

func TestCompareMixesGoNumberTypes(t *testing.T) {
	tests := []struct {
		a, b any
		want int
	}{
		{json.Number("5"), int64(5), 0},
		{5, 5.0, 0},
		{float64(0.5), json.Number("0.5"), 0},
		{uint8(3), json.Number("4"), -1},
		{int64(9007199254740993), float64(9007199254740992), 1},
		{int8(-1), int16(1), -1},
		{int32(7), uint16(7), 0},
		{uint(1), uint32(2), -1},
		{uint64(1 << 63), float32(1), 1},
		{math.Inf(1), json.Number("1e308"), 1},
		{math.Inf(-1), json.Number("-1e308"), -1},
		{math.NaN(), 0, 0},
	}
	for _, tt := range tests {
		if got := domain.Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%#v, %#v) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestCompareIsTotalOrder checks transitivity over a mixed sample, which a
// sort relies on.
func TestCompareIsTotalOrder(t *testing.T) {
	var vals []any
	for _, s := range []string{`null`, `""`, `"a"`, `"b"`, `-1`, `0`, `0.5`, `1`, `1e3`, `false`, `true`,
		`[]`, `[0]`, `[1]`, `[0,0]`, `{}`, `{"a":1}`, `{"b":0}`, `{"a":1,"b":2}`} {
		vals = append(vals, j(t, s))
	}
	for _, a := range vals {
		for _, b := range vals {
			for _, c := range vals {
				if domain.Compare(a, b) <= 0 && domain.Compare(b, c) <= 0 && domain.Compare(a, c) > 0 {
					t.Errorf("not transitive: %v <= %v <= %v but %v > %v", a, b, c, a, c)
				}
			}
		}
	}
}

func TestEqual(t *testing.T) {
	if !domain.Equal(j(t, `{"a":[1,2]}`), j(t, `{"a":[1.0,2e0]}`)) {
		t.Error(`Equal({"a":[1,2]}, {"a":[1.0,2e0]}) = false, want true`)
	}
	if domain.Equal(j(t, `5`), j(t, `"5"`)) {
		t.Error(`Equal(5, "5") = true, want false (type-exact)`)
	}
}
