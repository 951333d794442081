package main

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// invalidIDBody is Kinto's answer to an id outside the pattern.
var invalidIDBody = map[string]any{
	"code": float64(400), "errno": float64(107), "error": "Invalid parameters", "message": "path: Invalid object id",
	"details": []any{map[string]any{"location": "path", "name": nil, "description": "Invalid object id"}},
}

func TestIDsOutsideThePattern(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	bad := []string{"bad!id", "_leading", "-leading", "a.b", "%C3%A9t%C3%A9", "a%20b", "a@b", "%2e%2e"}
	for _, id := range bad {
		for _, tt := range []struct {
			method, path string
			body         any
		}{
			{"PUT", "/buckets/" + id, map[string]any{}},
			{"PUT", "/buckets/b/collections/" + id, map[string]any{}},
			{"PUT", "/buckets/b/groups/" + id, map[string]any{}},
			{"PUT", "/buckets/b/collections/c/records/" + id, map[string]any{}},
			{"GET", "/buckets/b/collections/c/records/" + id, nil},
			{"HEAD", "/buckets/b/collections/c/records/" + id, nil},
			{"GET", "/buckets/b/collections/" + id, nil},
			{"GET", "/buckets/b/groups/" + id, nil},
			{"PATCH", "/buckets/b/collections/c/records/" + id, map[string]any{"data": map[string]any{}}},
			{"DELETE", "/buckets/b/collections/c/records/" + id, nil},
			{"DELETE", "/buckets/b/groups/" + id, nil},
		} {
			r := k.do(owner, tt.method, tt.path, tt.body)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s %s as owner = %s, want 400", tt.method, tt.path, r)
				continue
			}
			if tt.method != "HEAD" && !reflect.DeepEqual(r.body, invalidIDBody) {
				t.Errorf("%s %s as owner: body %s, want %v", tt.method, tt.path, r.raw, invalidIDBody)
			}
		}
		// An outsider still learns nothing more than 401/403 on reads.
		if r := k.do(stranger, "GET", "/buckets/b/collections/c/records/"+id, nil); r.status != http.StatusForbidden {
			t.Errorf("GET a bad record id as stranger = %s, want 403", r)
		}
	}

	// data.id in POST bodies.
	for _, id := range []any{"bad!id", "_x", "", " ", "a/b", float64(42), true, []any{"a"}, map[string]any{"a": "b"}, nil} {
		for _, list := range []string{"/buckets", "/buckets/b/collections", "/buckets/b/groups", "/buckets/b/collections/c/records"} {
			// null too: Kinto refuses any id that is not a matching string.
			r := k.do(owner, "POST", list, map[string]any{"data": map[string]any{"id": id}})
			if r.status != http.StatusBadRequest || r.errno() != 107 {
				t.Errorf("POST %s with data.id %#v = %s, want 400/107", list, id, r)
			}
		}
	}
	// A body id that differs from the URL.
	r := k.do(owner, "PUT", "/buckets/b/collections/c/records/r1", map[string]any{"data": map[string]any{"id": "other"}})
	if details, _ := r.body["details"].([]any); r.status != 400 || len(details) != 1 || details[0].(map[string]any)["name"] != "id" {
		t.Errorf("PUT with a different data.id = %s, want 400 naming id", r)
	}
	r = k.do(owner, "PATCH", "/buckets/b/collections/c/records/r1", map[string]any{"data": map[string]any{"id": "other"}})
	if r.status != 400 {
		t.Errorf("PATCH with a different data.id = %s, want 400", r)
	}
	// Paths that are not ids at all never reach a resource.
	for _, p := range []string{"/buckets/a%2Fb", "/buckets/b/collections/c/records/a%2F..%2F..", "/buckets/%00", "/buckets/%ff"} {
		if r := k.do(owner, "GET", p, nil); r.status < 400 || r.status >= 500 {
			t.Errorf("GET %s = %s, want a 4xx", p, r)
		}
	}
}

