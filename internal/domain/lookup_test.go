package domain_test

import (
	"reflect"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestIDLookup(t *testing.T) {
	other := domain.Filter{Field: "title", Op: domain.OpEq, Value: "x"}
	for _, tc := range []struct {
		name    string
		filters []domain.Filter
		ids     []string
		rest    []domain.Filter
		ok      bool
	}{
		{"none", []domain.Filter{other}, nil, nil, false},
		{"eq", []domain.Filter{other, {Field: "id", Op: domain.OpEq, Value: "a"}}, []string{"a"}, []domain.Filter{other}, true},
		{"in, duplicates and non-strings dropped", []domain.Filter{{Field: "id", Op: domain.OpIn, Value: []any{"b", "a", "b", 3.0}}},
			[]string{"b", "a"}, []domain.Filter{}, true},
		{"the narrowest wins, the other stays", []domain.Filter{
			{Field: "id", Op: domain.OpIn, Value: []any{"a", "b"}}, {Field: "id", Op: domain.OpEq, Value: "c"}},
			[]string{"c"}, []domain.Filter{{Field: "id", Op: domain.OpIn, Value: []any{"a", "b"}}}, true},
		{"not a lookup", []domain.Filter{{Field: "id", Op: domain.OpNot, Value: "a"}}, nil, nil, false},
		{"a number matches nothing", []domain.Filter{{Field: "id", Op: domain.OpEq, Value: 1.0}}, []string{}, []domain.Filter{}, true},
	} {
		ids, rest, ok := domain.IDLookup(tc.filters)
		if ok != tc.ok || !reflect.DeepEqual(ids, tc.ids) || !reflect.DeepEqual(rest, tc.rest) {
			t.Errorf("%s: IDLookup = %v, %v, %v; want %v, %v, %v", tc.name, ids, rest, ok, tc.ids, tc.rest, tc.ok)
		}
	}
}

func TestMatchObjectPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, object string
		want            bool
	}{
		{"/buckets/*", "/buckets/b", true},
		{"/buckets/*", "/buckets/b/collections/c", false},
		{"/buckets/b/collections/*", "/buckets/b/collections/c", true},
		{"/buckets/*/collections/*", "/buckets/b/collections/c", true},
		{"/buckets/b*", "/buckets/blog", true},
		{"/buckets/*g", "/buckets/blog", true},
		{"/buckets/*x*", "/buckets/blog", false},
		{"/buckets/*", "/buckets/", true},
		{"/buckets/b", "/buckets/b", true},
		{"/buckets/b", "/buckets/c", false},
	} {
		if got := domain.MatchObjectPattern(tc.pattern, tc.object); got != tc.want {
			t.Errorf("MatchObjectPattern(%q, %q) = %v, want %v", tc.pattern, tc.object, got, tc.want)
		}
	}
}
