package portstest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// filterFixture creates f1…f6 (in that order) and a tombstone f7.
func filterFixture(t *testing.T, s ports.Storage) []domain.Record {
	recs := []domain.Record{
		stCreate(t, s, stParent, "f1", `{"title":"alpha","n":1,"tags":["a","b"],"meta":{"k":"x","n":10},"flag":true}`),
		stCreate(t, s, stParent, "f2", `{"title":"Beta","n":2.5,"tags":["b"],"meta":{"k":"y","n":20},"flag":false}`),
		stCreate(t, s, stParent, "f3", `{"title":"gamma ray","n":"2","tags":[],"meta":{"k":null}}`),
		stCreate(t, s, stParent, "f4", `{"title":"delta","n":null,"tags":"a","meta":{"n":30}}`),
		stCreate(t, s, stParent, "f5", `{"other":true}`),
		stCreate(t, s, stParent, "f6", `{"title":"ALPHABET","n":10,"tags":["c",{"x":1}],"meta":{"k":"x","n":5}}`),
	}
	stCreate(t, s, stParent, "f7", `{"title":"alpha","n":1}`)
	stDelete(t, s, stParent, "f7")
	return recs
}

func storageFilters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	recs := filterFixture(t, s)
	f3ts := json.Number(fmt.Sprint(recs[2].LastModified))
	v := func(s string) any {
		var x any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			t.Fatalf("decode %s: %v", s, err)
		}
		return x
	}
	type F = domain.Filter
	tests := []struct {
		filters []F
		want    string // live ids in id order
	}{
		{[]F{{Field: "title", Op: domain.OpEq, Value: "alpha"}}, "f1"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: v(`1`)}}, "f1"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: v(`1.0`)}}, "f1"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: "2"}}, "f3"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: v(`2`)}}, ""},
		{[]F{{Field: "n", Op: domain.OpEq, Value: nil}}, "f4"},
		{[]F{{Field: "meta.k", Op: domain.OpEq, Value: "x"}}, "f1,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpEq, Value: nil}}, "f3"},
		{[]F{{Field: "tags", Op: domain.OpEq, Value: v(`["b"]`)}}, "f2"},
		{[]F{{Field: "meta", Op: domain.OpEq, Value: v(`{"n":30}`)}}, "f4"},
		{[]F{{Field: "flag", Op: domain.OpEq, Value: false}}, "f2"},
		{[]F{{Field: "id", Op: domain.OpEq, Value: "f3"}}, "f3"},
		{[]F{{Field: "n", Op: domain.OpNot, Value: v(`1`)}}, "f2,f3,f4,f5,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpNot, Value: "x"}}, "f2,f3,f4,f5"},
		{[]F{{Field: "n", Op: domain.OpLt, Value: v(`2`)}}, "f1,f3,f4"},
		{[]F{{Field: "n", Op: domain.OpMax, Value: v(`2.5`)}}, "f1,f2,f3,f4"},
		{[]F{{Field: "meta.n", Op: domain.OpLt, Value: v(`10`)}}, "f6"},
		{[]F{{Field: "meta.n", Op: domain.OpMax, Value: v(`10`)}}, "f1,f6"},
		{[]F{{Field: "n", Op: domain.OpGt, Value: v(`2`)}}, "f2,f5,f6"},
		{[]F{{Field: "n", Op: domain.OpMin, Value: v(`10`)}}, "f5,f6"},
		{[]F{{Field: "meta.n", Op: domain.OpGt, Value: v(`10`)}}, "f2,f3,f4,f5"},
		{[]F{{Field: "meta.n", Op: domain.OpMin, Value: v(`10`)}}, "f1,f2,f3,f4,f5"},
		{[]F{{Field: "id", Op: domain.OpGt, Value: "f4"}}, "f5,f6"},
		{[]F{{Field: "n", Op: domain.OpIn, Value: v(`[1,"2"]`)}}, "f1,f3"},
		{[]F{{Field: "meta.k", Op: domain.OpIn, Value: v(`["y","z"]`)}}, "f2"},
		{[]F{{Field: "id", Op: domain.OpIn, Value: v(`["f1","f5","zz"]`)}}, "f1,f5"},
		{[]F{{Field: "n", Op: domain.OpExclude, Value: v(`[1,"2"]`)}}, "f2,f4,f5,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpExclude, Value: v(`["x"]`)}}, "f2,f3,f4,f5"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "alpha"}}, "f1,f6"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "*A"}}, "f1,f2,f4"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "a*"}}, "f1,f6"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "g*y"}}, "f3"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "m*y"}}, ""},
		{[]F{{Field: "meta.k", Op: domain.OpLike, Value: "X"}}, "f1,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpHas, Value: true}}, "f1,f2,f3,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpHas, Value: false}}, "f4,f5"},
		{[]F{{Field: "title", Op: domain.OpHas, Value: false}}, "f5"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`["b"]`)}}, "f1,f2"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`["a","b"]`)}}, "f1"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`[]`)}}, "f1,f2,f3,f6"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`[{"x":1}]`)}}, "f6"},
		{[]F{{Field: "tags", Op: domain.OpContainsAny, Value: v(`["a","c"]`)}}, "f1,f6"},
		{[]F{{Field: "tags", Op: domain.OpContainsAny, Value: v(`["z"]`)}}, ""},
		{[]F{{Field: "n", Op: domain.OpGt, Value: v(`1`)}, {Field: "title", Op: domain.OpLike, Value: "a"}}, "f2,f6"},
		{[]F{{Field: "last_modified", Op: domain.OpGt, Value: f3ts}}, "f4,f5,f6"},
		{[]F{{Field: "last_modified", Op: domain.OpMax, Value: f3ts}}, "f1,f2,f3"},
		{[]F{{Field: "last_modified", Op: domain.OpIn, Value: []any{}}}, ""},
		{nil, "f1,f2,f3,f4,f5,f6"},
	}
	byID := []domain.Sort{{Field: "id"}}
	for _, tt := range tests {
		got := stIDs(stList(t, s, stParent, domain.Query{Filters: tt.filters, Sort: byID}))
		if got != tt.want {
			t.Errorf("List(%s) = %s, want %s", stJSON(t, tt.filters), got, tt.want)
		}
		n, err := s.Count(ctx, stParent, tt.filters)
		wantN := 0
		if tt.want != "" {
			wantN = strings.Count(tt.want, ",") + 1
		}
		if err != nil || n != wantN {
			t.Errorf("Count(%s) = %d, %v; want %d", stJSON(t, tt.filters), n, err, wantN)
		}
	}
	// Filters apply to tombstones too.
	gotDeleted := stIDs(stList(t, s, stParent, domain.Query{
		Filters:     []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: f3ts}, {Field: "n", Op: domain.OpGt, Value: v(`5`)}},
		Sort:        byID,
		WithDeleted: true,
	}))
	if gotDeleted != "f5,f6,f7" {
		t.Errorf("List(_since f3, gt_n=5, with deleted) = %s, want f5,f6,f7", gotDeleted)
	}
}

