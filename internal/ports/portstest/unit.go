package portstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// RunUnitOfWork runs the contract of ports.UnitOfWork against the store that
// newStore builds (empty, once per subtest):
//
//   - a unit that returns nil commits every storage and permission change;
//   - an error, a panic or a context done before the commit leaves nothing
//     of the unit behind, whatever it did (creates, updates, deletes,
//     DeleteMany, Purge, ACLs, user principals), and a unit's uncommitted
//     work is never seen from outside;
//   - a nested unit is a savepoint: its failure, even from a statement the
//     backend refused, undoes only its own work and the outer unit goes on;
//   - with LockList, concurrent read-check-write units lose no update: N
//     writers holding the same expected timestamp, exactly one wins; N×M
//     increments of one counter all count.
func RunUnitOfWork(t *testing.T, newStore func(t *testing.T) ports.Store) {
	cases := []struct {
		name string
		run  func(t *testing.T, st ports.Store)
	}{
		{"Commit", unitCommit},
		{"RollbackOnError", unitRollbackOnError},
		{"RollbackOnPanic", unitRollbackOnPanic},
		{"RollbackOnCanceledContext", unitRollbackOnCanceledContext},
		{"CanceledBeforeStart", unitCanceledBeforeStart},
		{"NoDirtyReads", unitNoDirtyReads},
		{"NestedIsSavepoint", unitNested},
		{"NestedAfterRefusedStatement", unitNestedAfterRefusedStatement},
		{"ManyNested", unitManyNested},
		{"ConcurrentIfMatch", unitConcurrentIfMatch},
		{"ConcurrentIncrements", unitConcurrentIncrements},
		{"FlushRollsBack", unitFlushRollsBack},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStore(t))
		})
	}
}

var (
	unitParent = domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	unitChild  = domain.Parent{Resource: "record", ID: "/buckets/b/collections/c/x"}
	errUnit    = errors.New("unit refuses")
)

// unitState is everything the rollback cases compare.
type unitState struct {
	Objects    []domain.Record
	Children   []domain.Record
	Timestamp  int64
	ACLs       map[string]ports.ACL
	Principals []string
}

