package portstest

import (
	"context"
	"fmt"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// RunOwnedCreator checks a storage's ports.OwnedCreator: an object is
// created only while the object owning its list is live, and a refused
// create writes nothing, the list timestamp included.
func RunOwnedCreator(t *testing.T, newStorage func(t *testing.T) ports.Storage) {
	ctx := context.Background()
	buckets := domain.Parent{Resource: "bucket", ID: ""}
	colls := domain.Parent{Resource: "collection", ID: "/buckets/b"}
	records := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	owner := ports.ObjectRef{List: colls, ID: "c"}

	setup := func(t *testing.T) (ports.Storage, ports.OwnedCreator) {
		s := newStorage(t)
		oc, ok := s.(ports.OwnedCreator)
		if !ok {
			t.Fatalf("%T does not implement ports.OwnedCreator", s)
		}
		mustCreate(t, s, buckets, domain.Record{ID: "b"})
		return s, oc
	}
	// Every create form: the common one, a proposed timestamp, unique fields.
	forms := []struct {
		name   string
		rec    domain.Record
		unique []string
	}{
		{"plain", domain.Record{ID: "r", Data: map[string]any{"n": 1.0}}, nil},
		{"proposed timestamp", domain.Record{ID: "r", LastModified: 4_000_000_000_000, Data: map[string]any{"n": 1.0}}, nil},
		{"unique fields", domain.Record{ID: "r", Data: map[string]any{"n": 1.0}}, []string{"n"}},
	}
	for _, f := range forms {
		t.Run(f.name+"/live owner", func(t *testing.T) {
			s, oc := setup(t)
			mustCreate(t, s, colls, domain.Record{ID: "c"})
			before := mustTimestamp(t, s, records)
			got, err := oc.CreateOwned(ctx, owner, records, f.rec, f.unique)
			if err != nil {
				t.Fatalf("CreateOwned: %v", err)
			}
			if got.LastModified <= before {
				t.Errorf("stamped %d, not after the list's %d", got.LastModified, before)
			}
			stored, err := s.Get(ctx, records, "r")
			if err != nil || stored.LastModified != got.LastModified || fmt.Sprint(stored.Data["n"]) != "1" {
				t.Errorf("Get = %+v, %v; want what CreateOwned returned, %+v", stored, err, got)
			}
			if ts := mustTimestamp(t, s, records); ts != got.LastModified {
				t.Errorf("list timestamp %d, want the object's %d", ts, got.LastModified)
			}
			// Again with the id live: Conflict, naming the object.
			_, err = oc.CreateOwned(ctx, owner, records, domain.Record{ID: "r"}, f.unique)
			if e := domain.AsError(err); domain.KindOf(err) != domain.Conflict || e == nil || e.Existing == nil || e.Existing.ID != "r" {
				t.Errorf("CreateOwned over a live id = %v, want Conflict with the existing object", err)
			}
		})
		for _, missing := range []struct {
			name  string
			setup func(t *testing.T, s ports.Storage)
		}{
			{"never created", func(*testing.T, ports.Storage) {}},
			{"deleted", func(t *testing.T, s ports.Storage) {
				mustCreate(t, s, colls, domain.Record{ID: "c"})
				if _, err := s.Delete(ctx, colls, "c", 0); err != nil {
					t.Fatalf("Delete owner: %v", err)
				}
			}},
		} {
			t.Run(f.name+"/owner "+missing.name, func(t *testing.T) {
				s, oc := setup(t)
				missing.setup(t, s)
				before := mustTimestamp(t, s, records)
				_, err := oc.CreateOwned(ctx, owner, records, f.rec, f.unique)
				if domain.KindOf(err) != domain.NotFound {
					t.Fatalf("CreateOwned under a missing owner = %v, want NotFound", err)
				}
				if _, err := s.Get(ctx, records, "r"); domain.KindOf(err) != domain.NotFound {
					t.Errorf("the object was stored anyway: Get = %v", err)
				}
				if ts := mustTimestamp(t, s, records); ts != before {
					t.Errorf("list timestamp moved from %d to %d", before, ts)
				}
			})
		}
	}
	t.Run("over a tombstone", func(t *testing.T) {
		s, oc := setup(t)
		mustCreate(t, s, colls, domain.Record{ID: "c"})
		mustCreate(t, s, records, domain.Record{ID: "r"})
		tomb, err := s.Delete(ctx, records, "r", 0)
		if err != nil {
			t.Fatalf("Delete: %v", err)
		}
		got, err := oc.CreateOwned(ctx, owner, records, domain.Record{ID: "r"}, nil)
		if err != nil || got.LastModified <= tomb.LastModified {
			t.Errorf("CreateOwned over a tombstone = %+v, %v; want a new live object after %d", got, err, tomb.LastModified)
		}
	})
}

func mustTimestamp(t *testing.T, s ports.Storage, p domain.Parent) int64 {
	t.Helper()
	ts, err := s.Timestamp(context.Background(), p)
	if err != nil {
		t.Fatalf("Timestamp(%v): %v", p, err)
	}
	return ts
}

func mustCreate(t *testing.T, s ports.Storage, p domain.Parent, rec domain.Record) domain.Record {
	t.Helper()
	got, err := s.Create(context.Background(), p, rec, nil)
	if err != nil {
		t.Fatalf("Create(%v, %s): %v", p, rec.ID, err)
	}
	return got
}