// storageIDFilters checks id eq and id in filters, alone and with other
// filters, in List, Count and DeleteMany. An adapter may serve them from
// its id index; the answers must be those of a plain filter.
func storageIDFilters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	recs := filterFixture(t, s)
	type F = domain.Filter
	in := func(ids ...any) F { return F{Field: "id", Op: domain.OpIn, Value: ids} }
	tests := []struct {
		filters []F
		want    string // live ids in id order
	}{
		{[]F{{Field: "id", Op: domain.OpEq, Value: "f7"}}, ""}, // a tombstone
		{[]F{{Field: "id", Op: domain.OpEq, Value: "nope"}}, ""},
		{[]F{{Field: "id", Op: domain.OpEq, Value: json.Number("1")}}, ""},
		{[]F{in()}, ""},
		{[]F{in("f6", "f1", "f6", "zz", json.Number("1"), nil, true)}, "f1,f6"},
		{[]F{in("f1", "f2", "f3", "f6"), {Field: "meta.k", Op: domain.OpEq, Value: "x"}}, "f1,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpEq, Value: "x"}, in("f1", "f2", "f3", "f6")}, "f1,f6"},
		{[]F{in("f1", "f2", "f3"), in("f2", "f3", "f4")}, "f2,f3"},
		{[]F{in("f1", "f2", "f3", "f4"), {Field: "id", Op: domain.OpEq, Value: "f3"}}, "f3"},
		{[]F{in("f1", "f2", "f3"), {Field: "id", Op: domain.OpNot, Value: "f2"}}, "f1,f3"},
		{[]F{in("f1", "f2", "f3", "f7"), {Field: "id", Op: domain.OpExclude, Value: []any{"f1"}}}, "f2,f3"},
		{[]F{in("f1", "f2", "f3", "f4", "f5"), {Field: "n", Op: domain.OpGt, Value: json.Number("2")}}, "f2,f5"},
		{[]F{in("f1", "f5"), {Field: "title", Op: domain.OpHas, Value: false}}, "f5"},
		{[]F{in("f1", "f2"), {Field: "last_modified", Op: domain.OpGt, Value: json.Number(fmt.Sprint(recs[0].LastModified))}}, "f2"},
	}
	byID := []domain.Sort{{Field: "id"}}
	for _, tt := range tests {
		if got := stIDs(stList(t, s, stParent, domain.Query{Filters: tt.filters, Sort: byID})); got != tt.want {
			t.Errorf("List(%s) = %s, want %s", stJSON(t, tt.filters), got, tt.want)
		}
		wantN := 0
		if tt.want != "" {
			wantN = strings.Count(tt.want, ",") + 1
		}
		if n, err := s.Count(ctx, stParent, tt.filters); err != nil || n != wantN {
			t.Errorf("Count(%s) = %d, %v; want %d", stJSON(t, tt.filters), n, err, wantN)
		}
	}

	// Tombstones come with WithDeleted, and are filtered like live objects.
	got := stList(t, s, stParent, domain.Query{Filters: []F{in("f7", "f1")}, Sort: byID, WithDeleted: true})
	if stIDs(got) != "f1,f7" || got[0].Deleted || !got[1].Deleted {
		t.Errorf("List(id in f7,f1, with deleted) = %s, want f1 then the tombstone f7", stJSON(t, got))
	}
	deleted := []F{in("f7", "f1"), {Field: "deleted", Op: domain.OpEq, Value: true}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: deleted, Sort: byID, WithDeleted: true})); got != "f7" {
		t.Errorf("List(id in f7,f1, deleted=true, with deleted) = %s, want f7", got)
	}

	// Sort, limit and cursor apply to the named objects.
	six := []F{in("f3", "f1", "f6", "f2", "f5", "f4", "f7")}
	first := stList(t, s, stParent, domain.Query{Filters: six, Sort: byNewest, Limit: 2})
	if stIDs(first) != "f6,f5" {
		t.Fatalf("List(id in f1…f7, newest first, limit 2) = %s, want f6,f5", stIDs(first))
	}
	after := domain.CursorOf(first[1], byNewest)
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byNewest, Limit: 2, After: after})); got != "f4,f3" {
		t.Errorf("List(id in f1…f7, newest first, limit 2, after f5) = %s, want f4,f3", got)
	}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byNewest, After: after, WithDeleted: true})); got != "f4,f3,f2,f1" {
		t.Errorf("List(id in f1…f7, after f5, with deleted) = %s, want f4,f3,f2,f1 (f7 is newer than f5)", got)
	}
	byTitle := []domain.Sort{{Field: "title"}, {Field: "last_modified", Desc: true}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byTitle})); got != "f6,f2,f1,f4,f3,f5" {
		t.Errorf("List(id in f1…f7, by title) = %s, want f6,f2,f1,f4,f3,f5", got)
	}
	titleCursor := []domain.SortValue{{Value: "alpha"}, {Value: json.Number(fmt.Sprint(recs[0].LastModified))}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byTitle, Limit: 2, After: titleCursor})); got != "f4,f3" {
		t.Errorf("List(id in f1…f7, by title, after alpha, limit 2) = %s, want f4,f3", got)
	}

	// DeleteMany deletes only the named live objects that match the rest.
	gone, err := s.DeleteMany(ctx, stParent, domain.Query{Filters: []F{in("f1", "f2", "f6", "f7", "zz"), {Field: "n", Op: domain.OpMin, Value: json.Number("2")}}, Sort: byID})
	if err != nil || stIDs(gone) != "f2,f6" {
		t.Fatalf("DeleteMany(id in f1,f2,f6,f7,zz, n >= 2) = %s, %v; want f2,f6", stIDs(gone), err)
	}
	if got := stIDs(stList(t, s, stParent, domain.Query{Sort: byID})); got != "f1,f3,f4,f5" {
		t.Errorf("List after DeleteMany = %s, want f1,f3,f4,f5", got)
	}
	if n, err := s.Count(ctx, stParent, []F{in("f1", "f2", "f6")}); err != nil || n != 1 {
		t.Errorf("Count(id in f1,f2,f6) after DeleteMany = %d, %v; want 1", n, err)
	}
	// A re-created id is found again, live.
	stCreate(t, s, stParent, "f7", `{"title":"back"}`)
	got = stList(t, s, stParent, domain.Query{Filters: []F{{Field: "id", Op: domain.OpEq, Value: "f7"}}, Sort: byID, WithDeleted: true})
	if stIDs(got) != "f7" || got[0].Deleted || got[0].Data["title"] != "back" {
		t.Errorf("List(id=f7) after re-creating it = %s, want the live f7", stJSON(t, got))
	}
}