func snapshot(t *testing.T, st ports.Store) string {
	t.Helper()
	ctx := context.Background()
	all := domain.Query{WithDeleted: true, Sort: []domain.Sort{{Field: "id"}}}
	var s unitState
	var err error
	if s.Objects, err = st.Storage().List(ctx, unitParent, all); err != nil {
		t.Fatalf("List: %v", err)
	}
	if s.Children, err = st.Storage().List(ctx, unitChild, all); err != nil {
		t.Fatalf("List children: %v", err)
	}
	if s.Timestamp, err = st.Storage().Timestamp(ctx, unitParent); err != nil {
		t.Fatalf("Timestamp: %v", err)
	}
	s.ACLs = map[string]ports.ACL{}
	for _, obj := range []string{"/buckets/b/collections/c/records/a", "/buckets/b/collections/c/records/new", "/buckets/b/collections/c/x/records/y"} {
		acl, err := st.Permission().ObjectACL(ctx, obj)
		if err != nil {
			t.Fatalf("ObjectACL: %v", err)
		}
		s.ACLs[obj] = acl
	}
	if s.Principals, err = st.Permission().UserPrincipals(ctx, "alice"); err != nil {
		t.Fatalf("UserPrincipals: %v", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// unitSeed stores a few objects and entries that the units then change.
func unitSeed(t *testing.T, st ports.Store) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c", "d"} {
		stCreate(t, st.Storage(), unitParent, id, `{"n": 1, "name": "`+id+`"}`)
	}
	stCreate(t, st.Storage(), unitChild, "y", `{}`)
	must(t, st.Permission().AddPrincipal(ctx, "/buckets/b/collections/c/records/a", "write", "alice"))
	must(t, st.Permission().AddPrincipal(ctx, "/buckets/b/collections/c/x/records/y", "read", "bob"))
	must(t, st.Permission().AddUserPrincipal(ctx, "alice", "/buckets/b/groups/g"))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// unitWriteEverything makes one change of every kind inside a unit.
func unitWriteEverything(ctx context.Context, st ports.Store) error {
	s, p := st.Storage(), st.Permission()
	if err := s.LockList(ctx, unitParent); err != nil {
		return fmt.Errorf("LockList: %w", err)
	}
	if _, err := s.Create(ctx, unitParent, domain.Record{ID: "new", Data: map[string]any{"n": 1}}, []string{"name"}); err != nil {
		return fmt.Errorf("Create: %w", err)
	}
	if _, err := s.Update(ctx, unitParent, domain.Record{ID: "a", Data: map[string]any{"n": 2, "name": "z"}}, []string{"name"}); err != nil {
		return fmt.Errorf("Update: %w", err)
	}
	if _, err := s.Update(ctx, unitParent, domain.Record{ID: "a", Data: map[string]any{"n": 3, "name": "a"}}, []string{"name"}); err != nil {
		return fmt.Errorf("Update again: %w", err)
	}
	if _, err := s.Delete(ctx, unitParent, "b", 0); err != nil {
		return fmt.Errorf("Delete: %w", err)
	}
	if _, err := s.DeleteMany(ctx, unitParent, domain.Query{Filters: []domain.Filter{{Field: "id", Op: domain.OpEq, Value: "c"}}, Sort: []domain.Sort{{Field: "last_modified", Desc: true}}}); err != nil {
		return fmt.Errorf("DeleteMany: %w", err)
	}
	if _, err := s.Purge(ctx, unitChild.ID); err != nil {
		return fmt.Errorf("Purge: %w", err)
	}
	if err := p.ReplaceACL(ctx, "/buckets/b/collections/c/records/new", ports.ACL{"write": {"alice"}, "read": {"system.Everyone"}}); err != nil {
		return fmt.Errorf("ReplaceACL: %w", err)
	}
	if err := p.RemovePrincipal(ctx, "/buckets/b/collections/c/records/a", "write", "alice"); err != nil {
		return fmt.Errorf("RemovePrincipal: %w", err)
	}
	if err := p.AddPrincipal(ctx, "/buckets/b/collections/c/records/a", "read", "carol"); err != nil {
		return fmt.Errorf("AddPrincipal: %w", err)
	}
	if err := p.DeleteACLs(ctx, unitChild.ID); err != nil {
		return fmt.Errorf("DeleteACLs: %w", err)
	}
	if err := p.AddUserPrincipal(ctx, "alice", "/buckets/b/groups/h"); err != nil {
		return fmt.Errorf("AddUserPrincipal: %w", err)
	}
	if err := p.RemoveUserPrincipalsUnder(ctx, "/buckets/b/groups/g"); err != nil {
		return fmt.Errorf("RemoveUserPrincipalsUnder: %w", err)
	}
	return nil
}

func unitCommit(t *testing.T, st ports.Store) {
	unitSeed(t, st)
	before := snapshot(t, st)
	if err := st.Atomically(context.Background(), func(ctx context.Context) error {
		return unitWriteEverything(ctx, st)
	}); err != nil {
		t.Fatalf("Atomically: %v", err)
	}
	if snapshot(t, st) == before {
		t.Fatal("a committed unit left the store unchanged")
	}
	ctx := context.Background()
	if rec, err := st.Storage().Get(ctx, unitParent, "new"); err != nil || rec.Data["n"] == nil {
		t.Errorf("Get(new) after commit = %+v, %v", rec, err)
	}
	if _, err := st.Storage().Get(ctx, unitParent, "b"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(b) after a committed delete: %v, want NotFound", err)
	}
	wantACL(t, st.Permission(), "/buckets/b/collections/c/records/new", ports.ACL{"write": {"alice"}, "read": {"system.Everyone"}})
	wantACL(t, st.Permission(), "/buckets/b/collections/c/records/a", ports.ACL{"read": {"carol"}})
	wantUserPrincipals(t, st.Permission(), "alice", []string{"/buckets/b/groups/h"})
	// The committed list timestamps stay strictly increasing afterwards.
	ts := stTimestamp(t, st.Storage(), unitParent)
	rec := stCreate(t, st.Storage(), unitParent, "after", `{}`)
	if rec.LastModified <= ts {
		t.Errorf("write after the unit stamped %d, not above the list's %d", rec.LastModified, ts)
	}
}

func unitRollbackOnError(t *testing.T, st ports.Store) {
	unitSeed(t, st)
	before := snapshot(t, st)
	err := st.Atomically(context.Background(), func(ctx context.Context) error {
		if err := unitWriteEverything(ctx, st); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Atomically = %v, want fn's error", err)
	}
	if after := snapshot(t, st); after != before {
		t.Errorf("a failed unit left changes:\nbefore %s\nafter  %s", before, after)
	}
	// The store still works, and timestamps stay unique and increasing.
	ts := stTimestamp(t, st.Storage(), unitParent)
	rec := stCreate(t, st.Storage(), unitParent, "after", `{}`)
	if rec.LastModified <= ts {
		t.Errorf("write after a rollback stamped %d, not above the list's %d", rec.LastModified, ts)
	}
	if got := stIDs(stList(t, st.Storage(), unitParent, domain.Query{Sort: []domain.Sort{{Field: "last_modified", Desc: true}}})); got != "after,d,c,b,a" {
		t.Errorf("default order after a rollback = %s, want after,d,c,b,a", got)
	}
}

func unitRollbackOnPanic(t *testing.T, st ports.Store) {
	unitSeed(t, st)
	before := snapshot(t, st)
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the unit's panic re-raised", r)
			}
		}()
		_ = st.Atomically(context.Background(), func(ctx context.Context) error {
			if err := unitWriteEverything(ctx, st); err != nil {
				t.Error(err)
			}
			panic("boom")
		})
	}()
	if after := snapshot(t, st); after != before {
		t.Errorf("a panicking unit left changes:\nbefore %s\nafter  %s", before, after)
	}
}

