package app

import (
	"crypto/rand"
	"regexp"

	"github.com/google/uuid"
)

// uuidPattern is the canonical lowercase form kinto-core's UUID4 generator
// accepts.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// validKintoID reports whether id matches ^[a-zA-Z0-9][a-zA-Z0-9_-]*$,
// the id pattern Kinto accepts for every resource. Every request on an
// object checks it: by hand, because the regexp allocates per match.
func validKintoID(id string) bool {
	if id == "" {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// newUUID4 is uuid.NewString with the random bytes read into an array that
// stays on the stack (uuid's reader interface makes its own escape): one
// allocation, the string.
func newUUID4() string {
	var u uuid.UUID
	if _, err := rand.Read(u[:]); err != nil {
		return uuid.NewString() // crypto/rand does not fail; never reached
	}
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// UUID4 generates random UUIDs and accepts only canonical lowercase UUIDs
// (kinto-core's default generator).
type UUID4 struct{}

// NewID returns a random lowercase UUID4 with dashes.
func (UUID4) NewID() string { return newUUID4() }

// Valid reports whether id is a canonical lowercase UUID.
func (UUID4) Valid(id string) bool { return uuidPattern.MatchString(id) }

// RelaxedUUID4 generates UUID4s but accepts any id matching Kinto's pattern,
// as Kinto does for records (clients pick their own ids).
type RelaxedUUID4 struct{}

// NewID returns a random lowercase UUID4 with dashes.
func (RelaxedUUID4) NewID() string { return newUUID4() }

// Valid reports whether id matches ^[a-zA-Z0-9][a-zA-Z0-9_-]*$.
func (RelaxedUUID4) Valid(id string) bool { return validKintoID(id) }

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
func (NameGenerator) Valid(id string) bool { return validKintoID(id) }
