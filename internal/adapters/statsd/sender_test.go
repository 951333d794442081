package statsd

import (
	"testing"
	"time"
)

func TestAppendMillis(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{time.Millisecond, "1"},
		{1500 * time.Microsecond, "1.5"},
		{1, "0.000001"},
		{12*time.Millisecond + 3450*time.Nanosecond, "12.00345"},
		{-2500 * time.Microsecond, "-2.5"},
		{90 * time.Second, "90000"},
	} {
		if got := string(appendMillis(nil, c.d)); got != c.want {
			t.Errorf("appendMillis(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestAppendNumber(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{42, "42"}, {0.25, "0.25"}, {-3, "-3"}, {1e20, "100000000000000000000"}} {
		if got := string(appendNumber(nil, c.v)); got != c.want {
			t.Errorf("appendNumber(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
