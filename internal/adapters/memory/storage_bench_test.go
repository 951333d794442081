package memory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
)

var benchSortByTitle = []domain.Sort{{Field: "title"}, {Field: "last_modified", Desc: true}}

// benchStorage holds n objects: titles repeat every 100, one object in 100
// has kind "rare".
func benchStorage(b *testing.B, n int) *memory.Storage {
	b.Helper()
	s := memory.NewStorage(domain.SystemClock{})
	ctx := context.Background()
	for i := range n {
		kind := "common"
		if i%100 == 7 {
			kind = "rare"
		}
		data := map[string]any{"title": fmt.Sprintf("title %02d", i%100), "kind": kind, "n": json.Number(fmt.Sprint(i))}
		if _, err := s.Create(ctx, parent, domain.Record{ID: fmt.Sprintf("r%06d", i), Data: data}, nil); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

func BenchmarkCreate(b *testing.B) {
	s := memory.NewStorage(domain.SystemClock{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		rec := domain.Record{ID: fmt.Sprintf("r%d", i), Data: map[string]any{"title": "hello", "n": json.Number("1")}}
		if _, err := s.Create(ctx, parent, rec, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	s := benchStorage(b, 10_000)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Get(ctx, parent, fmt.Sprintf("r%06d", i%10_000)); err != nil {
			b.Fatal(err)
		}
	}
}

func benchList(b *testing.B, s *memory.Storage, q domain.Query, want int) {
	b.Helper()
	ctx := context.Background()
	for b.Loop() {
		recs, err := s.List(ctx, parent, q)
		if err != nil || len(recs) != want {
			b.Fatalf("List = %d objects, %v; want %d", len(recs), err, want)
		}
	}
}

// BenchmarkListPage10Of10k lists one page of 10 (fetching 11, as the
// engine does) from 10,000 objects.
func BenchmarkListPage10Of10k(b *testing.B) {
	s := benchStorage(b, 10_000)
	b.Run("default-sort", func(b *testing.B) {
		benchList(b, s, domain.Query{Sort: []domain.Sort{{Field: "last_modified", Desc: true}}, Limit: 11}, 11)
	})
	b.Run("sort-by-title", func(b *testing.B) {
		benchList(b, s, domain.Query{Sort: benchSortByTitle, Limit: 11}, 11)
	})
}

// BenchmarkListFiltered100k lists the first page of objects matching a
// filter that 1% of 100,000 objects match.
func BenchmarkListFiltered100k(b *testing.B) {
	s := benchStorage(b, 100_000)
	rare := []domain.Filter{{Field: "kind", Op: domain.OpEq, Value: "rare"}}
	b.Run("default-sort", func(b *testing.B) {
		benchList(b, s, domain.Query{Filters: rare, Sort: []domain.Sort{{Field: "last_modified", Desc: true}}, Limit: 11}, 11)
	})
	b.Run("sort-by-title", func(b *testing.B) {
		benchList(b, s, domain.Query{Filters: rare, Sort: benchSortByTitle, Limit: 11}, 11)
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			if n, err := s.Count(context.Background(), parent, rare); err != nil || n != 1000 {
				b.Fatalf("Count = %d, %v; want 1000", n, err)
			}
		}
	})
}

// BenchmarkListPageDepth compares page 1 and page 100 (pages of 10 from
// 10,000 objects): with the default sort, page 100 costs what page 1
// costs.
func BenchmarkListPageDepth(b *testing.B) {
	s := benchStorage(b, 10_000)
	for _, sorts := range [][]domain.Sort{{{Field: "last_modified", Desc: true}}, benchSortByTitle} {
		name := "default-sort"
		if len(sorts) > 1 {
			name = "sort-by-title"
		}
		all, err := s.List(context.Background(), parent, domain.Query{Sort: sorts, Limit: 1000})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/page-1", func(b *testing.B) {
			benchList(b, s, domain.Query{Sort: sorts, Limit: 11}, 11)
		})
		b.Run(name+"/page-100", func(b *testing.B) {
			cursor := domain.CursorOf(all[989], sorts) // last object of page 99
			benchList(b, s, domain.Query{Sort: sorts, Limit: 11, After: cursor}, 11)
		})
	}
}

// BenchmarkListIDIn lists and counts 10 objects named by an id in filter
// (what the engine adds for a caller who may read only those), among 100
// and among 100,000: the cost follows the ids, not the list.
func BenchmarkListIDIn(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		s := benchStorage(b, n)
		ids := make([]any, 10)
		for i := range ids {
			ids[i] = fmt.Sprintf("r%06d", i*(n/10))
		}
		named := []domain.Filter{{Field: "id", Op: domain.OpIn, Value: ids}}
		b.Run(fmt.Sprintf("10-of-%d/list", n), func(b *testing.B) {
			benchList(b, s, domain.Query{Filters: named, Sort: []domain.Sort{{Field: "last_modified", Desc: true}}, Limit: 11}, 10)
		})
		b.Run(fmt.Sprintf("10-of-%d/count", n), func(b *testing.B) {
			for b.Loop() {
				if c, err := s.Count(context.Background(), parent, named); err != nil || c != 10 {
					b.Fatalf("Count = %d, %v; want 10", c, err)
				}
			}
		})
	}
}

// BenchmarkCountAll counts the live objects of 100,000 without filters,
// from the count every write keeps.
func BenchmarkCountAll(b *testing.B) {
	s := benchStorage(b, 100_000)
	for b.Loop() {
		if c, err := s.Count(context.Background(), parent, nil); err != nil || c != 100_000 {
			b.Fatalf("Count = %d, %v; want 100000", c, err)
		}
	}
}

// BenchmarkCreateUnique creates objects with a unique url in a list of
// 10,000 that have one: the check is an index lookup, not a scan.
func BenchmarkCreateUnique(b *testing.B) {
	s := memory.NewStorage(domain.SystemClock{})
	ctx := context.Background()
	unique := []string{"url"}
	create := func(i int) {
		rec := domain.Record{ID: fmt.Sprintf("r%d", i), Data: map[string]any{"url": fmt.Sprintf("https://example.com/%d", i)}}
		if _, err := s.Create(ctx, parent, rec, unique); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 10_000 {
		create(i)
	}
	i := 10_000
	for b.Loop() {
		i++
		create(i)
	}
}
