package app

import (
	"crypto/rand"
	"regexp"

	"github.com/google/uuid"
)

// uuidPattern is the canonical lowercase form kinto-core's UUID4 generator
// accepts.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// kintoIDPattern is the id pattern Kinto accepts for every resource.
var kintoIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)

// UUID4 generates random UUIDs and accepts only canonical lowercase UUIDs
// (kinto-core's default generator).
type UUID4 struct{}

// NewID returns a random lowercase UUID4 with dashes.
func (UUID4) NewID() string { return uuid.NewString() }

// Valid reports whether id is a canonical lowercase UUID.
func (UUID4) Valid(id string) bool { return uuidPattern.MatchString(id) }

// RelaxedUUID4 generates UUID4s but accepts any id matching Kinto's pattern,
// as Kinto does for records (clients pick their own ids).
type RelaxedUUID4 struct{}

// NewID returns a random lowercase UUID4 with dashes.
func (RelaxedUUID4) NewID() string { return uuid.NewString() }

// Valid reports whether id matches ^[a-zA-Z0-9][a-zA-Z0-9_-]*$.
func (RelaxedUUID4) Valid(id string) bool { return kintoIDPattern.MatchString(id) }

// NameGenerator makes the 8-character ids Kinto gives buckets, collections
// and groups: one alphanumeric character then seven of [A-Za-z0-9_-].
type NameGenerator struct{}

const (
	alnum    = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	nameTail = alnum + "_-"
)

// NewID returns a fresh random name from the crypto RNG.
func (NameGenerator) NewID() string {
	var buf [8]byte
	if _, err := rand.Read(buf[:]); err != nil {
		// crypto/rand never fails on supported platforms; fall back to a UUID
		// rather than returning a predictable id.
		return uuid.NewString()
	}
	out := make([]byte, 8)
	out[0] = alnum[int(buf[0])%len(alnum)]
	for i := 1; i < 8; i++ {
		out[i] = nameTail[int(buf[i])%len(nameTail)]
	}
	return string(out)
}

// Valid reports whether id matches Kinto's pattern.
func (NameGenerator) Valid(id string) bool { return kintoIDPattern.MatchString(id) }
