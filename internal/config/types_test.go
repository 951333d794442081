package config_test

import (
	"reflect"
	"testing"

	"github.com/cliquet-go/cliquet/internal/config"
)

func TestBoolDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{in: "true", want: true}, {in: "YES", want: true}, {in: "on", want: true}, {in: "y", want: true},
		{in: "t", want: true}, {in: "1", want: true}, {in: " True ", want: true},
		{in: "false"}, {in: "No"}, {in: "off"}, {in: "n"}, {in: "f"}, {in: "0"},
		{in: "", wantErr: true}, {in: "maybe", wantErr: true}, {in: "2", wantErr: true},
	}
	for _, tt := range tests {
		b := config.Bool(!tt.want) // Decode must overwrite, not only set
		err := b.Decode(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Decode(%q): no error, want one", tt.in)
			}
			continue
		}
		if err != nil || bool(b) != tt.want {
			t.Errorf("Decode(%q) = %v, %v; want %v", tt.in, b, err, tt.want)
		}
	}
}

func TestListDecode(t *testing.T) {
	tests := []struct {
		in   string
		want config.List
	}{
		{"", config.List{}},
		{"*", config.List{"*"}},
		{"a b", config.List{"a", "b"}},
		{"  a\n\tb \n c  ", config.List{"a", "b", "c"}},
	}
	for _, tt := range tests {
		var l config.List
		if err := l.Decode(tt.in); err != nil {
			t.Errorf("Decode(%q): %v", tt.in, err)
		}
		if !reflect.DeepEqual(l, tt.want) {
			t.Errorf("Decode(%q) = %q, want %q", tt.in, l, tt.want)
		}
	}
	l := config.List{"a", "b"}
	if !l.Contains("b") || l.Contains("c") {
		t.Errorf("Contains on %q: b %v, c %v; want true, false", l, l.Contains("b"), l.Contains("c"))
	}
}

func TestNullIntDecode(t *testing.T) {
	tests := []struct {
		in      string
		want    config.NullInt
		wantErr bool
	}{
		{in: "", want: config.NullInt{}},
		{in: "null", want: config.NullInt{}},
		{in: "None", want: config.NullInt{}},
		{in: "0", want: config.NullInt{Int: 0, Valid: true}},
		{in: " 42 ", want: config.NullInt{Int: 42, Valid: true}},
		{in: "-1", want: config.NullInt{Int: -1, Valid: true}},
		{in: "1.5", wantErr: true},
		{in: "abc", wantErr: true},
	}
	for _, tt := range tests {
		n := config.NullInt{Int: 99, Valid: true}
		err := n.Decode(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Decode(%q): no error, want one", tt.in)
			}
			continue
		}
		if err != nil || n != tt.want {
			t.Errorf("Decode(%q) = %+v, %v; want %+v", tt.in, n, err, tt.want)
		}
	}
	if got := (config.NullInt{}).Or(7); got != 7 {
		t.Errorf("null.Or(7) = %d, want 7", got)
	}
	if got := (config.NullInt{Int: 3, Valid: true}).Or(7); got != 3 {
		t.Errorf("3.Or(7) = %d, want 3", got)
	}
}

func TestBackendDecode(t *testing.T) {
	tests := []struct {
		in   string
		want config.Backend
	}{
		{"", config.BackendMemory},
		{"memory", config.BackendMemory},
		{"kinto.core.storage.memory", config.BackendMemory},
		{"kinto.core.storage.postgresql", config.BackendPostgreSQL},
		{"kinto.core.cache.postgresql", config.BackendPostgreSQL},
		{"postgresql", config.BackendPostgreSQL},
		{"postgres", config.BackendPostgreSQL},
		{"kinto.core.permission.redis", config.BackendRedis},
		{"kinto_redis.cache", config.BackendRedis},
		{"kinto_redis.permission", config.BackendRedis},
		{" Redis ", config.BackendRedis},
		{"bogus", config.Backend("bogus")},
	}
	for _, tt := range tests {
		var b config.Backend
		if err := b.Decode(tt.in); err != nil || b != tt.want {
			t.Errorf("Decode(%q) = %q, %v; want %q", tt.in, b, err, tt.want)
		}
	}
}