func TestVeryLongIDs(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	long := strings.Repeat("a", 10000)
	for _, p := range []string{"/buckets/" + long, "/buckets/b/collections/" + long, "/buckets/b/groups/" + long, "/buckets/b/collections/c/records/" + long} {
		r := k.do(owner, "PUT", p, map[string]any{})
		if r.status >= 500 || (r.status != 201 && r.status != 400 && r.status != 414) {
			t.Errorf("PUT a 10,000-character id (%s…) = %d %.200s, want 201 or a clean 4xx", p[:30], r.status, r.raw)
			continue
		}
		if r.status != 201 {
			continue
		}
		if got := k.do(owner, "GET", p, nil); got.status != 200 || got.data()["id"] != p[strings.LastIndexByte(p, '/')+1:] {
			t.Errorf("GET the long id back = %d, want 200 with the same id", got.status)
		}
		k.must(200, owner, "DELETE", p, nil)
	}
	r := k.do(owner, "POST", "/buckets/b/collections/c/records", map[string]any{"data": map[string]any{"id": long}})
	if r.status >= 500 {
		t.Errorf("POST a long data.id = %d, want no 5xx", r.status)
	}
	br := k.batch(owner, map[string]any{"method": "PUT", "path": "/buckets/b/collections/c/records/" + long + "x", "body": map[string]any{}})
	if br[0].status >= 500 {
		t.Errorf("batch PUT a long id = %d, want no 5xx", br[0].status)
	}
	k.must(200, owner, "GET", "/permissions", nil)
	k.must(200, owner, "GET", "/buckets/b/collections/c/records", nil)
}

func TestPermissionsOfTheWrongShape(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	shapes := []struct {
		name string
		body string
	}{
		{"string", `{"permissions":"read"}`},
		{"list", `{"permissions":["read"]}`},
		{"number", `{"permissions":42}`},
		{"principals as a string", `{"permissions":{"read":"system.Everyone"}}`},
		{"list of numbers", `{"permissions":{"read":[1,2]}}`},
		{"nested object", `{"permissions":{"read":{"system.Everyone":true}}}`},
		{"nested list", `{"permissions":{"read":[["system.Everyone"]]}}`},
		{"null principal", `{"permissions":{"read":[null]}}`},
		{"boolean principal", `{"permissions":{"write":[true]}}`},
	}
	targets := []struct {
		method, path, contentType string
	}{
		{"PUT", "/buckets/b", "application/json"},
		{"PUT", "/buckets/b/collections/c", "application/json"},
		{"PUT", "/buckets/b/groups/g", "application/json"},
		{"PUT", "/buckets/b/collections/c/records/r1", "application/json"},
		{"PUT", "/buckets/b/collections/c/records/new", "application/json"},
		{"POST", "/buckets/b/collections/c/records", "application/json"},
		{"PATCH", "/buckets/b/collections/c/records/r1", "application/json"},
		{"PATCH", "/buckets/b/collections/c/records/r1", "application/merge-patch+json"},
		{"PATCH", "/buckets/b/collections/c", "application/merge-patch+json"},
	}
	for _, sh := range shapes {
		for _, tg := range targets {
			r := k.do(owner, tg.method, tg.path, sh.body, "Content-Type", tg.contentType)
			if r.status != 400 || r.errno() != 107 {
				t.Errorf("%s %s (%s) with permissions %s = %s, want 400/107", tg.method, tg.path, tg.contentType, sh.name, r)
			}
		}
		// Inside a batch: the same 400 as a subresponse.
		var body map[string]any
		if err := jsonUnmarshal(sh.body, &body); err != nil {
			t.Fatal(err)
		}
		br := k.batch(owner, map[string]any{"method": "PUT", "path": "/buckets/b/collections/c/records/r1", "body": body})
		if br[0].status != 400 {
			t.Errorf("batch PUT with permissions %s = %d %v, want 400", sh.name, br[0].status, br[0].raw)
		}
	}
	// Nothing was changed by the refused writes.
	r := k.must(200, owner, "GET", "/buckets/b/collections/c/records/r1", nil)
	if r.data()["title"] != "secret c" || len(r.perms()) != 1 {
		t.Errorf("record after refused writes: %s, want untouched", r)
	}
}

