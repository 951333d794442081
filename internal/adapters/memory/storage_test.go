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

func TestStoragePurgeKeepsTimestamp(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{}
	clock.now.Store(1000)
	s := memory.NewStorage(clock)
	if _, err := s.Create(ctx, parent, domain.Record{ID: "a", LastModified: 9000}, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.Purge(ctx, "/buckets/b"); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if ts, _ := s.Timestamp(ctx, parent); ts != 9000 {
		t.Errorf("Timestamp after Purge = %d, want 9000 (never back in time)", ts)
	}
}

func TestStorageCanceledContext(t *testing.T) {
	s := memory.NewStorage(memory.SystemClock{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Healthy(ctx); err == nil {
		t.Error("Healthy(canceled): nil, want the context's error")
	}
	calls := map[string]func() error{
		"Timestamp": func() error { _, err := s.Timestamp(ctx, parent); return err },
		"Create":    func() error { _, err := s.Create(ctx, parent, domain.Record{ID: "a"}, nil); return err },
		"Get":       func() error { _, err := s.Get(ctx, parent, "a"); return err },
		"Update":    func() error { _, err := s.Update(ctx, parent, domain.Record{ID: "a"}, nil); return err },
		"Delete":    func() error { _, err := s.Delete(ctx, parent, "a", 0); return err },
		"List":      func() error { _, err := s.List(ctx, parent, domain.Query{}); return err },
		"Count":     func() error { _, err := s.Count(ctx, parent, nil); return err },
		"DeleteMany": func() error {
			_, err := s.DeleteMany(ctx, parent, domain.Query{})
			return err
		},
		"Purge": func() error { _, err := s.Purge(ctx, ""); return err },
	}
	for name, call := range calls {
		if err := call(); domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s(canceled): kind %v, want Unavailable", name, domain.KindOf(err))
		}
	}
}

func TestStorageRefusesObjectWithoutID(t *testing.T) {
	s := memory.NewStorage(memory.SystemClock{})
	ctx := context.Background()
	if _, err := s.Create(ctx, parent, domain.Record{}, nil); domain.KindOf(err) != domain.Internal || err == nil {
		t.Errorf("Create(no id): %v, want an Internal error", err)
	}
	if _, err := s.Update(ctx, parent, domain.Record{}, nil); domain.KindOf(err) != domain.Internal || err == nil {
		t.Errorf("Update(no id): %v, want an Internal error", err)
	}
}

func TestStorageTimestampCursorEdgeCases(t *testing.T) {
	ctx := context.Background()
	s := memory.NewStorage(memory.SystemClock{})
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Create(ctx, parent, domain.Record{ID: id}, nil); err != nil {
			t.Fatalf("Create(%s): %v", id, err)
		}
	}
	newest := []domain.Sort{{Field: "last_modified", Desc: true}}
	// Nothing sorts after a missing last_modified.
	got, err := s.List(ctx, parent, domain.Query{Sort: newest, After: []domain.SortValue{{Missing: true}}})
	if err != nil || len(got) != 0 {
		t.Errorf("List(after missing) = %d objects, %v; want none", len(got), err)
	}
	// A non-integer cursor still pages, through the general path.
	oldest := []domain.Sort{{Field: "last_modified"}}
	got, err = s.List(ctx, parent, domain.Query{Sort: oldest, After: []domain.SortValue{{Value: "zzz"}}})
	if err != nil || len(got) != 3 {
		t.Errorf("List(oldest first, after a string) = %d objects, %v; want 3 (numbers sort above strings)", len(got), err)
	}
	got, err = s.List(ctx, parent, domain.Query{Sort: newest, After: []domain.SortValue{{Value: "zzz"}}})
	if err != nil || len(got) != 0 {
		t.Errorf("List(newest first, after a string) = %d objects, %v; want none", len(got), err)
	}
	other := domain.Parent{Resource: "record", ID: "/empty"}
	if gone, err := s.DeleteMany(ctx, other, domain.Query{Sort: newest}); err != nil || len(gone) != 0 {
		t.Errorf("DeleteMany(unknown list) = %v, %v; want nothing", gone, err)
	}
	if _, err := s.Delete(ctx, other, "a", 0); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Delete(unknown list): kind %v, want NotFound", domain.KindOf(err))
	}
	if n, err := s.Count(ctx, other, nil); err != nil || n != 0 {
		t.Errorf("Count(unknown list) = %d, %v; want 0", n, err)
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