func unitRollbackOnCanceledContext(t *testing.T, st ports.Store) {
	unitSeed(t, st)
	before := snapshot(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := st.Atomically(ctx, func(ctx context.Context) error {
		if err := unitWriteEverything(ctx, st); err != nil {
			return err
		}
		cancel() // the client went away after the writes, before the commit
		return nil
	})
	if domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Atomically with ctx canceled before the commit = %v, want Unavailable", err)
	}
	if after := snapshot(t, st); after != before {
		t.Errorf("a canceled unit left changes:\nbefore %s\nafter  %s", before, after)
	}
}

func unitCanceledBeforeStart(t *testing.T, st ports.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := st.Atomically(ctx, func(context.Context) error { ran = true; return nil })
	if ran || domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Atomically(canceled ctx): ran %v, err %v; want not run, Unavailable", ran, err)
	}
}

// unitNoDirtyReads reads, from outside, while a unit holds an uncommitted
// object: the reader must never see it, whether the adapter makes it wait
// or shows it the committed state.
func unitNoDirtyReads(t *testing.T, st ports.Store) {
	ctx := context.Background()
	written := make(chan struct{})
	release := make(chan struct{})
	unitDone := make(chan error, 1)
	go func() {
		unitDone <- st.Atomically(ctx, func(ctx context.Context) error {
			if _, err := st.Storage().Create(ctx, unitParent, domain.Record{ID: "ghost"}, nil); err != nil {
				return err
			}
			if err := st.Permission().AddPrincipal(ctx, "/buckets/b/collections/c/records/ghost", "write", "alice"); err != nil {
				return err
			}
			close(written)
			<-release
			return errUnit
		})
	}()
	select {
	case <-written:
	case <-time.After(10 * time.Second):
		t.Fatal("the unit did not write within 10s")
	}
	readDone := make(chan error, 1)
	go func() {
		_, err := st.Storage().Get(ctx, unitParent, "ghost")
		if domain.KindOf(err) != domain.NotFound {
			readDone <- fmt.Errorf("Get(ghost) during or after the unit: %v, want NotFound", err)
			return
		}
		acl, err := st.Permission().ObjectACL(ctx, "/buckets/b/collections/c/records/ghost")
		if err != nil || len(acl) != 0 {
			readDone <- fmt.Errorf("ObjectACL(ghost) = %v, %v; want empty", acl, err)
			return
		}
		readDone <- nil
	}()
	// Give a reader that does not wait time to read the uncommitted state.
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-unitDone; !errors.Is(err, errUnit) {
		t.Fatalf("Atomically = %v, want fn's error", err)
	}
	select {
	case err := <-readDone:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the reader did not finish within 10s of the unit's end")
	}
}