func TestUnknownPermissionNames(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	tests := []struct {
		path, perm, choices string
	}{
		{"/buckets/b", "record:create", "read, write, collection:create, group:create"},
		{"/buckets/b", "foo", "read, write, collection:create, group:create"},
		{"/buckets/b/collections/c", "collection:create", "read, write, record:create"},
		{"/buckets/b/collections/c", "group:create", "read, write, record:create"},
		{"/buckets/b/groups/g", "record:create", "read, write"},
		{"/buckets/b/collections/c/records/r1", "record:create", "read, write"},
		{"/buckets/b/collections/c/records/r1", "delete", "read, write"},
		{"/buckets/b/collections/c/records/r1", "", "read, write"},
		{"/buckets/b/collections/c/records/r1", "READ", "read, write"},
	}
	for _, tt := range tests {
		perms := map[string]any{tt.perm: []string{"account:x"}}
		want := fmt.Sprintf("permissions in body: %q is not one of %s", tt.perm, tt.choices)
		for _, ct := range []string{"application/json", "application/merge-patch+json"} {
			r := k.do(owner, "PATCH", tt.path, map[string]any{"permissions": perms}, "Content-Type", ct)
			if r.status != 400 || r.errno() != 107 || r.body["message"] != want {
				t.Errorf("PATCH %s (%s) with permission %q = %s, want 400/107 %q", tt.path, ct, tt.perm, r, want)
			}
		}
		if r := k.do(owner, "PUT", tt.path, map[string]any{"permissions": perms}); r.status != 400 || r.errno() != 107 {
			t.Errorf("PUT %s with permission %q = %s, want 400/107", tt.path, tt.perm, r)
		}
		if tt.perm != "" {
			ops := []any{map[string]any{"op": "add", "path": "/permissions/" + tt.perm + "/account:x"}}
			if r := k.do(owner, "PATCH", tt.path, ops, "Content-Type", "application/json-patch+json"); r.status != 400 || r.errno() != 107 {
				t.Errorf("JSON-Patch %s adding permission %q = %s, want 400/107", tt.path, tt.perm, r)
			}
		}
	}
	// POST and creations too.
	for _, p := range []string{"/buckets", "/buckets/b/collections", "/buckets/b/groups", "/buckets/b/collections/c/records"} {
		if r := k.do(owner, "POST", p, map[string]any{"permissions": map[string]any{"bogus": []string{}}}); r.status != 400 {
			t.Errorf("POST %s with permission bogus = %s, want 400", p, r)
		}
	}
	if r := k.must(200, owner, "GET", "/buckets/b/collections", nil); len(r.ids()) != 4 {
		t.Errorf("collections after refused creations: %v, want the 4 seeded", r.ids())
	}
}

