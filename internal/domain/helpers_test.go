package domain_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// j decodes one JSON value with json.Number numbers, as every layer does.
func j(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

// rec builds a record from its protocol JSON form.
func rec(t testing.TB, s string) domain.Record {
	t.Helper()
	var r domain.Record
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("record %s: %v", s, err)
	}
	return r
}

// asJSON renders a value for failure messages and comparisons.
func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return string(b)
}
