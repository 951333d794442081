package http

import (
	"crypto/rand"
	"sync"

	"github.com/google/uuid"
)

// ridBatch is how many request ids one read of the system's random source
// provides.
const ridBatch = 64

// requestIDs makes the random (version 4) UUIDs of requests. It reads the
// random source for many ids at once into a buffer it keeps, because
// uuid.NewString hands a fresh array to the reader every time, and that
// array escapes: an allocation per request besides the id's string.
type requestIDs struct {
	mu   sync.Mutex
	buf  [ridBatch * 16]byte
	next int // offset of the first unused bytes of buf; len(buf): refill
}

func newRequestIDs() *requestIDs {
	return &requestIDs{next: ridBatch * 16}
}

// newID returns a fresh random UUID, in its usual text form.
func (g *requestIDs) newID() string {
	var id uuid.UUID
	g.mu.Lock()
	if g.next == len(g.buf) {
		// crypto/rand.Read does not fail (it crashes the program
		// rather than return short), so there is no error to pass on.
		_, _ = rand.Read(g.buf[:])
		g.next = 0
	}
	copy(id[:], g.buf[g.next:g.next+16])
	clear(g.buf[g.next : g.next+16]) // an id handed out is not kept
	g.next += 16
	g.mu.Unlock()
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id.String()
}