func TestGroupMembersMustBeUserIDs(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	tests := []struct {
		members string
		name    string
		message string
	}{
		{`[42]`, "data.members.0", ""},
		{`["ok", null]`, "data.members.1", ""},
		{`["ok", "fine", ["x"]]`, "data.members.2", ""},
		{`[{"id":"x"}]`, "data.members.0", ""},
		{`[true]`, "data.members.0", ""},
		{`["system.Everyone"]`, "data.members.0", "data.members.0 in body: 'system.Everyone' is not a valid user ID."},
		{`["account:a", "/buckets/b/groups/gread"]`, "data.members.1", "data.members.1 in body: '/buckets/b/groups/gread' is not a valid user ID."},
		{`["/buckets/other/groups/x"]`, "data.members.0", "data.members.0 in body: '/buckets/other/groups/x' is not a valid user ID."},
		{`"account:a"`, "data.members", ""},
		{`{"a":"b"}`, "data.members", ""},
		{`42`, "data.members", ""},
	}
	for _, tt := range tests {
		for _, req := range []struct {
			method, path, contentType string
		}{
			{"PUT", "/buckets/b/groups/new", "application/json"},
			{"POST", "/buckets/b/groups", "application/json"},
			{"PUT", "/buckets/b/groups/g", "application/json"},
			{"PATCH", "/buckets/b/groups/g", "application/json"},
			{"PATCH", "/buckets/b/groups/g", "application/merge-patch+json"},
		} {
			r := k.do(owner, req.method, req.path, `{"data":{"members":`+tt.members+`}}`, "Content-Type", req.contentType)
			details, _ := r.body["details"].([]any)
			var name any
			if len(details) == 1 {
				name = details[0].(map[string]any)["name"]
			}
			if r.status != 400 || r.errno() != 107 || name != tt.name {
				t.Errorf("%s %s members %s = %s, want 400/107 naming %s", req.method, req.path, tt.members, r, tt.name)
				continue
			}
			if tt.message != "" && r.body["message"] != tt.message {
				t.Errorf("%s %s members %s: message %q, want %q", req.method, req.path, tt.members, r.body["message"], tt.message)
			}
		}
	}
	ops := []any{map[string]any{"op": "add", "path": "/data/members/-", "value": 42}}
	if r := k.do(owner, "PATCH", "/buckets/b/groups/g", ops, "Content-Type", "application/json-patch+json"); r.status != 400 {
		t.Errorf("JSON-Patch adding member 42 = %s, want 400", r)
	}
	// The member kept its group through all of this.
	if got := k.principals(member); !strings.Contains(strings.Join(got, " "), groupG) {
		t.Errorf("member principals after refused writes: %v, want %s", got, groupG)
	}
	// Valid odd members are accepted: system.Authenticated, unknown ids.
	r := k.must(201, owner, "PUT", "/buckets/b/groups/odd", map[string]any{"data": map[string]any{"members": []string{"system.Authenticated", "who:ever", "", "ünïcode"}}})
	if got, _ := r.data()["members"].([]any); len(got) != 4 {
		t.Errorf("odd but valid members: %v, want all 4 kept", r.data()["members"])
	}
	r = k.must(201, owner, "PUT", "/buckets/b/groups/nomembers", map[string]any{"data": map[string]any{}})
	if got, ok := r.data()["members"].([]any); !ok || len(got) != 0 {
		t.Errorf("group without members: %v, want []", r.data()["members"])
	}
}

func TestCollectionSchemas(t *testing.T) {
	invalid := []string{
		`"string"`, `[]`, `42`, `{"type":"nonsense"}`, `{"type":42}`, `{"properties":"x"}`, `{"required":"x"}`,
		`{"minLength":-1}`, `{"pattern":"("}`, `{"patternProperties":{"(?<=x)":{}}}`, `{"items":42}`,
		`{"$ref":"file:///etc/passwd"}`, `{"$ref":"http://127.0.0.1:1/schema.json"}`, `{"$schema":"http://example.com/nope"}`,
		`{"enum":[]}`,
	}
	for _, validation := range []string{"true", "false"} {
		t.Run("validation "+validation, func(t *testing.T) {
			s, src := testSettings(t, map[string]string{"experimental_collection_schema_validation": validation})
			k := newKintoServer(t, s, src)
			seedWorld(k)
			for _, sc := range invalid {
				for _, req := range []struct{ method, path, field string }{
					{"PUT", "/buckets/b/collections/bad", "schema"},
					{"PATCH", "/buckets/b/collections/c", "schema"},
					{"PATCH", "/buckets/b", "record:schema"},
					{"PATCH", "/buckets/b", "collection:schema"},
					{"PATCH", "/buckets/b", "group:schema"},
				} {
					r := k.do(owner, req.method, req.path, `{"data":{"`+req.field+`":`+sc+`}}`)
					details, _ := r.body["details"].([]any)
					if r.status != 400 || r.errno() != 107 || len(details) == 0 || details[0].(map[string]any)["name"] != req.field {
						t.Errorf("%s %s with %s %s = %.300s, want 400/107 naming %s", req.method, req.path, req.field, sc, r, req.field)
					}
				}
			}
			// Nothing got stored: records are still accepted.
			k.must(201, owner, "POST", "/buckets/b/collections/c/records", map[string]any{"data": map[string]any{"x": 1}})
		})
	}
}

