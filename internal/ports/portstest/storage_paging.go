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

// pagingOrders are the orders the paging cases walk: the protocol default,
// a custom sort with ties and missing values, and a three-key mixed order.
var pagingOrders = [][]domain.Sort{
	{{Field: "last_modified", Desc: true}},
	{{Field: "title"}, {Field: "last_modified", Desc: true}},
	{{Field: "rank", Desc: true}, {Field: "title"}, {Field: "last_modified"}},
}

// pagingFixture creates n objects with repeated titles (some missing) and
// ranks mixing numbers and strings.
func pagingFixture(t *testing.T, s ports.Storage, n int) {
	for i := range n {
		data := map[string]any{"i": i}
		if i%11 != 0 {
			data["title"] = fmt.Sprintf("t%02d", i%7)
		}
		switch i % 5 {
		case 0:
			data["rank"] = fmt.Sprint(i % 3)
		case 1:
		default:
			data["rank"] = json.Number(fmt.Sprint(i % 13))
		}
		if _, err := s.Create(context.Background(), stParent, domain.Record{ID: fmt.Sprintf("p%04d", i), Data: data}, nil); err != nil {
			t.Fatalf("Create(p%04d): %v", i, err)
		}
	}
}

// walk pages through the list with page size size, calling between after
// each page, and returns everything seen.
func walk(t *testing.T, s ports.Storage, q domain.Query, size int, between func(page int, seen []domain.Record)) []domain.Record {
	t.Helper()
	var seen []domain.Record
	q.Limit = size
	q.After = nil
	for page := 0; ; page++ {
		if page > 5000 {
			t.Fatalf("paging by %d does not end", size)
		}
		recs := stList(t, s, stParent, q)
		if len(recs) > size {
			t.Fatalf("page %d by %d holds %d objects", page, size, len(recs))
		}
		for i := 1; i < len(recs); i++ {
			if !domain.Less(recs[i-1], recs[i], q.Sort) {
				t.Fatalf("page %d by %d out of order: %s before %s", page, size, recs[i-1].ID, recs[i].ID)
			}
		}
		seen = append(seen, recs...)
		if len(recs) < size {
			return seen
		}
		q.After = domain.CursorOf(recs[len(recs)-1], q.Sort)
		if between != nil {
			between(page, seen)
		}
	}
}

func storagePaging(t *testing.T, s ports.Storage) {
	const n = 1000
	pagingFixture(t, s, n)
	for _, sorts := range pagingOrders {
		full := stList(t, s, stParent, domain.Query{Sort: sorts})
		if len(full) != n {
			t.Fatalf("List(sort %s) = %d objects, want %d", stJSON(t, sorts), len(full), n)
		}
		want := stIDs(full)
		for size := 1; size <= 50; size++ {
			got := walk(t, s, domain.Query{Sort: sorts}, size, nil)
			if stIDs(got) != want {
				t.Fatalf("paging sort %s by %d: %d objects, not the full order once each", stJSON(t, sorts), size, len(got))
			}
		}
	}
	// Paging composes with filters.
	filtered := domain.Query{Sort: pagingOrders[1], Filters: []domain.Filter{{Field: "title", Op: domain.OpIn, Value: []any{"t01", "t03"}}}}
	want := stIDs(stList(t, s, stParent, filtered))
	if got := stIDs(walk(t, s, filtered, 7, nil)); got != want || want == "" {
		t.Errorf("paging a filtered list by 7 = %d ids, want the filtered list once each", strings.Count(got, ","))
	}
}

