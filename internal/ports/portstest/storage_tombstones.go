package portstest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

func storageTombstones(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	stCreate(t, s, stParent, "a", `{"title":"x"}`)
	b := stCreate(t, s, stParent, "b", `{"title":"y"}`)
	stCreate(t, s, stParent, "c", `{"title":"x"}`)
	stDelete(t, s, stParent, "c")
	stDelete(t, s, stParent, "a")

	if got := stIDs(stList(t, s, stParent, domain.Query{Sort: byNewest})); got != "b" {
		t.Errorf("List(live) = %s, want b", got)
	}
	got := stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if stIDs(got) != "a,c,b" || !got[0].Deleted || !got[1].Deleted || got[2].Deleted {
		t.Errorf("List(with deleted) = %s, want tombstones a,c then b", stJSON(t, got))
	}
	since := []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: json.Number(fmt.Sprint(b.LastModified))}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: since, Sort: byNewest, WithDeleted: true})); got != "a,c" {
		t.Errorf("List(_since=b, with deleted) = %s, want a,c", got)
	}
	deleted := append(since, domain.Filter{Field: "deleted", Op: domain.OpEq, Value: true})
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: deleted, Sort: byNewest, WithDeleted: true})); got != "a,c" {
		t.Errorf("List(_since, deleted=true) = %s, want a,c", got)
	}
	titled := []domain.Filter{{Field: "title", Op: domain.OpEq, Value: "x"}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: titled, Sort: byNewest, WithDeleted: true})); got != "" {
		t.Errorf("List(title=x, with deleted) = %s, want nothing: tombstones keep no data", got)
	}
	notTitled := []domain.Filter{{Field: "title", Op: domain.OpNot, Value: "y"}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: notTitled, Sort: byNewest, WithDeleted: true})); got != "a,c" {
		t.Errorf("List(not title=y, with deleted) = %s, want a,c", got)
	}
	if n, _ := s.Count(ctx, stParent, since); n != 0 {
		t.Errorf("Count(_since) = %d, want 0: tombstones are never counted", n)
	}
	stCreate(t, s, stParent, "a", `{"title":"again"}`)
	got = stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if stIDs(got) != "a,c,b" || got[0].Deleted {
		t.Errorf("List after re-creating a = %s, want live a first", stJSON(t, got))
	}
}

func storageDeleteMany(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	for i := range 10 {
		stCreate(t, s, stParent, fmt.Sprintf("d%d", i), fmt.Sprintf(`{"n":%d,"odd":%v}`, i, i%2 == 1))
	}
	before := stTimestamp(t, s, stParent)
	byN := []domain.Sort{{Field: "n"}, {Field: "last_modified", Desc: true}}
	q := domain.Query{Filters: []domain.Filter{{Field: "n", Op: domain.OpMin, Value: json.Number("3")}}, Sort: byN, Limit: 4}
	gone, err := s.DeleteMany(ctx, stParent, q)
	if err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if stIDs(gone) != "d3,d4,d5,d6" {
		t.Fatalf("DeleteMany(n >= 3, by n, limit 4) = %s, want d3,d4,d5,d6", stIDs(gone))
	}
	for i, r := range gone {
		if !r.Deleted || len(r.Data) != 0 {
			t.Errorf("DeleteMany[%d] = %+v, want a tombstone", i, r)
		}
		if i == 0 && r.LastModified <= before {
			t.Errorf("first tombstone stamped %d, want above %d", r.LastModified, before)
		}
		if i > 0 && r.LastModified != gone[i-1].LastModified+1 {
			t.Errorf("tombstone %s stamped %d, want consecutive %d", r.ID, r.LastModified, gone[i-1].LastModified+1)
		}
	}
	if got := stTimestamp(t, s, stParent); got != gone[3].LastModified {
		t.Errorf("Timestamp after DeleteMany = %d, want the last tombstone %d", got, gone[3].LastModified)
	}
	if got := stIDs(stList(t, s, stParent, domain.Query{Sort: byN})); got != "d0,d1,d2,d7,d8,d9" {
		t.Errorf("List after DeleteMany = %s, want d0,d1,d2,d7,d8,d9", got)
	}

	// The next page of the deletion, from the last deleted object's cursor.
	cursor := []domain.SortValue{{Value: json.Number("6")}, {Value: json.Number("1")}}
	q.After, q.Limit = cursor, 0
	q.Filters = append(q.Filters, domain.Filter{Field: "odd", Op: domain.OpEq, Value: true})
	gone, err = s.DeleteMany(ctx, stParent, q)
	if err != nil || stIDs(gone) != "d7,d9" {
		t.Errorf("DeleteMany(after n=6, odd) = %s, %v; want d7,d9", stIDs(gone), err)
	}
	last := stTimestamp(t, s, stParent)
	gone, err = s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest, Filters: []domain.Filter{{Field: "n", Op: domain.OpGt, Value: json.Number("100")}}})
	if err != nil || len(gone) != 0 {
		t.Errorf("DeleteMany(nothing matches) = %s, %v; want nothing", stIDs(gone), err)
	}
	if got := stTimestamp(t, s, stParent); got != last {
		t.Errorf("Timestamp after an empty DeleteMany = %d, want %d", got, last)
	}
	gone, err = s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest, Limit: 2})
	if err != nil || stIDs(gone) != "d8,d2" {
		t.Errorf("DeleteMany(newest first, limit 2) = %s, %v; want d8,d2", stIDs(gone), err)
	}
	if n, _ := s.Count(ctx, stParent, nil); n != 2 {
		t.Errorf("Count after DeleteMany = %d, want 2", n)
	}
	all := stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if len(all) != 10 {
		t.Errorf("List(with deleted) = %d objects, want 10 (tombstones kept)", len(all))
	}
}

