package portstest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// storageFlush: Flush empties every list, tombstones and timestamps too.
func storageFlush(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	a := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	u := domain.Parent{Resource: "article", ID: "basicauth:alice"} // not a path
	stCreate(t, s, a, "r1", `{}`)
	stCreate(t, s, a, "r2", `{}`)
	stDelete(t, s, a, "r2")
	stCreate(t, s, u, "x", `{}`)
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for _, p := range []domain.Parent{a, u} {
		if recs := stList(t, s, p, domain.Query{Sort: byNewest, WithDeleted: true}); len(recs) != 0 {
			t.Errorf("List(%v) after Flush = %s, want nothing", p, stIDs(recs))
		}
	}
	// The timestamp went too: the next one is read anew from the clock, and
	// the store works as new.
	rec := stCreate(t, s, a, "r1", `{}`)
	if rec.LastModified <= 0 {
		t.Errorf("Create after Flush stamped %d", rec.LastModified)
	}
	if err := s.Flush(ctx); err != nil {
		t.Errorf("Flush of a flushed store: %v", err)
	}
}

// storagePurgeDeleted: tombstones of one resource go, selected by age or
// by how many each list keeps; live objects and other resources stay.
func storagePurgeDeleted(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	c1 := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c1"}
	c2 := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c2"}
	b := domain.Parent{Resource: "collection", ID: "/buckets/b"}
	var c1Tombs []domain.Record
	for _, id := range []string{"a", "b", "c", "d"} {
		stCreate(t, s, c1, id, `{}`)
		c1Tombs = append(c1Tombs, stDelete(t, s, c1, id))
	}
	stCreate(t, s, c1, "live", `{}`)
	var c2Tombs []domain.Record
	for _, id := range []string{"x", "y"} {
		stCreate(t, s, c2, id, `{}`)
		c2Tombs = append(c2Tombs, stDelete(t, s, c2, id))
	}
	stCreate(t, s, b, "gone", `{}`)
	stDelete(t, s, b, "gone")
	tombs := func(p domain.Parent) string {
		t.Helper()
		var ids []string
		for _, r := range stList(t, s, p, domain.Query{Sort: byNewest, WithDeleted: true}) {
			if r.Deleted {
				ids = append(ids, r.ID)
			} else {
				ids = append(ids, "+"+r.ID)
			}
		}
		return strings.Join(ids, ",")
	}

	// By age: the tombstones of c1 before c's, and those of c2 stamped
	// before it too (lists stamp on their own, so that depends on the clock).
	before := c1Tombs[2].LastModified
	want, c2Left := 2, []string{}
	for _, r := range c2Tombs {
		if r.LastModified < before {
			want++
		} else {
			c2Left = append(c2Left, r.ID)
		}
	}
	n, err := s.PurgeDeleted(ctx, "record", ports.PurgeOptions{Before: before})
	if err != nil || n != want {
		t.Errorf("PurgeDeleted(record, before c) = %d, %v; want %d", n, err, want)
	}
	if got := tombs(c1); got != "+live,d,c" {
		t.Errorf("c1 after purging before c = %s, want +live,d,c", got)
	}
	slices.Reverse(c2Left)
	if got := tombs(c2); got != strings.Join(c2Left, ",") {
		t.Errorf("c2 after purging before c = %s, want %s", got, strings.Join(c2Left, ","))
	}
	if len(c2Left) == 0 {
		// Make sure the by-count case has something to keep in c2.
		stCreate(t, s, c2, "x", `{}`)
		stDelete(t, s, c2, "x")
		stCreate(t, s, c2, "y", `{}`)
		stDelete(t, s, c2, "y")
		c2Left = []string{"y", "x"}
	}
	// By count: each list keeps its newest one.
	n, err = s.PurgeDeleted(ctx, "record", ports.PurgeOptions{MaxRetained: 1})
	if want := 1 + len(c2Left) - 1; err != nil || n != want {
		t.Errorf("PurgeDeleted(record, keep 1) = %d, %v; want %d (c of c1, all but y of c2)", n, err, want)
	}
	if got := tombs(c1); got != "+live,d" {
		t.Errorf("c1 after keeping 1 = %s, want +live,d", got)
	}
	if got := tombs(c2); got != "y" {
		t.Errorf("c2 after keeping 1 = %s, want y", got)
	}
	if got := tombs(b); got != "gone" {
		t.Errorf("collections after purging records = %s, want gone: other resources stay", got)
	}
	// Keeping none removes the rest, and the list timestamp stays.
	ts := stTimestamp(t, s, c2)
	if n, err := s.PurgeDeleted(ctx, "record", ports.PurgeOptions{}); err != nil || n != 2 {
		t.Errorf("PurgeDeleted(record, keep 0) = %d, %v; want 2 (d of c1, y of c2)", n, err)
	}
	if got := tombs(c2); got != "" {
		t.Errorf("c2 after keeping none = %s, want nothing", got)
	}
	if got := stTimestamp(t, s, c2); got != ts {
		t.Errorf("c2's timestamp after PurgeDeleted = %d, want %d unchanged", got, ts)
	}
	if n, err := s.PurgeDeleted(ctx, "nothing", ports.PurgeOptions{}); err != nil || n != 0 {
		t.Errorf("PurgeDeleted(nothing) = %d, %v; want 0", n, err)
	}
}

// permFlush: Flush removes every entry and every user principal.
func permFlush(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddPrincipal(ctx, "/buckets/b", "write", "alice"))
	must(s.AddPrincipal(ctx, "/buckets/b/collections/c", "read", "system.Everyone"))
	must(s.AddUserPrincipal(ctx, "alice", "/buckets/b/groups/g"))
	must(s.Flush(ctx))
	for _, o := range []string{"/buckets/b", "/buckets/b/collections/c"} {
		acl, err := s.ObjectACL(ctx, o)
		if err != nil || len(acl) != 0 {
			t.Errorf("ObjectACL(%s) after Flush = %v, %v; want empty", o, acl, err)
		}
	}
	if ps, err := s.UserPrincipals(ctx, "alice"); err != nil || len(ps) != 0 {
		t.Errorf("UserPrincipals(alice) after Flush = %v, %v; want none", ps, err)
	}
	if got, err := s.Accessible(ctx, []string{"alice"}, "/buckets/*", []string{"write"}); err != nil || len(got) != 0 {
		t.Errorf("Accessible after Flush = %v, %v; want nothing", got, err)
	}
	// It works as new.
	must(s.AddPrincipal(ctx, "/buckets/b", "write", "bob"))
	if acl, _ := s.ObjectACL(ctx, "/buckets/b"); !slices.Equal(acl["write"], []string{"bob"}) {
		t.Errorf("ObjectACL after Flush and a grant = %v, want write: bob", acl)
	}
}

// unitFlushRollsBack: a Flush inside a unit that fails leaves everything.
func unitFlushRollsBack(t *testing.T, st ports.Store) {
	unitSeed(t, st)
	before := snapshot(t, st)
	err := st.Atomically(context.Background(), func(ctx context.Context) error {
		if err := st.Storage().Flush(ctx); err != nil {
			return err
		}
		if err := st.Permission().Flush(ctx); err != nil {
			return err
		}
		if _, err := st.Storage().PurgeDeleted(ctx, unitParent.Resource, ports.PurgeOptions{}); err != nil {
			return err
		}
		return errUnit
	})
	if !errors.Is(err, errUnit) {
		t.Fatalf("Atomically = %v, want fn's error", err)
	}
	if after := snapshot(t, st); after != before {
		t.Errorf("a failed unit with Flush left changes:\nbefore %s\nafter  %s", before, after)
	}
}
