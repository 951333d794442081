package http

import (
	"testing"

	"github.com/google/uuid"
)

func TestRequestIDsAreDistinctVersion4UUIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		id := newRequestID()
		u, err := uuid.Parse(id)
		if err != nil || u.String() != id {
			t.Fatalf("id %q is not a UUID in canonical form: %v", id, err)
		}
		if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Errorf("id %q: version %d variant %v, want 4 and RFC 4122", id, u.Version(), u.Variant())
		}
		if seen[id] {
			t.Fatalf("id %q given twice", id)
		}
		seen[id] = true
	}
}
