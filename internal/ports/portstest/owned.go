package portstest

import (
	"context"
	"errors"
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

// RunFreshCreator checks a store whose storage is a ports.FreshCreator:
// creates held back inside a unit are seen by the unit's reads, undone
// with a failed nested unit, written at commit, and a clash with a live
// id fails the unit.
func RunFreshCreator(t *testing.T, newStore func(t *testing.T) ports.Store) {
	ctx := context.Background()
	colls := domain.Parent{Resource: "collection", ID: "/buckets/b"}
	records := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	owner := ports.ObjectRef{List: colls, ID: "c"}
	errFail := errors.New("nested unit fails")
	setup := func(t *testing.T) (ports.Store, ports.FreshCreator) {
		st := newStore(t)
		fc, ok := st.Storage().(ports.FreshCreator)
		if !ok {
			t.Fatalf("%T does not implement ports.FreshCreator", st.Storage())
		}
		mustCreate(t, st.Storage(), colls, domain.Record{ID: "c"})
		return st, fc
	}
	ids := func(t *testing.T, s ports.Storage, ctxs ...context.Context) string {
		t.Helper()
		ctx := ctx
		if len(ctxs) > 0 {
			ctx = ctxs[0]
		}
		recs, err := s.List(ctx, records, domain.Query{Sort: []domain.Sort{{Field: "last_modified"}}})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		var out []string
		for i, r := range recs {
			if i > 0 && r.LastModified <= recs[i-1].LastModified {
				t.Errorf("timestamps not increasing: %+v", recs)
			}
			out = append(out, r.ID)
		}
		return fmt.Sprint(out)
	}

	t.Run("seen by the unit, written at commit", func(t *testing.T) {
		st, fc := setup(t)
		s := st.Storage()
		var last int64
		err := st.Atomically(ctx, func(ctx context.Context) error {
			for _, id := range []string{"a", "b", "c", "d"} {
				rec, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: id, Data: map[string]any{"id": id}})
				if err != nil {
					return err
				}
				if rec.LastModified <= last {
					return fmt.Errorf("%s stamped %d after %d", id, rec.LastModified, last)
				}
				last = rec.LastModified
				if err := st.Permission().AddPrincipal(ctx, "/buckets/b/collections/c/records/"+id, "write", "alice"); err != nil {
					return err
				}
			}
			if got := ids(t, s, ctx); got != "[a b c d]" {
				return fmt.Errorf("inside the unit, the list is %s", got)
			}
			acl, err := st.Permission().ObjectACL(ctx, "/buckets/b/collections/c/records/d")
			if err != nil || len(acl["write"]) != 1 {
				return fmt.Errorf("inside the unit, d's ACL is %v, %v", acl, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Atomically: %v", err)
		}
		if got := ids(t, s); got != "[a b c d]" {
			t.Errorf("after commit, the list is %s", got)
		}
		if ts := mustTimestamp(t, s, records); ts != last {
			t.Errorf("list timestamp %d, want the last create's %d", ts, last)
		}
		wantACL(t, st.Permission(), "/buckets/b/collections/c/records/a", ports.ACL{"write": {"alice"}})
	})

	t.Run("undone with a failed nested unit", func(t *testing.T) {
		st, fc := setup(t)
		s := st.Storage()
		err := st.Atomically(ctx, func(ctx context.Context) error {
			if _, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: "kept"}); err != nil {
				return err
			}
			for _, read := range []bool{false, true} {
				err := st.Atomically(ctx, func(ctx context.Context) error {
					if _, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: fmt.Sprint("undone-", read)}); err != nil {
						return err
					}
					if err := st.Permission().AddPrincipal(ctx, "/buckets/b/collections/c/records/kept", "read", fmt.Sprint("undone-", read)); err != nil {
						return err
					}
					if read { // a statement inside the nested unit
						if _, err := s.Get(ctx, records, "undone-true"); err != nil {
							return err
						}
					}
					return errFail
				})
				if !errors.Is(err, errFail) {
					return fmt.Errorf("nested unit = %v", err)
				}
			}
			_, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: "after"})
			return err
		})
		if err != nil {
			t.Fatalf("Atomically: %v", err)
		}
		if got := ids(t, s); got != "[kept after]" {
			t.Errorf("after commit, the list is %s, want [kept after]", got)
		}
		wantACL(t, st.Permission(), "/buckets/b/collections/c/records/kept", ports.ACL{})
	})

	t.Run("a live id fails the unit", func(t *testing.T) {
		st, fc := setup(t)
		s := st.Storage()
		mustCreate(t, s, records, domain.Record{ID: "taken"})
		before := mustTimestamp(t, s, records)
		err := st.Atomically(ctx, func(ctx context.Context) error {
			if _, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: "new"}); err != nil {
				return err
			}
			_, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: "taken"})
			return err
		})
		if domain.KindOf(err) != domain.Conflict {
			t.Fatalf("Atomically = %v, want Conflict", err)
		}
		if got := ids(t, s); got != "[taken]" {
			t.Errorf("after the failed unit, the list is %s, want [taken]", got)
		}
		if ts := mustTimestamp(t, s, records); ts != before {
			t.Errorf("list timestamp moved from %d to %d", before, ts)
		}
	})

	t.Run("outside a unit", func(t *testing.T) {
		st, fc := setup(t)
		if _, err := fc.CreateFresh(ctx, owner, records, domain.Record{ID: "alone"}); err != nil {
			t.Fatalf("CreateFresh: %v", err)
		}
		if got := ids(t, st.Storage()); got != "[alone]" {
			t.Errorf("the list is %s", got)
		}
		_, err := fc.CreateFresh(ctx, ports.ObjectRef{List: colls, ID: "missing"}, domain.Parent{Resource: "record", ID: "/buckets/b/collections/missing"}, domain.Record{ID: "x"})
		if domain.KindOf(err) != domain.NotFound {
			t.Errorf("CreateFresh under a missing owner = %v, want NotFound", err)
		}
	})
}
