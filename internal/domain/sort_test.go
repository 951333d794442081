package domain_test

import (
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func ids(recs []domain.Record) string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return strings.Join(out, ",")
}

func sortFixture(t *testing.T) []domain.Record {
	t.Helper()
	return []domain.Record{
		rec(t, `{"id":"a","last_modified":1,"v":2,"g":"x"}`),
		rec(t, `{"id":"b","last_modified":2,"v":"s","g":"y"}`),
		rec(t, `{"id":"c","last_modified":3,"g":"x"}`),
		rec(t, `{"id":"d","last_modified":4,"v":null,"g":"y"}`),
		rec(t, `{"id":"e","last_modified":5,"v":true,"g":"x"}`),
		rec(t, `{"id":"f","last_modified":6,"v":[1],"g":"y"}`),
		rec(t, `{"id":"g","last_modified":7,"v":{"a":1},"g":"x"}`),
		rec(t, `{"id":"h","last_modified":8,"v":1.5,"g":"y"}`),
		rec(t, `{"id":"i","last_modified":9,"v":{"n":{"x":3}},"g":"x"}`),
	}
}

func TestSortRecords(t *testing.T) {
	tests := []struct {
		name  string
		sorts []domain.Sort
		want  string
	}{
		{"default newest first", []domain.Sort{{Field: "last_modified", Desc: true}}, "i,h,g,f,e,d,c,b,a"},
		{"cross-type ascending, missing last", []domain.Sort{{Field: "v"}, {Field: "last_modified", Desc: true}}, "d,b,h,a,e,f,g,i,c"},
		{"cross-type descending, missing first", []domain.Sort{{Field: "v", Desc: true}, {Field: "last_modified", Desc: true}}, "c,i,g,f,e,a,h,b,d"},
		{"two fields", []domain.Sort{{Field: "g"}, {Field: "last_modified"}}, "a,c,e,g,i,b,d,f,h"},
		{"two fields, second descending", []domain.Sort{{Field: "g", Desc: true}, {Field: "last_modified", Desc: true}}, "h,f,d,b,i,g,e,c,a"},
		{"nested field", []domain.Sort{{Field: "v.n.x"}, {Field: "id"}}, "i,a,b,c,d,e,f,g,h"},
		{"by id descending", []domain.Sort{{Field: "id", Desc: true}}, "i,h,g,f,e,d,c,b,a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := sortFixture(t)
			domain.SortRecords(recs, tt.sorts)
			if got := ids(recs); got != tt.want {
				t.Errorf("SortRecords(%v) = %s, want %s", tt.sorts, got, tt.want)
			}
			for i := 1; i < len(recs); i++ {
				if !domain.Less(recs[i-1], recs[i], tt.sorts) {
					t.Errorf("Less(%s, %s) = false after sorting", recs[i-1].ID, recs[i].ID)
				}
				if domain.CompareRecords(recs[i], recs[i-1], tt.sorts) != 1 {
					t.Errorf("CompareRecords(%s, %s) != 1", recs[i].ID, recs[i-1].ID)
				}
			}
		})
	}
}

// TestAfterPagesEveryRecordOnce walks the fixture page by page with the
// keyset rule, for each order and page size.
func TestAfterPagesEveryRecordOnce(t *testing.T) {
	orders := [][]domain.Sort{
		{{Field: "last_modified", Desc: true}},
		{{Field: "v"}, {Field: "last_modified", Desc: true}},
		{{Field: "v", Desc: true}, {Field: "last_modified"}},
		{{Field: "g"}, {Field: "v", Desc: true}, {Field: "last_modified", Desc: true}},
	}
	for _, sorts := range orders {
		all := sortFixture(t)
		domain.SortRecords(all, sorts)
		want := ids(all)
		for size := 1; size <= 10; size++ {
			var got []domain.Record
			var cursor []domain.SortValue
			for range 20 {
				page := domain.Select(sortFixture(t), domain.Query{Sort: sorts, Limit: size, After: cursor})
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				cursor = domain.CursorOf(page[len(page)-1], sorts)
			}
			if ids(got) != want {
				t.Errorf("paging %v by %d = %s, want %s", sorts, size, ids(got), want)
			}
		}
	}
}

func TestAfter(t *testing.T) {
	sorts := []domain.Sort{{Field: "v"}, {Field: "last_modified", Desc: true}}
	r := rec(t, `{"id":"x","last_modified":5,"v":2}`)
	missing := rec(t, `{"id":"y","last_modified":5}`)
	tests := []struct {
		name   string
		r      domain.Record
		cursor []domain.SortValue
		want   bool
	}{
		{"empty cursor", r, nil, true},
		{"greater first key", r, []domain.SortValue{{Value: j(t, `1`)}, {Value: j(t, `1`)}}, true},
		{"smaller first key", r, []domain.SortValue{{Value: j(t, `3`)}, {Value: j(t, `1`)}}, false},
		{"same position is not after", r, []domain.SortValue{{Value: j(t, `2`)}, {Value: j(t, `5`)}}, false},
		{"tie, second key descending", r, []domain.SortValue{{Value: j(t, `2.0`)}, {Value: j(t, `6`)}}, true},
		{"tie, second key descending, before", r, []domain.SortValue{{Value: j(t, `2`)}, {Value: j(t, `4`)}}, false},
		{"missing cursor is above values", r, []domain.SortValue{{Missing: true}, {Value: j(t, `9`)}}, false},
		{"missing record after value cursor", missing, []domain.SortValue{{Value: j(t, `{}`)}, {Value: j(t, `1`)}}, true},
		{"missing both, tie broken by second key", missing, []domain.SortValue{{Missing: true}, {Value: j(t, `6`)}}, true},
	}
	for _, tt := range tests {
		if got := domain.After(tt.r, sorts, tt.cursor); got != tt.want {
			t.Errorf("After(%s): %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCursorOf(t *testing.T) {
	r := rec(t, `{"id":"x","last_modified":5,"a":{"b":null}}`)
	got := domain.CursorOf(r, []domain.Sort{{Field: "a.b"}, {Field: "zz"}, {Field: "id"}, {Field: "last_modified"}})
	if len(got) != 4 || got[0].Missing || got[0].Value != nil || !got[1].Missing || got[2].Value != "x" || domain.Compare(got[3].Value, 5) != 0 {
		t.Errorf("CursorOf = %#v, want [null, missing, \"x\", 5]", got)
	}
}

func TestSelect(t *testing.T) {
	recs := append(sortFixture(t), domain.Record{ID: "z", LastModified: 10, Deleted: true})
	q := domain.Query{
		Filters: []domain.Filter{{Field: "g", Op: domain.OpNot, Value: "y"}},
		Sort:    []domain.Sort{{Field: "last_modified", Desc: true}},
		Limit:   3,
	}
	if got := ids(domain.Select(recs, q)); got != "i,g,e" {
		t.Errorf("Select(live) = %s, want i,g,e", got)
	}
	q.WithDeleted = true
	if got := ids(domain.Select(recs, q)); got != "z,i,g" {
		t.Errorf("Select(with deleted) = %s, want z,i,g", got)
	}
	q.Limit = 0
	q.After = []domain.SortValue{{Value: j(t, `5`)}}
	if got := ids(domain.Select(recs, q)); got != "c,a" {
		t.Errorf("Select(after 5) = %s, want c,a", got)
	}
}