func TestTrickySchemasNeverFailRecordWrites(t *testing.T) {
	s, src := testSettings(t, map[string]string{"experimental_collection_schema_validation": "true"})
	k := newKintoServer(t, s, src)
	seedWorld(k)
	deep := strings.Repeat(`{"a":`, 2000) + "1" + strings.Repeat("}", 2000)
	schemas := []string{
		`{}`,
		`{"$ref":"#"}`,
		`{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}`,
		`{"type":"object","properties":{"a":{"$ref":"#"}}}`,
		`{"properties":{"n":{"multipleOf":1e-300}}}`,
		`{"properties":{"n":{"minimum":1e400}}}`,
		`{"properties":{"id":{"type":"integer"}}}`,
		`{"required":["id","last_modified","schema","title"]}`,
		`{"properties":{"s":{"pattern":"^(a+)+$"}}}`,
		`{"properties":{"e":{"format":"email"},"d":{"format":"date-time"},"u":{"format":"uri"}}}`,
		`{"$id":"file:///etc/passwd"}`,
		`{"additionalProperties":false}`,
		`{"not":{}}`,
		`{"type":"string"}`,
		`{"allOf":[{"$ref":"#/definitions/x"}],"definitions":{"x":{"type":"object"}}}`,
	}
	records := []string{
		`{"data":{}}`,
		`{"data":{"title":"t","n":5,"s":"` + strings.Repeat("a", 5000) + `!","e":"nope","d":"x","u":"::"}}`,
		`{"data":{"n":1e308,"a":` + deep + `}}`,
		`{"data":{"id":"given","last_modified":"soon","schema":"mine"}}`,
	}
	for i, sc := range schemas {
		cid := fmt.Sprintf("s%d", i)
		r := k.do(owner, "PUT", "/buckets/b/collections/"+cid, `{"data":{"schema":`+sc+`}}`)
		if r.status >= 500 {
			t.Errorf("PUT collection with schema %s = %d, want no 5xx", sc, r.status)
		}
		if r.status != 201 {
			continue
		}
		for _, rec := range records {
			for _, req := range []struct{ method, path string }{
				{"POST", "/buckets/b/collections/" + cid + "/records"},
				{"PUT", "/buckets/b/collections/" + cid + "/records/x"},
			} {
				got := k.do(owner, req.method, req.path, rec)
				if got.status >= 500 || (got.status >= 300 && got.errno() != 107) {
					t.Errorf("%s a record (%.60s) under schema %s = %.300s, want a success or 400/107", req.method, rec, sc, got)
				}
			}
			got := k.do(owner, "PATCH", "/buckets/b/collections/"+cid+"/records/x", rec, "Content-Type", "application/merge-patch+json")
			if got.status >= 500 {
				t.Errorf("PATCH a record under schema %s = %d, want no 5xx", sc, got.status)
			}
		}
		br := k.batch(owner, map[string]any{"method": "POST", "path": "/buckets/b/collections/" + cid + "/records", "body": map[string]any{"data": map[string]any{"n": 1}}})
		if br[0].status >= 500 {
			t.Errorf("batch POST under schema %s = %d, want no 5xx", sc, br[0].status)
		}
	}
	// An unresolvable reference fails every record write with a 400
	// naming the schema, never a 500.
	r := k.do(owner, "PUT", "/buckets/b/collections/cycle/records/x", `{"data":{}}`)
	if r.status != 404 && r.status != 400 {
		t.Errorf("record under a missing collection = %s", r)
	}
	r = k.do(owner, "POST", "/buckets/b/collections/s1/records", `{"data":{}}`)
	if details, _ := r.body["details"].([]any); r.status != 400 || len(details) == 0 || details[0].(map[string]any)["name"] != "schema" {
		t.Errorf("record under a self-referencing schema = %s, want 400 naming schema", r)
	}
}

