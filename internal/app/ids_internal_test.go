package app

import (
	"regexp"
	"testing"

	"github.com/google/uuid"
)

func TestValidKintoIDIsThePattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
	for _, id := range []string{"", "a", "Z9", "0", "a_b-c", "_a", "-a", "a b", "a\n", "é", "a/b", "abc-", "a.b", "A_", "x\x00"} {
		if got, want := validKintoID(id), pattern.MatchString(id); got != want {
			t.Errorf("validKintoID(%q) = %v, want %v", id, got, want)
		}
	}
}

func FuzzValidKintoID(f *testing.F) {
	pattern := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
	f.Add("a_b")
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := validKintoID(id), pattern.MatchString(id); got != want {
			t.Errorf("validKintoID(%q) = %v, want %v", id, got, want)
		}
	})
}

func TestNewUUID4(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := newUUID4()
		u, err := uuid.Parse(id)
		if err != nil || u.String() != id || u.Version() != 4 || u.Variant() != uuid.RFC4122 || seen[id] {
			t.Fatalf("newUUID4() = %q (%v): want a fresh canonical version 4 UUID", id, err)
		}
		seen[id] = true
		if !(UUID4{}).Valid(id) {
			t.Errorf("UUID4 refuses its own id %q", id)
		}
	}
}