func unitNested(t *testing.T, st ports.Store) {
	ctx := context.Background()
	s := st.Storage()
	err := st.Atomically(ctx, func(ctx context.Context) error {
		if _, err := s.Create(ctx, unitParent, domain.Record{ID: "outer"}, nil); err != nil {
			return err
		}
		inner := st.Atomically(ctx, func(ctx context.Context) error {
			if _, err := s.Create(ctx, unitParent, domain.Record{ID: "undone"}, nil); err != nil {
				return err
			}
			if err := st.Permission().AddPrincipal(ctx, "/buckets/b/collections/c/records/undone", "write", "alice"); err != nil {
				return err
			}
			return errUnit
		})
		if !errors.Is(inner, errUnit) {
			return fmt.Errorf("nested Atomically = %v, want its fn's error", inner)
		}
		return st.Atomically(ctx, func(ctx context.Context) error {
			_, err := s.Create(ctx, unitParent, domain.Record{ID: "kept"}, nil)
			return err
		})
	})
	if err != nil {
		t.Fatalf("Atomically: %v", err)
	}
	if got := stIDs(stList(t, s, unitParent, domain.Query{WithDeleted: true, Sort: []domain.Sort{{Field: "id"}}})); got != "kept,outer" {
		t.Errorf("objects after the outer commit = %s, want kept,outer (the failed nested unit undone)", got)
	}
	wantACL(t, st.Permission(), "/buckets/b/collections/c/records/undone", ports.ACL{})
	recs := stList(t, s, unitParent, domain.Query{Sort: []domain.Sort{{Field: "last_modified"}}})
	if len(recs) != 2 || recs[0].LastModified >= recs[1].LastModified || stTimestamp(t, s, unitParent) != recs[1].LastModified {
		t.Errorf("timestamps after nested units: %+v, list %d", recs, stTimestamp(t, s, unitParent))
	}
}