// storagePagingWithWrites pages while objects are updated, created and
// deleted between pages. What it asserts, for every order and page size:
//
//   - every object that exists when the walk starts and is not written
//     during the walk is returned exactly once;
//   - no version (id, last_modified) is returned twice;
//   - an object written during the walk may be returned once per version
//     (before and after its update) or not at all after its update, as its
//     new last_modified may move it behind the cursor; a deleted object is
//     never returned after its deletion;
//   - each page is in order.
func storagePagingWithWrites(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	pagingFixture(t, s, 1000)
	next := 0
	for _, sorts := range pagingOrders {
		for _, size := range []int{1, 7, 20, 50} {
			start := stList(t, s, stParent, domain.Query{Sort: sorts})
			touched := map[string]bool{}
			deletedAt := map[string]int{} // id → len(seen) when deleted
			seen := walk(t, s, domain.Query{Sort: sorts}, size, func(page int, seen []domain.Record) {
				// Rewrite one object already seen and one still ahead.
				behind := seen[len(seen)/2]
				ahead := start[len(start)-1-page%len(start)]
				for _, id := range []string{behind.ID, ahead.ID} {
					if touched[id] {
						continue
					}
					touched[id] = true
					if page%3 == 2 && id == ahead.ID {
						if _, err := s.Delete(ctx, stParent, id, 0); err != nil {
							t.Fatalf("Delete(%s) between pages: %v", id, err)
						}
						deletedAt[id] = len(seen)
						continue
					}
					cur, err := s.Get(ctx, stParent, id)
					if err != nil {
						t.Fatalf("Get(%s) between pages: %v", id, err)
					}
					cur.Data["touched"] = page
					if _, err := s.Update(ctx, stParent, cur, nil); err != nil {
						t.Fatalf("Update(%s) between pages: %v", id, err)
					}
				}
				// Now and then a new object, placed before the cursor in
				// every order walked, so that the walk ends.
				if page%10 != 0 {
					return
				}
				next++
				id := fmt.Sprintf("new%05d", next)
				if _, err := s.Create(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"title": "a"}}, nil); err != nil {
					t.Fatalf("Create(%s) between pages: %v", id, err)
				}
			})

			label := fmt.Sprintf("paging sort %s by %d with writes", stJSON(t, sorts), size)
			count := map[string]int{}
			versions := map[string]bool{}
			for i, r := range seen {
				count[r.ID]++
				key := fmt.Sprintf("%s@%d", r.ID, r.LastModified)
				if versions[key] {
					t.Fatalf("%s: %s returned twice", label, key)
				}
				versions[key] = true
				if at, ok := deletedAt[r.ID]; ok && i >= at {
					t.Fatalf("%s: %s returned after its deletion", label, r.ID)
				}
			}
			for _, r := range start {
				switch c := count[r.ID]; {
				case touched[r.ID] && c > 2:
					t.Fatalf("%s: written object %s returned %d times", label, r.ID, c)
				case !touched[r.ID] && c != 1:
					t.Fatalf("%s: unchanged object %s returned %d times, want once", label, r.ID, c)
				}
			}
			// Put the deleted objects back so that later walks see 1,000+.
			for id := range deletedAt {
				if _, err := s.Update(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"title": "t05"}}, nil); err != nil {
					t.Fatalf("Update(%s): %v", id, err)
				}
			}
		}
	}
}

// storageIDFilterPaging pages, in every paging order, through a list
// restricted by a long id in filter (every third object, plus unknown and
// repeated ids), alone and with another filter: each named object that
// matches comes exactly once, in the order of the whole list.
func storageIDFilterPaging(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	const n = 1000
	pagingFixture(t, s, n)
	var ids []any
	named := map[string]bool{}
	for i := 0; i < n; i += 3 {
		id := fmt.Sprintf("p%04d", i)
		ids = append(ids, id)
		named[id] = true
		if i%30 == 0 {
			ids = append(ids, id, fmt.Sprintf("x%04d", i))
		}
	}
	slices.Reverse(ids) // the filter's order must not matter
	// Tombstones among the named objects, for the WithDeleted walk.
	for _, id := range []string{"p0000", "p0300", "p0999"} {
		stDelete(t, s, stParent, id)
	}
	idIn := domain.Filter{Field: "id", Op: domain.OpIn, Value: ids}
	titled := domain.Filter{Field: "title", Op: domain.OpIn, Value: []any{"t01", "t03"}}
	for _, sorts := range pagingOrders {
		for _, other := range [][]domain.Filter{nil, {titled}} {
			for _, withDeleted := range []bool{false, true} {
				whole := stList(t, s, stParent, domain.Query{Sort: sorts, Filters: other, WithDeleted: withDeleted})
				var want []domain.Record
				for _, r := range whole {
					if named[r.ID] {
						want = append(want, r)
					}
				}
				q := domain.Query{Sort: sorts, Filters: append([]domain.Filter{idIn}, other...), WithDeleted: withDeleted}
				label := fmt.Sprintf("id in %d ids, filters %s, sort %s, with deleted %v", len(ids), stJSON(t, other), stJSON(t, sorts), withDeleted)
				if len(want) == 0 {
					t.Fatalf("%s: the fixture selects nothing", label)
				}
				if got := stIDs(stList(t, s, stParent, q)); got != stIDs(want) {
					t.Fatalf("List(%s) = %d ids, want the %d named ids in the list's order", label, strings.Count(got, ",")+1, len(want))
				}
				for _, size := range []int{1, 7, 50} {
					if got := stIDs(walk(t, s, q, size, nil)); got != stIDs(want) {
						t.Fatalf("paging %s by %d: not each named object once, in order", label, size)
					}
				}
				if !withDeleted {
					if c, err := s.Count(ctx, stParent, q.Filters); err != nil || c != len(want) {
						t.Errorf("Count(%s) = %d, %v; want %d", label, c, err, len(want))
					}
				}
			}
		}
	}
}
