package http_test

import (
	"net/url"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// fuzzRecords are the objects fuzzed queries and cursors run on: one with
// fields of every JSON type, one with none, a string where others have
// numbers, and a tombstone.
func fuzzRecords(t testing.TB) []domain.Record {
	return []domain.Record{
		rec(t, `{"id":"a1","last_modified":100,"title":"Hello World","n":5,"f":1.5,"s5":"5",
			"tags":["x","y",{"k":1,"v":2}],"nums":[1,2,3],"author":{"name":"Ann","age":30,"langs":["fr","en"]},
			"nul":null,"flag":true,"empty":[],"dotted.key":{"x":1}}`),
		rec(t, `{"id":"b2","last_modified":200}`),
		rec(t, `{"id":"c3","last_modified":300,"title":"x","n":"5","tags":"x"}`),
		{ID: "d4", LastModified: 400, Deleted: true},
	}
}

// FuzzParseListQuery: any querystring ends in a ListQuery or an Invalid
// error about the querystring, never a panic; a parsed request can be run,
// paginated and projected, and its token reads back.
func FuzzParseListQuery(f *testing.F) {
	for _, s := range []string{
		"", "title=abc", "n=5&gt_n=1&lt_n=9&min_n=2&max_n=8&not_n=3", "in_n=1,2,x&exclude_n=a,,b",
		"like_title=h*o&like_x=10", "has_f=false&has_g=1", "contains_tags=[1]&contains_any_tags=x",
		"_since=123&_before=456&_to=7", "_since=null", "_since=abc", "_limit=-1", "_limit=1e999",
		"_sort=title,-n,,!!,last_modified&_limit=2", "_fields=a,b.c", "_token=abc", "_token=eyJzb3J0IjpbXX0",
		"id=5&in_id=a,1", "last_modified=abc&gt_last_modified=%2212%22", "in_last_modified=1",
		"contains_id=a", "title=a%00b", "o={\"a\":[1,{\"b\":null}]}", "a.b.c=1e400&eq_a..b=-0",
	} {
		f.Add(s)
	}
	recs := fuzzRecords(f)
	f.Fuzz(func(t *testing.T, qs string) {
		values, err := url.ParseQuery(qs)
		if err != nil {
			return
		}
		req, err := httpadapter.ParseListQuery(values, httpadapter.ListQueryOptions{Now: testNow, PaginateBy: 3})
		if err != nil {
			e := domain.AsError(err)
			if e == nil || e.Kind != domain.Invalid || len(e.Issues) == 0 || e.Issues[0].Location != domain.InQuerystring {
				t.Fatalf("ParseListQuery(%q): %v, want an Invalid querystring error", qs, err)
			}
			return
		}
		if req.Limit < 1 || len(req.Sort) == 0 {
			t.Fatalf("ParseListQuery(%q): limit %d, sort %v", qs, req.Limit, req.Sort)
		}
		page, next, err := paginate(recs, req)
		if err != nil {
			t.Fatalf("paginate(%q): %v", qs, err)
		}
		if next != "" {
			if _, err := httpadapter.DecodePageToken(next, req.Sort); err != nil {
				t.Fatalf("DecodePageToken(paginate(%q)): %v", qs, err)
			}
		}
		for _, r := range page {
			domain.Project(r, req.Fields)
		}
	})
}

// FuzzDecodePageToken: any string ends in a token or an Invalid error, never
// a panic; a decoded token encodes and decodes to the same values.
func FuzzDecodePageToken(f *testing.F) {
	sorts := []domain.Sort{{Field: "title"}, {Field: "id"}, {Field: "last_modified", Desc: true}}
	good, err := httpadapter.EncodePageToken(sorts, []domain.SortValue{{Missing: true}, {Value: "a"}, {Value: j(f, `17`)}})
	if err != nil {
		f.Fatal(err)
	}
	good2, err := httpadapter.EncodePageToken(sorts, []domain.SortValue{{Value: j(f, `{"a":[1.5e300,null,true]}`)}, {Value: ""}, {Value: j(f, `0`)}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good2, "", "abc", "!!!", "e30", "eyJzb3J0IjpudWxsfQ", good + "==", good[:len(good)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := httpadapter.DecodePageToken(s, sorts)
		if err != nil {
			if domain.KindOf(err) != domain.Invalid {
				t.Fatalf("DecodePageToken(%q): %v, want Invalid", s, err)
			}
			return
		}
		again, err := httpadapter.EncodePageToken(sorts, tok)
		if err != nil {
			t.Fatalf("EncodePageToken(DecodePageToken(%q)): %v", s, err)
		}
		back, err := httpadapter.DecodePageToken(again, sorts)
		if err != nil {
			t.Fatalf("DecodePageToken(re-encoded %q): %v", s, err)
		}
		if asJSON(t, back) != asJSON(t, tok) {
			t.Fatalf("round trip of %q: %s, want %s", s, asJSON(t, back), asJSON(t, tok))
		}
		for _, r := range fuzzRecords(t) {
			domain.After(r, sorts, tok)
		}
	})
}
