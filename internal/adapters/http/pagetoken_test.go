package http_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestPageTokenRoundTrip(t *testing.T) {
	sorts := []domain.Sort{{Field: "price"}, {Field: "meta.tags", Desc: true}, {Field: "gone"}, {Field: "id"}, {Field: "last_modified", Desc: true}}
	after := []domain.SortValue{
		{Value: j(t, `123456789012345678901234567890.000000000000000000001`)},
		{Value: j(t, `["a",{"b":null}]`)},
		{Missing: true},
		{Value: "r1"},
		{Value: j(t, `1714000000000`)},
	}
	tok, err := httpadapter.EncodePageToken(sorts, after)
	if err != nil {
		t.Fatalf("EncodePageToken: %v", err)
	}
	if _, err := base64.RawURLEncoding.DecodeString(tok); err != nil {
		t.Errorf("token %q is not URL-safe base64: %v", tok, err)
	}
	got, err := httpadapter.DecodePageToken(tok, sorts)
	if err != nil {
		t.Fatalf("DecodePageToken: %v", err)
	}
	if len(got) != len(after) {
		t.Fatalf("After has %d values, want %d", len(got), len(after))
	}
	for i := range after {
		if got[i].Missing != after[i].Missing || asJSON(t, got[i].Value) != asJSON(t, after[i].Value) {
			t.Errorf("After[%d] = %#v, want %#v", i, got[i], after[i])
		}
	}
	// A token of an earlier version, which could carry a nonce, still reads.
	withNonce := base64.RawURLEncoding.EncodeToString([]byte(`{"sort":["id"],"last":[{"value":"r1"}],"nonce":"x"}`))
	if _, err := httpadapter.DecodePageToken(withNonce, []domain.Sort{{Field: "id"}}); err != nil {
		t.Errorf("DecodePageToken(with nonce): %v", err)
	}
	// Padded base64 is accepted too.
	if _, err := httpadapter.DecodePageToken(tok+"==", sorts); err != nil {
		t.Errorf("DecodePageToken(padded): %v", err)
	}
}

func TestEncodePageTokenErrors(t *testing.T) {
	sorts := []domain.Sort{{Field: "a"}}
	if _, err := httpadapter.EncodePageToken(sorts, nil); err == nil {
		t.Error("EncodePageToken(no values): no error")
	}
	if _, err := httpadapter.EncodePageToken(sorts, []domain.SortValue{{Value: make(chan int)}}); err == nil {
		t.Error("EncodePageToken(unencodable value): no error")
	}
}

func TestDecodePageTokenRejects(t *testing.T) {
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
		_, err := httpadapter.DecodePageToken(tt.token, sorts)
		wantIssue(t, "DecodePageToken("+tt.name+")", err, "", "_token has invalid content")
	}
	idSort := []domain.Sort{{Field: "id"}}
	_, err := httpadapter.DecodePageToken(raw(`{"sort":["id"],"last":[{"value":5}]}`), idSort)
	wantIssue(t, "DecodePageToken(numeric id)", err, "", "_token has invalid content")
	_, err = httpadapter.DecodePageToken(raw(`{"sort":["id"],"last":[{"missing":true}]}`), idSort)
	wantIssue(t, "DecodePageToken(missing id)", err, "", "_token has invalid content")
}
