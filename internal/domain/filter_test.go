package domain_test

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

const (
	fullRec = `{"id":"a1","last_modified":100,"title":"Hello World","n":5,"f":1.5,"s5":"5",
		"tags":["x","y",{"k":1,"v":2}],"nums":[1,2,3],"author":{"name":"Ann","age":30,"langs":["fr","en"]},
		"nul":null,"flag":true,"empty":[],"dotted.key":{"x":1}}`
	bareRec = `{"id":"b2","last_modified":200}`
)

func TestMatch(t *testing.T) {
	full, bare := rec(t, fullRec), rec(t, bareRec)
	tests := []struct {
		field string
		op    domain.Op
		value string // JSON
		full  bool   // matches fullRec
		bare  bool   // matches bareRec (every field but id/last_modified missing)
	}{
		{"n", domain.OpEq, `5`, true, false},
		{"n", domain.OpEq, `5.0`, true, false},
		{"n", domain.OpEq, `"5"`, false, false},
		{"s5", domain.OpEq, `5`, false, false},
		{"s5", domain.OpEq, `"5"`, true, false},
		{"author.name", domain.OpEq, `"Ann"`, true, false},
		{"author.name", domain.OpEq, `"ann"`, false, false},
		{"author", domain.OpEq, `{"name":"Ann","age":30,"langs":["fr","en"]}`, true, false},
		{"author", domain.OpEq, `{"name":"Ann"}`, false, false},
		{"nums", domain.OpEq, `[1,2,3]`, true, false},
		{"nul", domain.OpEq, `null`, true, false},
		{"dotted.key.x", domain.OpEq, `1`, true, false},
		{"id", domain.OpEq, `"a1"`, true, false},
		{"last_modified", domain.OpEq, `100`, true, false},
		{"n", "", `5`, true, false}, // empty op is eq

		{"n", domain.OpNot, `5`, false, true},
		{"n", domain.OpNot, `6`, true, true},
		{"author.age", domain.OpNot, `30`, false, true},
		{"nul", domain.OpNot, `null`, false, true},

		{"n", domain.OpLt, `6`, true, false},
		{"n", domain.OpLt, `5`, false, false},
		{"n", domain.OpLt, `"a"`, false, false}, // number > string
		{"n", domain.OpLt, `true`, true, false}, // number < boolean
		{"author.age", domain.OpLt, `31`, true, false},
		{"n", domain.OpMax, `5`, true, false},
		{"n", domain.OpMax, `4.99`, false, false},
		{"last_modified", domain.OpMax, `150`, true, false},

		{"n", domain.OpGt, `4`, true, true},
		{"n", domain.OpGt, `5`, false, true},
		{"author.age", domain.OpGt, `29.5`, true, true},
		{"title", domain.OpGt, `"Hello"`, true, true},
		{"n", domain.OpMin, `5`, true, true},
		{"n", domain.OpMin, `6`, false, true},
		{"last_modified", domain.OpMin, `150`, false, true},
		{"id", domain.OpGt, `"a"`, true, true},

		{"n", domain.OpIn, `[1,5]`, true, false},
		{"n", domain.OpIn, `["5"]`, false, false},
		{"author.name", domain.OpIn, `["Bob","Ann"]`, true, false},
		{"n", domain.OpIn, `[]`, false, false},
		{"id", domain.OpIn, `["a1","b2"]`, true, true},
		{"n", domain.OpIn, `5`, true, false}, // a scalar is a one-element list
		{"n", domain.OpExclude, `[1,5]`, false, true},
		{"n", domain.OpExclude, `[1,2]`, true, true},
		{"author.name", domain.OpExclude, `["Ann"]`, false, true},
		{"n", domain.OpExclude, `[]`, true, true},

		{"title", domain.OpLike, `"world"`, true, false},
		{"title", domain.OpLike, `"WORLD"`, true, false},
		{"title", domain.OpLike, `"lo wo"`, true, false},
		{"title", domain.OpLike, `"hel*"`, true, false},
		{"title", domain.OpLike, `"wor*"`, false, false}, // '*' anchors
		{"title", domain.OpLike, `"*world"`, true, false},
		{"title", domain.OpLike, `"*hello"`, false, false},
		{"title", domain.OpLike, `"h*o*d"`, true, false},
		{"title", domain.OpLike, `"h_llo"`, true, false}, // '_' is a SQL wildcard
		{"title", domain.OpLike, `"h%d"`, true, false},   // so is '%'
		{"title", domain.OpLike, `"h\\_llo"`, false, false},
		{"author.name", domain.OpLike, `"an"`, true, false},
		{"n", domain.OpLike, `"5"`, true, false}, // numbers match on their text
		{"author", domain.OpLike, `"*\"name\": \"Ann\"*"`, true, false},
		{"nul", domain.OpLike, `""`, false, false}, // null is SQL NULL
		{"n", domain.OpLike, `5`, false, false},    // non-string pattern
		{"id", domain.OpLike, `"A*"`, true, false},

		{"nul", domain.OpHas, `true`, true, false},
		{"author.name", domain.OpHas, `true`, true, false},
		{"author.name", domain.OpHas, `false`, false, true},
		{"n", domain.OpHas, `0`, false, true},
		{"n", domain.OpHas, `"x"`, true, false},
		{"id", domain.OpHas, `true`, true, true},

		{"tags", domain.OpContains, `["x"]`, true, false},
		{"tags", domain.OpContains, `["x","y"]`, true, false},
		{"tags", domain.OpContains, `["x","z"]`, false, false},
		{"tags", domain.OpContains, `[{"k":1}]`, true, false}, // jsonb containment
		{"tags", domain.OpContains, `[]`, true, false},
		{"tags", domain.OpContains, `"x"`, true, false},
		{"nums", domain.OpContains, `[2.0]`, true, false},
		{"author.langs", domain.OpContains, `["en"]`, true, false},
		{"title", domain.OpContains, `["Hello World"]`, false, false}, // not an array
		{"empty", domain.OpContains, `[]`, true, false},

		{"tags", domain.OpContainsAny, `["z","y"]`, true, false},
		{"tags", domain.OpContainsAny, `["z"]`, false, false},
		{"tags", domain.OpContainsAny, `[{"k":1}]`, false, false}, // equality, not containment
		{"tags", domain.OpContainsAny, `[{"k":1,"v":2}]`, true, false},
		{"nums", domain.OpContainsAny, `[3]`, true, false},
		{"author.langs", domain.OpContainsAny, `["de","fr"]`, true, false},
		{"empty", domain.OpContainsAny, `["x"]`, false, false},
		{"title", domain.OpContainsAny, `["Hello World"]`, false, false},

		{"n", domain.Op("bogus"), `5`, false, false},
	}
	for _, tt := range tests {
		f := domain.Filter{Field: tt.field, Op: tt.op, Value: j(t, tt.value)}
		if got := domain.Match(full, f); got != tt.full {
			t.Errorf("Match(full, %s %s %s) = %v, want %v", tt.op, tt.field, tt.value, got, tt.full)
		}
		if got := domain.Match(bare, f); got != tt.bare {
			t.Errorf("Match(bare, %s %s %s) = %v, want %v", tt.op, tt.field, tt.value, got, tt.bare)
		}
	}
}