func TestHugeAndDeepBodies(t *testing.T) {
	s, src := testSettings(t, map[string]string{"max_body_bytes": "1048576"})
	k := newKintoServer(t, s, src)
	seedWorld(k)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"deep arrays", `{"data":{"a":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`, 400},
		{"deep objects", strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000), 400},
		{"over max_body_bytes", `{"data":{"a":"` + strings.Repeat("x", 2<<20) + `"}}`, 413},
		{"truncated", `{"data":{"a":`, 400},
		{"not UTF-8", "{\"data\":{\"a\":\"\xff\xfe\"}}", 0},
		{"huge numbers", `{"data":{"a":1e400,"b":-0,"c":123456789012345678901234567890123}}`, 0},
		{"many keys", `{"data":{` + manyKeys(20000) + `}}`, 0},
		{"scalar", `"hello"`, 400},
		{"array", `[1,2]`, 400},
		{"null", `null`, 400},
		{"unknown top-level key", `{"data":{},"extra":1}`, 400},
		{"data not an object", `{"data":[1]}`, 400},
	}
	for _, tt := range tests {
		for _, req := range []struct{ method, path, contentType string }{
			{"POST", "/buckets/b/collections/priv/records", "application/json"},
			{"PUT", "/buckets/b/collections/priv/records/r1", "application/json"},
			{"PATCH", "/buckets/b/collections/priv/records/r1", "application/json"},
			{"PATCH", "/buckets/b/collections/priv/records/r1", "application/merge-patch+json"},
			{"PATCH", "/buckets/b/collections/priv/records/r1", "application/json-patch+json"},
			{"POST", "/batch", "application/json"},
		} {
			r := k.do(owner, req.method, req.path, tt.body, "Content-Type", req.contentType)
			switch {
			case r.status >= 500:
				t.Errorf("%s %s (%s) with %s = %d %.200s, want no 5xx", req.method, req.path, req.contentType, tt.name, r.status, r.raw)
			case tt.want != 0 && req.path != "/batch" && req.contentType != "application/json-patch+json" && r.status != tt.want:
				t.Errorf("%s %s (%s) with %s = %d %.200s, want %d", req.method, req.path, req.contentType, tt.name, r.status, r.raw, tt.want)
			case r.status >= 400 && r.body["errno"] == nil:
				t.Errorf("%s %s with %s = %d %.200s, want a JSON error with an errno", req.method, req.path, tt.name, r.status, r.raw)
			}
		}
	}
	k.must(200, owner, "GET", "/buckets/b/collections/priv/records", nil)
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	return b.String()
}