func storagePurge(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	b1 := domain.Parent{Resource: "collection", ID: "/buckets/b1"}
	b1g := domain.Parent{Resource: "group", ID: "/buckets/b1"}
	b1c := domain.Parent{Resource: "record", ID: "/buckets/b1/collections/c"}
	b10 := domain.Parent{Resource: "collection", ID: "/buckets/b10"}
	b10c := domain.Parent{Resource: "record", ID: "/buckets/b10/collections/c"}
	root := domain.Parent{Resource: "bucket", ID: ""}
	stCreate(t, s, b1, "c", `{}`)
	stCreate(t, s, b1, "d", `{}`)
	stDelete(t, s, b1, "d")
	stCreate(t, s, b1g, "g", `{}`)
	stCreate(t, s, b1c, "r1", `{}`)
	stCreate(t, s, b1c, "r2", `{}`)
	stCreate(t, s, b10, "c", `{}`)
	stCreate(t, s, b10c, "r1", `{}`)
	stCreate(t, s, root, "b1", `{}`)

	n, err := s.Purge(ctx, "/buckets/b1")
	if err != nil || n != 5 {
		t.Errorf("Purge(/buckets/b1) = %d, %v; want 5 (objects and tombstones)", n, err)
	}
	for _, p := range []domain.Parent{b1, b1g, b1c} {
		if recs := stList(t, s, p, domain.Query{Sort: byNewest, WithDeleted: true}); len(recs) != 0 {
			t.Errorf("List(%v) after Purge = %s, want nothing", p, stIDs(recs))
		}
	}
	if _, err := s.Get(ctx, b1c, "r1"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(purged r1): kind %v, want NotFound", domain.KindOf(err))
	}
	for _, p := range []domain.Parent{b10, b10c, root} {
		if c, _ := s.Count(ctx, p, nil); c != 1 {
			t.Errorf("Count(%v) after Purge(/buckets/b1) = %d, want 1: siblings sharing a prefix survive", p, c)
		}
	}
	// A purged list can be written again.
	if _, err := s.Create(ctx, b1c, domain.Record{ID: "r1", Data: map[string]any{}}, nil); err != nil {
		t.Errorf("Create in a purged list: %v", err)
	}
	if n, err := s.Purge(ctx, "/buckets/nothing"); err != nil || n != 0 {
		t.Errorf("Purge(nothing) = %d, %v; want 0", n, err)
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for _, p := range []domain.Parent{b10, b10c} {
			for _, r := range stList(t, s, p, domain.Query{Sort: byNewest}) {
				if !yield(p.ID + "/" + r.ID) {
					return
				}
			}
		}
	})
	if strings.Join(got, " ") != "/buckets/b10/c /buckets/b10/collections/c/r1" {
		t.Errorf("survivors = %v", got)
	}
}
