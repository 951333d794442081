// Package domaintest holds the helpers the tests of several layers share
// to write domain values as JSON text.
package domaintest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// JSON decodes one JSON value with json.Number numbers, as every layer
// does; it fails the test when s is not JSON.
func JSON(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return v
}

// Record builds a record from its protocol JSON form; {"id",
// "last_modified", "deleted": true} alone is a tombstone.
func Record(t testing.TB, s string) domain.Record {
	t.Helper()
	m, ok := JSON(t, s).(map[string]any)
	if !ok {
		t.Fatalf("record %s: not an object", s)
	}
	var r domain.Record
	if id, ok := m["id"].(string); ok {
		r.ID = id
		delete(m, "id")
	}
	if ts, ok := domain.AsInt(m["last_modified"]); ok {
		r.LastModified = ts
	}
	delete(m, "last_modified")
	if d, ok := m["deleted"].(bool); ok && d && len(m) == 1 {
		r.Deleted = true
		delete(m, "deleted")
	}
	r.Data = m
	return r
}

// Marshal renders a value as JSON, for failure messages and comparisons.
func Marshal(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %v: %v", v, err)
	}
	return string(b)
}