func TestHostileBatches(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	alice := owner.authorization()
	refused := []struct {
		name string
		body string
	}{
		{"path without slash", `{"requests":[{"path":"buckets"}]}`},
		{"absolute URL", `{"requests":[{"path":"http://evil.example/v1/buckets"}]}`},
		{"recursive batch", `{"requests":[{"method":"POST","path":"/batch","body":{"requests":[]}}]}`},
		{"recursive batch with prefix", `{"requests":[{"method":"POST","path":"/v1/batch"}]}`},
		{"lower-case method", `{"requests":[{"method":"get","path":"/buckets"}]}`},
		{"unknown method", `{"requests":[{"method":"CONNECT","path":"/buckets"}]}`},
		{"header not a string", `{"requests":[{"path":"/buckets","headers":{"Authorization":42}}]}`},
		{"body an array", `{"requests":[{"method":"PATCH","path":"/buckets/b","body":[{"op":"remove","path":"/data"}]}]}`},
		{"request not an object", `{"requests":["/buckets"]}`},
		{"requests not a list", `{"requests":{"path":"/buckets"}}`},
		{"unknown key", `{"requests":[{"path":"/buckets","evil":true}]}`},
		{"too many", `{"requests":[` + strings.TrimSuffix(strings.Repeat(`{"path":"/buckets"},`, 26), ",") + `]}`},
		{"defaults not an object", `{"defaults":"x","requests":[]}`},
	}
	for _, tt := range refused {
		r := k.do(owner, "POST", "/batch", tt.body)
		if r.status != 400 || r.errno() != 107 {
			t.Errorf("batch with %s = %s, want 400/107", tt.name, r)
		}
	}
	// Subrequests that are answered one by one, never with a 5xx and never
	// with more than the caller may see.
	subs := []map[string]any{
		{"path": "/buckets/../__heartbeat__"},
		{"path": "/buckets/a%2Fb"},
		{"path": "/buckets/b\r\nX-Injected: 1"},
		{"path": "//buckets"},
		{"path": "/v1/v1/buckets"},
		{"path": "/buckets?_limit=-1"},
		{"path": "/buckets/b/collections/priv/records?_sort=%00"},
		{"path": "/buckets/%ff"},
		{"path": "/buckets/b/collections/priv/records/r1", "headers": map[string]any{"Authorization": "Basic !!!"}},
		{"path": "/buckets/b/collections/priv/records/r1", "headers": map[string]any{"Authorization": ""}},
		{"method": "PUT", "path": "/buckets/b/collections/priv/records/r1", "body": map[string]any{"permissions": "all"}},
		{"method": "PUT", "path": "/buckets/b/collections/priv/records/r1", "body": map[string]any{"data": map[string]any{"id": "other"}}},
		{"method": "PUT", "path": "/buckets/b/groups/g", "body": map[string]any{"data": map[string]any{"members": []any{"system.Everyone"}}}},
		{"method": "PUT", "path": "/buckets/b/collections/bad!id", "body": map[string]any{}},
		{"method": "PATCH", "path": "/buckets/b/collections/priv/records/r1", "headers": map[string]any{"Content-Type": "application/json-patch+json"}, "body": map[string]any{"op": "remove"}},
		{"method": "HEAD", "path": "/buckets/b/collections/priv/records"},
		{"method": "TRACE", "path": "/buckets"},
	}
	for _, sub := range subs {
		r := k.do(owner, "POST", "/batch", map[string]any{"requests": []any{sub}})
		if r.status != 200 {
			t.Errorf("batch with subrequest %v = %s, want 200", sub, r)
			continue
		}
		resp := r.body["responses"].([]any)[0].(map[string]any)
		st, _ := resp["status"].(float64)
		if st >= 500 || st == 0 {
			t.Errorf("subrequest %v = %v, want no 5xx", sub, resp)
		}
		if h, _ := resp["headers"].(map[string]any); h["X-Injected"] != nil {
			t.Errorf("subrequest %v injected a header: %v", sub, h)
		}
	}
	// A subrequest's own Authorization replaces the batch's: the stranger
	// cannot ride on the owner's batch, nor the owner on an anonymous one.
	br := k.batch(owner,
		map[string]any{"path": "/buckets/b/collections/priv/records/r1", "headers": map[string]any{"Authorization": stranger.authorization()}},
		map[string]any{"path": "/buckets/b/collections/priv/records/r1"},
	)
	if br[0].status != 403 || br[1].status != 200 {
		t.Errorf("batch as owner with a stranger's subrequest: %d, %d; want 403, 200", br[0].status, br[1].status)
	}
	br = k.batch(anonymous,
		map[string]any{"path": "/buckets/b/collections/priv/records/r1"},
		map[string]any{"path": "/buckets/b/collections/priv/records/r1", "headers": map[string]any{"Authorization": alice}},
	)
	if br[0].status != 401 || br[1].status != 200 {
		t.Errorf("anonymous batch with an owner subrequest: %d, %d; want 401, 200", br[0].status, br[1].status)
	}
	// defaults cannot override a subrequest's own headers.
	r := k.must(200, anonymous, "POST", "/batch", map[string]any{
		"defaults": map[string]any{"headers": map[string]any{"Authorization": stranger.authorization()}},
		"requests": []any{map[string]any{"path": "/buckets/b/collections/priv/records/r1", "headers": map[string]any{"Authorization": alice}}},
	})
	if st := r.body["responses"].([]any)[0].(map[string]any)["status"]; st != float64(200) {
		t.Errorf("defaults overriding the subrequest's Authorization: status %v, want 200", st)
	}
	// The refused subrequests changed nothing.
	if got := k.principals(member); !strings.Contains(strings.Join(got, " "), groupG) {
		t.Errorf("member principals after hostile batches: %v", got)
	}
	rec := k.must(200, owner, "GET", "/buckets/b/collections/priv/records/r1", nil)
	if rec.data()["title"] != "secret priv" {
		t.Errorf("record after hostile batches: %s", rec)
	}
}

