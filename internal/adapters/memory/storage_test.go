package memory_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestStorageContract(t *testing.T) {
	portstest.RunStorage(t, func(t *testing.T) ports.Storage {
		return memory.NewStorage(memory.SystemClock{})
	})
}

// fakeClock is a settable clock, to prove the timestamp rule when time
// stalls or goes backwards.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) NowMillis() int64 { return c.now.Load() }

var parent = domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}

func TestStorageClockGoesBackwards(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{}
	clock.now.Store(1000)
	s := memory.NewStorage(clock)
	if ts, _ := s.Timestamp(ctx, parent); ts != 1000 {
		t.Fatalf("Timestamp(new list) = %d, want the clock's 1000", ts)
	}
	a, err := s.Create(ctx, parent, domain.Record{ID: "a"}, nil)
	if err != nil || a.LastModified != 1001 {
		t.Fatalf("Create at a stalled clock = %d, %v; want 1001", a.LastModified, err)
	}
	clock.now.Store(500)
	b, err := s.Create(ctx, parent, domain.Record{ID: "b"}, nil)
	if err != nil || b.LastModified != 1002 {
		t.Errorf("Create with the clock gone back = %d, %v; want 1002", b.LastModified, err)
	}
	clock.now.Store(5000)
	c, err := s.Update(ctx, parent, domain.Record{ID: "a"}, nil)
	if err != nil || c.LastModified != 5000 {
		t.Errorf("Update with the clock ahead = %d, %v; want 5000", c.LastModified, err)
	}
	if ts, _ := s.Timestamp(ctx, parent); ts != 5000 {
		t.Errorf("Timestamp = %d, want 5000", ts)
	}
}

// TestStorageCompactsRewrittenSlots rewrites objects many times so that the
// timestamp index compacts, and checks the order survives.
func TestStorageCompactsRewrittenSlots(t *testing.T) {
	ctx := context.Background()
	s := memory.NewStorage(memory.SystemClock{})
	ids := []string{"a", "b", "c", "d"}
	for round := range 100 {
		for _, id := range ids {
			if _, err := s.Update(ctx, parent, domain.Record{ID: id, Data: map[string]any{"round": round}}, nil); err != nil {
				t.Fatalf("Update(%s): %v", id, err)
			}
		}
	}
	got, err := s.List(ctx, parent, domain.Query{Sort: []domain.Sort{{Field: "last_modified"}}})
	if err != nil || len(got) != 4 {
		t.Fatalf("List = %d objects, %v; want 4", len(got), err)
	}
	for i, r := range got {
		if r.ID != ids[i] {
			t.Errorf("List[%d] = %s, want %s", i, r.ID, ids[i])
		}
	}
}
