package memory

import (
	"runtime/debug"
	"sync"
	"time"
)

// reclaimer gives the memory of deleted objects back to the operating
// system soon after a bulk delete, without waiting for traffic.
//
// Why it is needed: the Go runtime frees heap memory only in a collection,
// and a collection starts when allocation reaches the heap goal (twice the
// live heap after the previous one, with GOGC=100) or, at the latest, every
// two minutes. After a large deletion on an idle server nothing allocates,
// so hundreds of megabytes stay resident for minutes: the deleted objects
// are garbage, but nobody collects them, and the scavenger returns only
// pages the collector has freed. A collection right after the deletion
// lowers the heap goal to what is still live; debug.FreeOSMemory then
// returns the freed pages at once, where the background scavenger, paced
// to stay out of the way, would take far longer for that much memory.
//
// It runs only when deletions freed at least minReclaim objects and at
// least an eighth of what the store still holds, at most once per
// reclaimDelay, on a timer armed by the deletion itself: an idle store, or
// one that only grows, never pays for a forced collection.
type reclaimer struct {
	mu      sync.Mutex
	freed   int
	pending bool
	// free is debug.FreeOSMemory; tests count the calls instead.
	free func()
}

const (
	// minReclaim is the smallest deletion worth a forced collection.
	minReclaim = 1024
	// reclaimDelay lets a deletion in several requests (a DELETE of a
	// list goes by pages) finish before the collection.
	reclaimDelay = time.Second
)

func newReclaimer() *reclaimer {
	return &reclaimer{free: debug.FreeOSMemory}
}

// released notes that n objects (or tombstones) left a store that still
// holds remaining, and arms the timer when that is worth a collection.
func (r *reclaimer) released(n, remaining int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.freed += n
	if r.pending || r.freed < minReclaim || r.freed < remaining/8 {
		return
	}
	r.pending = true
	r.freed = 0
	time.AfterFunc(reclaimDelay, func() {
		r.mu.Lock()
		r.pending = false
		r.mu.Unlock()
		r.free()
	})
}