func TestUnknownPermissionWithNullValueRefused(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	if r := k.do(owner, "PUT", "/buckets/nulls", `{}`); r.status != 201 {
		t.Fatalf("PUT bucket: %v", r)
	}
	r := k.do(owner, "PATCH", "/buckets/nulls", `{"permissions":{"foo":null}}`)
	if r.status != 400 || r.errno() != 107 {
		t.Fatalf("PATCH with an unknown permission set to null: %v, want 400/107", r)
	}
	if r := k.do(owner, "PATCH", "/buckets/nulls", `{"permissions":{"read":null}}`); r.status != 200 {
		t.Fatalf("PATCH with a known permission set to null: %v, want 200", r)
	}
}

// TestRightsCheckedBeforeBodies: as Kinto, callers without rights learn
// nothing from body validation: they get 401/403 whatever they send.
func TestRightsCheckedBeforeBodies(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	if r := k.do(owner, "PUT", "/buckets/guarded", `{}`); r.status != 201 {
		t.Fatalf("PUT bucket: %v", r)
	}
	cases := []struct {
		who           user
		method, path  string
		body          string
		status, errno int
	}{
		{anonymous, "PUT", "/buckets/guarded", `{"data":`, 401, 104},
		{stranger, "PUT", "/buckets/guarded", `{"data":`, 403, 121},
		{stranger, "PATCH", "/buckets/guarded", `[1, 2]`, 403, 121},
		{stranger, "PUT", "/buckets/guarded/collections/c", `{"permissions":"x"}`, 403, 121},
		{anonymous, "PATCH", "/buckets/guarded/groups/missing", `{"data":{"members":[1]}}`, 401, 104},
		// The owner does get the validation error.
		{owner, "PUT", "/buckets/guarded", `{"data":`, 400, 107},
	}
	for _, c := range cases {
		r := k.do(c.who, c.method, c.path, c.body)
		if r.status != c.status || r.errno() != c.errno {
			t.Errorf("%s %s %s as %s: %v, want %d/%d", c.method, c.path, c.body, c.who.name, r, c.status, c.errno)
		}
	}
}

// TestRightsCheckedBeforePostBodies: POST on a list answers 401/403 before
// validating the body, as PUT and PATCH do.
func TestRightsCheckedBeforePostBodies(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.do(owner, "PUT", "/buckets/p", `{}`)
	k.do(owner, "PUT", "/buckets/p/collections/c", `{}`)
	cases := []struct {
		who           user
		body          string
		status, errno int
	}{
		{anonymous, `{"data":5}`, 401, 104},
		{stranger, `{"data":5}`, 403, 121},
		{stranger, `{"foo":1}`, 403, 121},
		{stranger, `not json`, 403, 121},
		{owner, `{"data":5}`, 400, 107},
	}
	for _, c := range cases {
		r := k.do(c.who, "POST", "/buckets/p/collections/c/records", c.body)
		if r.status != c.status || r.errno() != c.errno {
			t.Errorf("POST %s as %s: %v, want %d/%d", c.body, c.who.name, r, c.status, c.errno)
		}
	}
	// POSTing the id of an existing record asks to read it: a reader gets
	// it back, a stranger 403.
	r := k.do(owner, "POST", "/buckets/p/collections/c/records", `{"data":{"id":"r1","x":1}}`)
	if r.status != 201 {
		t.Fatalf("POST r1: %v", r)
	}
	if r := k.do(stranger, "POST", "/buckets/p/collections/c/records", `{"data":{"id":"r1"}}`); r.status != 403 {
		t.Errorf("POST an existing id as a stranger: %v, want 403", r)
	}
}
