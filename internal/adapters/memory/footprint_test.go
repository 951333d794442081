package memory_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// liveHeap returns the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestTombstoneFootprint holds what a tombstone costs the memory storage
// (its id, its timestamp, its entries in the indexes) under 200 bytes, and
// checks that the deleted objects' data is no longer held.
func TestTombstoneFootprint(t *testing.T) {
	const n = 50000
	ctx := context.Background()
	s := memory.NewStorage(domain.SystemClock{})
	// The list exists before the baseline, so that only objects count.
	if _, err := s.Timestamp(ctx, parent); err != nil {
		t.Fatal(err)
	}
	before := liveHeap()
	for i := range n {
		// Ids shaped as the server's (UUIDs, 36 bytes), a few hundred
		// bytes of data.
		id := fmt.Sprintf("%08x-e456-4464-9039-e0fb2e334493", i)
		data := map[string]any{"title": fmt.Sprintf("record %d with some text to weigh %0200d", i, i)}
		if _, err := s.Create(ctx, parent, domain.Record{ID: id, Data: data}, nil); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	loaded := liveHeap()
	tombs, err := s.DeleteMany(ctx, parent, domain.Query{})
	if err != nil || len(tombs) != n {
		t.Fatalf("DeleteMany = %d, %v; want %d", len(tombs), err, n)
	}
	tombs = nil
	after := liveHeap()
	perTomb := float64(after-before) / n
	perObject := float64(loaded-before) / n
	t.Logf("live object %.0f B, tombstone %.0f B", perObject, perTomb)
	if perTomb >= 200 {
		t.Errorf("a tombstone costs %.0f bytes, want under 200", perTomb)
	}
	runtime.KeepAlive(s)
	runtime.KeepAlive(tombs)
}
