package portstest

import (
	"context"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// storageCursorEdges pages from cursors no object produces: a missing
// last_modified (first in descending order, so everything follows it) and a
// string (below every number in the cross-type order).
func storageCursorEdges(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		if _, err := s.Create(ctx, stParent, domain.Record{ID: id}, nil); err != nil {
			t.Fatalf("Create(%s): %v", id, err)
		}
	}
	oldest := []domain.Sort{{Field: "last_modified"}}
	cases := []struct {
		name  string
		sort  []domain.Sort
		after domain.SortValue
		want  int
	}{
		{"newest first, after missing", byNewest, domain.SortValue{Missing: true}, 3},
		{"oldest first, after missing", oldest, domain.SortValue{Missing: true}, 0},
		{"oldest first, after a string", oldest, domain.SortValue{Value: "zzz"}, 3},
		{"newest first, after a string", byNewest, domain.SortValue{Value: "zzz"}, 0},
	}
	for _, c := range cases {
		got, err := s.List(ctx, stParent, domain.Query{Sort: c.sort, After: []domain.SortValue{c.after}})
		if err != nil || len(got) != c.want {
			t.Errorf("List(%s) = %d objects, %v; want %d", c.name, len(got), err, c.want)
		}
	}
	other := domain.Parent{Resource: "record", ID: "/empty"}
	if gone, err := s.DeleteMany(ctx, other, domain.Query{Sort: byNewest}); err != nil || len(gone) != 0 {
		t.Errorf("DeleteMany(unknown list) = %v, %v; want nothing", gone, err)
	}
	if _, err := s.Delete(ctx, other, "a", 0); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Delete(unknown list): kind %v, want NotFound", domain.KindOf(err))
	}
	if n, err := s.Count(ctx, other, nil); err != nil || n != 0 {
		t.Errorf("Count(unknown list) = %d, %v; want 0", n, err)
	}
}

// storagePurgeKeepsTimestamp checks that a purged list never goes back in
// time: its timestamp stays at the newest write.
func storagePurgeKeepsTimestamp(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	far := time9000()
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "a", LastModified: far}, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.Purge(ctx, "/buckets/b"); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	if ts, err := s.Timestamp(ctx, stParent); err != nil || ts != far {
		t.Errorf("Timestamp after Purge = %d, %v; want %d (never back in time)", ts, err, far)
	}
}

// time9000 is a proposed timestamp far in the future of any test clock.
func time9000() int64 { return 9_000_000_000_000 }

// storageCanceledContext checks every method answers Unavailable once its
// context is done, as a remote backend that cannot be reached would.
func storageCanceledContext(t *testing.T, s ports.Storage) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"Healthy":    func() error { return s.Healthy(ctx) },
		"Timestamp":  func() error { _, err := s.Timestamp(ctx, stParent); return err },
		"Create":     func() error { _, err := s.Create(ctx, stParent, domain.Record{ID: "a"}, nil); return err },
		"Get":        func() error { _, err := s.Get(ctx, stParent, "a"); return err },
		"Update":     func() error { _, err := s.Update(ctx, stParent, domain.Record{ID: "a"}, nil); return err },
		"Delete":     func() error { _, err := s.Delete(ctx, stParent, "a", 0); return err },
		"List":       func() error { _, err := s.List(ctx, stParent, domain.Query{}); return err },
		"Count":      func() error { _, err := s.Count(ctx, stParent, nil); return err },
		"DeleteMany": func() error { _, err := s.DeleteMany(ctx, stParent, domain.Query{}); return err },
		"Purge":      func() error { _, err := s.Purge(ctx, ""); return err },
	}
	for name, call := range calls {
		if err := call(); domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s(canceled): %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
	}
}

// storageRefusesObjectWithoutID checks that writing an object without an id
// is refused as the programming error it is.
func storageRefusesObjectWithoutID(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	if _, err := s.Create(ctx, stParent, domain.Record{}, nil); err == nil || domain.KindOf(err) != domain.Internal {
		t.Errorf("Create(no id): %v, want an Internal error", err)
	}
	if _, err := s.Update(ctx, stParent, domain.Record{}, nil); err == nil || domain.KindOf(err) != domain.Internal {
		t.Errorf("Update(no id): %v, want an Internal error", err)
	}
}
