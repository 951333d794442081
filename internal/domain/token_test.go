package domain_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestTokenRoundTrip(t *testing.T) {
	sorts := []domain.Sort{{Field: "price"}, {Field: "meta.tags", Desc: true}, {Field: "gone"}, {Field: "id"}, {Field: "last_modified", Desc: true}}
	after := []domain.SortValue{
		{Value: j(t, `123456789012345678901234567890.000000000000000000001`)},
		{Value: j(t, `["a",{"b":null}]`)},
		{Missing: true},
		{Value: "r1"},
		{Value: j(t, `1714000000000`)},
	}
	tok, err := domain.EncodeToken(sorts, domain.Token{After: after, Nonce: "pagination-token-x"})
	if err != nil {
		t.Fatalf("EncodeToken: %v", err)
	}
	if _, err := base64.RawURLEncoding.DecodeString(tok); err != nil {
		t.Errorf("token %q is not URL-safe base64: %v", tok, err)
	}
	got, err := domain.DecodeToken(tok, sorts)
	if err != nil {
		t.Fatalf("DecodeToken: %v", err)
	}
	if got.Nonce != "pagination-token-x" {
		t.Errorf("Nonce = %q, want pagination-token-x", got.Nonce)
	}
	if len(got.After) != len(after) {
		t.Fatalf("After has %d values, want %d", len(got.After), len(after))
	}
	for i := range after {
		if got.After[i].Missing != after[i].Missing || asJSON(t, got.After[i].Value) != asJSON(t, after[i].Value) {
			t.Errorf("After[%d] = %#v, want %#v", i, got.After[i], after[i])
		}
	}
	// Padded base64 is accepted too.
	if _, err := domain.DecodeToken(tok+"==", sorts); err != nil {
		t.Errorf("DecodeToken(padded): %v", err)
	}
}

func TestEncodeTokenErrors(t *testing.T) {
	sorts := []domain.Sort{{Field: "a"}}
	if _, err := domain.EncodeToken(sorts, domain.Token{}); err == nil {
		t.Error("EncodeToken(no values): no error")
	}
	if _, err := domain.EncodeToken(sorts, domain.Token{After: []domain.SortValue{{Value: make(chan int)}}}); err == nil {
		t.Error("EncodeToken(unencodable value): no error")
	}
}

func TestDecodeTokenRejects(t *testing.T) {
	sorts := []domain.Sort{{Field: "title"}, {Field: "last_modified", Desc: true}}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct{ name, token string }{
		{"not base64", "!!!"},
		{"not JSON", raw("nope")},
		{"JSON array", raw(`[1]`)},
		{"Kinto's format", enc(map[string]any{"last_object": map[string]any{"title": "a"}, "offset": 1})},
		{"other sort", raw(`{"sort":["-title","-last_modified"],"last":[{"value":"a"},{"value":1}]}`)},
		{"shorter sort", raw(`{"sort":["title"],"last":[{"value":"a"}]}`)},
		{"value count", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a"}]}`)},
		{"neither value nor missing", raw(`{"sort":["title","-last_modified"],"last":[{},{"value":1}]}`)},
		{"both value and missing", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a","missing":true},{"value":1}]}`)},
		{"missing last_modified", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a"},{"missing":true}]}`)},
		{"string last_modified", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a"},{"value":"1"}]}`)},
		{"float last_modified", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a"},{"value":1.5}]}`)},
		{"huge last_modified", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a"},{"value":1e30}]}`)},
		{"NUL in value", raw(`{"sort":["title","-last_modified"],"last":[{"value":"a\u0000"},{"value":1}]}`)},
		{"NUL in key", raw(`{"sort":["title","-last_modified"],"last":[{"value":{"\u0000":1}},{"value":1}]}`)},
		{"sort not strings", raw(`{"sort":[1,2],"last":[{"value":"a"},{"value":1}]}`)},
		{"too long", string(make([]byte, 1<<17))},
	}
	for _, tt := range tests {
		_, err := domain.DecodeToken(tt.token, sorts)
		wantIssue(t, "DecodeToken("+tt.name+")", err, "", "_token has invalid content")
	}
	idSort := []domain.Sort{{Field: "id"}}
	_, err := domain.DecodeToken(raw(`{"sort":["id"],"last":[{"value":5}]}`), idSort)
	wantIssue(t, "DecodeToken(numeric id)", err, "", "_token has invalid content")
	_, err = domain.DecodeToken(raw(`{"sort":["id"],"last":[{"missing":true}]}`), idSort)
	wantIssue(t, "DecodeToken(missing id)", err, "", "_token has invalid content")
}

func TestTokenExpired(t *testing.T) {
	wantIssue(t, "TokenExpired", domain.TokenExpired(), "", "_token was already used or has expired.")
}
