package domain_test

import (
	"net/url"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func fuzzRecords(t testing.TB) []domain.Record {
	return []domain.Record{
		rec(t, fullRec),
		rec(t, bareRec),
		rec(t, `{"id":"c3","last_modified":300,"title":"x","n":"5","tags":"x"}`),
		{ID: "d4", LastModified: 400, Deleted: true},
	}
}

// FuzzParseQuery: any querystring ends in a ListRequest or an Invalid error
// about the querystring, never a panic; a parsed request can be run,
// paginated and projected, and its token reads back.
func FuzzParseQuery(f *testing.F) {
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
		req, err := domain.ParseQuery(values, domain.ParseOptions{Now: testNow, PaginateBy: 3})
		if err != nil {
			e := domain.AsError(err)
			if e == nil || e.Kind != domain.Invalid || len(e.Issues) == 0 || e.Issues[0].Location != domain.InQuerystring {
				t.Fatalf("ParseQuery(%q): %v, want an Invalid querystring error", qs, err)
			}
			return
		}
		if req.Limit < 1 || len(req.Sort) == 0 {
			t.Fatalf("ParseQuery(%q): limit %d, sort %v", qs, req.Limit, req.Sort)
		}
		page, next, err := req.Paginate(domain.Select(recs, req.FetchQuery()), "n")
		if err != nil {
			t.Fatalf("Paginate(%q): %v", qs, err)
		}
		if next != "" {
			if _, err := domain.DecodeToken(next, req.Sort); err != nil {
				t.Fatalf("DecodeToken(Paginate(%q)): %v", qs, err)
			}
		}
		for _, r := range page {
			domain.Project(r, req.Fields)
		}
	})
}

// FuzzDecodeToken: any string ends in a token or an Invalid error, never a
// panic; a decoded token encodes and decodes to the same values.
func FuzzDecodeToken(f *testing.F) {
	sorts := []domain.Sort{{Field: "title"}, {Field: "id"}, {Field: "last_modified", Desc: true}}
	good, err := domain.EncodeToken(sorts, domain.Token{
		After: []domain.SortValue{{Missing: true}, {Value: "a"}, {Value: j(f, `17`)}},
		Nonce: "x",
	})
	if err != nil {
		f.Fatal(err)
	}
	good2, err := domain.EncodeToken(sorts, domain.Token{
		After: []domain.SortValue{{Value: j(f, `{"a":[1.5e300,null,true]}`)}, {Value: ""}, {Value: j(f, `0`)}},
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, good2, "", "abc", "!!!", "e30", "eyJzb3J0IjpudWxsfQ", good + "==", good[:len(good)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := domain.DecodeToken(s, sorts)
		if err != nil {
			if domain.KindOf(err) != domain.Invalid {
				t.Fatalf("DecodeToken(%q): %v, want Invalid", s, err)
			}
			return
		}
		again, err := domain.EncodeToken(sorts, tok)
		if err != nil {
			t.Fatalf("EncodeToken(DecodeToken(%q)): %v", s, err)
		}
		back, err := domain.DecodeToken(again, sorts)
		if err != nil {
			t.Fatalf("DecodeToken(re-encoded %q): %v", s, err)
		}
		if asJSON(t, back) != asJSON(t, tok) {
			t.Fatalf("round trip of %q: %s, want %s", s, asJSON(t, back), asJSON(t, tok))
		}
		for _, r := range fuzzRecords(t) {
			domain.After(r, sorts, tok.After)
		}
	})
}