func TestMatchTombstoneField(t *testing.T) {
	tomb := domain.Record{ID: "x", LastModified: 5, Deleted: true}
	if !domain.Match(tomb, domain.Filter{Field: "deleted", Op: domain.OpEq, Value: true}) {
		t.Error("Match(tombstone, deleted=true) = false, want true")
	}
	live := rec(t, `{"id":"y","last_modified":6,"title":"t"}`)
	if domain.Match(live, domain.Filter{Field: "deleted", Op: domain.OpEq, Value: true}) {
		t.Error("Match(live, deleted=true) = true, want false")
	}
}

func TestMatchAll(t *testing.T) {
	r := rec(t, fullRec)
	both := []domain.Filter{{Field: "n", Op: domain.OpGt, Value: j(t, `1`)}, {Field: "flag", Op: domain.OpEq, Value: true}}
	if !domain.MatchAll(r, both) {
		t.Error("MatchAll(n>1, flag=true) = false, want true")
	}
	if domain.MatchAll(r, append(both, domain.Filter{Field: "n", Op: domain.OpLt, Value: j(t, `0`)})) {
		t.Error("MatchAll(…, n<0) = true, want false")
	}
	if !domain.MatchAll(r, nil) {
		t.Error("MatchAll(no filters) = false, want true")
	}
}

func TestLike(t *testing.T) {
	tests := []struct {
		text, value string
		want        bool
	}{
		{"abc", "", true},
		{"", "", true},
		{"", "*", true},
		{"abc", "b", true},
		{"abc", "*b", false},
		{"abc", "a*", true},
		{"abc", "*c", true},
		{"abc", "a*c", true},
		{"abc", "a**c", true},
		{"abc", "*", true},
		{"abc", "ABC", true},
		{"ÉCOLE", "éco*", true},
		{"a%c", `a\%c`, true},
		{"abc", `a\%c`, false},
		{"a_c", `\_`, true},
		{"abc", `\_`, false},
		{`a\`, `a\`, true},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*a*c", false},
	}
	for _, tt := range tests {
		if got := domain.Like(tt.text, tt.value); got != tt.want {
			t.Errorf("Like(%q, %q) = %v, want %v", tt.text, tt.value, got, tt.want)
		}
	}
}

func TestTruthy(t *testing.T) {
	tests := []struct {
		v    string
		want bool
	}{
		{`null`, false}, {`false`, false}, {`0`, false}, {`0.0`, false}, {`""`, false}, {`[]`, false}, {`{}`, false},
		{`true`, true}, {`1`, true}, {`-0.5`, true}, {`"false"`, true}, {`[0]`, true}, {`{"a":0}`, true},
	}
	for _, tt := range tests {
		if got := domain.Truthy(j(t, tt.v)); got != tt.want {
			t.Errorf("Truthy(%s) = %v, want %v", tt.v, got, tt.want)
		}
	}
}