// unitManyNested runs a batch's shape: many nested units in a row, every
// third one failing, some holding nested units of their own whose outer
// unit then fails or succeeds. Exactly the writes of the units that
// succeeded, inside units that succeeded, remain.
func unitManyNested(t *testing.T, st ports.Store) {
	ctx := context.Background()
	s := st.Storage()
	var want []string
	err := st.Atomically(ctx, func(ctx context.Context) error {
		for i := range 40 {
			id := fmt.Sprintf("r%02d", i)
			fails := i%3 == 2
			err := st.Atomically(ctx, func(ctx context.Context) error {
				if _, err := s.Create(ctx, unitParent, domain.Record{ID: id}, nil); err != nil {
					return err
				}
				if i%4 == 0 { // an inner unit that succeeds
					if err := st.Atomically(ctx, func(ctx context.Context) error {
						_, err := s.Create(ctx, unitParent, domain.Record{ID: id + "-inner"}, nil)
						return err
					}); err != nil {
						return err
					}
				}
				if i%5 == 0 { // an inner unit that fails
					_ = st.Atomically(ctx, func(ctx context.Context) error {
						if _, err := s.Create(ctx, unitParent, domain.Record{ID: id + "-undone"}, nil); err != nil {
							return err
						}
						return errUnit
					})
				}
				if fails {
					return errUnit
				}
				return nil
			})
			if fails != errors.Is(err, errUnit) || (!fails && err != nil) {
				return fmt.Errorf("nested unit %d = %v", i, err)
			}
			if !fails {
				want = append(want, id)
				if i%4 == 0 {
					want = append(want, id+"-inner")
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Atomically: %v", err)
	}
	slices.Sort(want)
	if got := stIDs(stList(t, s, unitParent, domain.Query{WithDeleted: true, Sort: []domain.Sort{{Field: "id"}}})); got != strings.Join(want, ",") {
		t.Errorf("objects after the commit = %s\nwant %s", got, strings.Join(want, ","))
	}
}

// unitNestedAfterRefusedStatement fails a nested unit with a write the
// backend itself refuses (a proposed timestamp another object holds), then
// goes on writing in the outer unit.
func unitNestedAfterRefusedStatement(t *testing.T, st ports.Store) {
	ctx := context.Background()
	s := st.Storage()
	first := stCreate(t, s, unitParent, "first", `{}`)
	stCreate(t, s, unitParent, "second", `{}`)
	err := st.Atomically(ctx, func(ctx context.Context) error {
		inner := st.Atomically(ctx, func(ctx context.Context) error {
			_, err := s.Create(ctx, unitParent, domain.Record{ID: "clash", LastModified: first.LastModified}, nil)
			return err
		})
		if domain.KindOf(inner) != domain.Conflict {
			return fmt.Errorf("nested Create with a taken timestamp = %v, want Conflict", inner)
		}
		_, err := s.Create(ctx, unitParent, domain.Record{ID: "third"}, nil)
		return err
	})
	if err != nil {
		t.Fatalf("Atomically: %v", err)
	}
	if got := stIDs(stList(t, s, unitParent, domain.Query{Sort: []domain.Sort{{Field: "id"}}})); got != "first,second,third" {
		t.Errorf("objects = %s, want first,second,third", got)
	}
}

// ifMatch is the read-check-write an If-Match update performs in a unit.
func ifMatch(ctx context.Context, st ports.Store, id string, expected int64, data map[string]any) error {
	return st.Atomically(ctx, func(ctx context.Context) error {
		s := st.Storage()
		if err := s.LockList(ctx, unitParent); err != nil {
			return err
		}
		cur, err := s.Get(ctx, unitParent, id)
		if err != nil {
			return err
		}
		if cur.LastModified != expected {
			return &domain.Error{Kind: domain.PreconditionFailed, Op: "portstest.ifMatch", Existing: &cur}
		}
		_, err = s.Update(ctx, unitParent, domain.Record{ID: id, Data: data}, nil)
		return err
	})
}

func unitConcurrentIfMatch(t *testing.T, st ports.Store) {
	rec := stCreate(t, st.Storage(), unitParent, "r", `{"winner": -1}`)
	const writers = 12
	var wins, refused atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := ifMatch(context.Background(), st, "r", rec.LastModified, map[string]any{"winner": i})
			switch {
			case err == nil:
				wins.Add(1)
			case domain.KindOf(err) == domain.PreconditionFailed:
				if e := domain.AsError(err); e.Existing == nil || e.Existing.LastModified == rec.LastModified {
					errs <- fmt.Errorf("writer %d refused without the current object: %+v", i, e.Existing)
				}
				refused.Add(1)
			default:
				errs <- fmt.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if wins.Load() != 1 || refused.Load() != writers-1 {
		t.Errorf("%d writers with the same If-Match: %d won, %d refused; want exactly 1 winner", writers, wins.Load(), refused.Load())
	}
}

func unitConcurrentIncrements(t *testing.T, st ports.Store) {
	stCreate(t, st.Storage(), unitParent, "counter", `{"n": 0}`)
	const writers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := st.Atomically(context.Background(), func(ctx context.Context) error {
					s := st.Storage()
					if err := s.LockList(ctx, unitParent); err != nil {
						return err
					}
					cur, err := s.Get(ctx, unitParent, "counter")
					if err != nil {
						return err
					}
					n, _ := domain.AsInt(cur.Data["n"])
					_, err = s.Update(ctx, unitParent, domain.Record{ID: "counter", Data: map[string]any{"n": n + 1}}, nil)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("increment: %v", err)
	}
	cur, err := st.Storage().Get(context.Background(), unitParent, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := domain.AsInt(cur.Data["n"]); n != writers*each {
		t.Errorf("counter = %d after %d acknowledged increments: %d lost", n, writers*each, writers*each-n)
	}
}
