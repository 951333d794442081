package http

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeJSONSlow is what encoding/json gives for a document parseJSON
// accepts: one object or array, then nothing but white space.
func decodeJSONSlow(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err == nil || err.Error() != "EOF" {
		return nil, false
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, true
	}
	return nil, false
}

var jsonDocs = []string{
	`{}`, `[]`, ` {"a":1} `, "\t[\n1 ,2\r]", `{"data":{"title":"a record","done":false,"tags":["a","b"],"n":42}}`,
	`{"a":"x\"y","b":"\u00e9\ud83d\ude00","c":"\ud800","d":"\/\b\f\n\r\t\\"}`, `{"a":1,"a":2}`,
	`[-0, 0.5, 1e3, -1.25E-7, 12345678901234567890123, true, false, null, [], {}, [[[]]]]`,
	`{"a":[1,{"b":[{"c":null}]}]}`, `{"é":"ü"}`,
	// Invalid, or not an object or array: encoding/json decides.
	`{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `01`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `[+1]`, `"s"`, `1`, `null`,
	`{} {}`, `{}x`, `[tru]`, `[nul]`, `["a` + "\x01" + `"]`, `["\x"]`, `["\u12"]`, `["abc`, `[1 2]`, `{1:2}`,
	`[` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `]`, `[1]]`, ` `, `[NaN]`, `["\`,
}

func TestDecodeJSONFastMatchesEncodingJSON(t *testing.T) {
	for _, doc := range jsonDocs {
		checkFastDecode(t, []byte(doc))
		_, fastOK := decodeJSONFast([]byte(doc))
		_, slowOK := decodeJSONSlow([]byte(doc))
		if deep := strings.Count(doc, "[") > fastJSONMaxDepth; slowOK && !fastOK && !deep {
			t.Errorf("%q: fast path refuses a document encoding/json accepts", doc)
		}
	}
	if _, ok := decodeJSONFast([]byte(`{"data":{"title":"t","n":1}}`)); !ok {
		t.Error("the fast path refuses a plain record body")
	}
}

func checkFastDecode(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		return // parseJSON refuses it before decoding
	}
	fast, fastOK := decodeJSONFast(b)
	slow, slowOK := decodeJSONSlow(b)
	if fastOK && !slowOK {
		t.Errorf("%q: fast path accepts what encoding/json refuses: %#v", b, fast)
	}
	if fastOK && !reflect.DeepEqual(fast, slow) {
		t.Errorf("%q: fast path %#v, encoding/json %#v", b, fast, slow)
	}
}

func FuzzDecodeJSONFast(f *testing.F) {
	for _, doc := range jsonDocs {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkFastDecode(t, b) })
}
