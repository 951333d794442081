package memory

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestReclaimerAfterBulkDeletesOnly: small deletions never force a
// collection, a bulk one does once after reclaimDelay, and deletions while
// one is pending share it.
func TestReclaimerAfterBulkDeletesOnly(t *testing.T) {
	var calls atomic.Int32
	r := &reclaimer{free: func() { calls.Add(1) }}
	r.released(minReclaim-1, 0)
	r.released(minReclaim, 100*minReclaim) // an eighth of what remains is more
	time.Sleep(reclaimDelay + 200*time.Millisecond)
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d collections after small deletions, want 0", n)
	}
	r.released(8*minReclaim, 0) // with what was noted before: enough
	r.released(8*minReclaim, 0) // while pending
	deadline := time.Now().Add(5 * reclaimDelay)
	for calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d collections after a bulk deletion, want 1", n)
	}
}
