package http

import (
	"crypto/rand"

	"github.com/google/uuid"
)

// newRequestID returns a fresh random (version 4) UUID in its usual text
// form. It is uuid.NewString with the random bytes read into an array
// that stays on the stack (uuid hands its array to a reader interface,
// which makes it escape): one allocation per request, the id's string.
func newRequestID() string {
	var id uuid.UUID
	if _, err := rand.Read(id[:]); err != nil {
		return uuid.NewString() // crypto/rand does not fail; never reached
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id.String()
}
