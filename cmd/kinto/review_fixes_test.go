package main

import (
	"strings"
	"testing"
)

// TestCreateOnlyCallerCannotReadThrough412: a caller allowed only to
// create records gets a 412 for an existing id without seeing the object.
func TestCreateOnlyCallerCannotReadThrough412(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.do(owner, "PUT", "/buckets/b", `{}`)
	k.do(owner, "PUT", "/buckets/b/collections/c", `{"permissions":{"record:create":["system.Authenticated"]}}`)
	if r := k.do(owner, "PUT", "/buckets/b/collections/c/records/secret", `{"data":{"ssn":"123-45"}}`); r.status != 201 {
		t.Fatalf("PUT secret: %v", r)
	}
	r := k.do(stranger, "PUT", "/buckets/b/collections/c/records/secret", `{"data":{}}`, "If-None-Match", "*")
	if r.status != 412 || strings.Contains(string(r.raw), "123-45") || r.body["details"] != nil {
		t.Fatalf("create-only PUT on an existing id: %v, want 412 without details", r)
	}
	// The owner, who may read it, gets the existing object as usual.
	r = k.do(owner, "PUT", "/buckets/b/collections/c/records/secret", `{"data":{}}`, "If-None-Match", "*")
	if r.status != 412 || !strings.Contains(string(r.raw), "123-45") {
		t.Fatalf("owner's create-only PUT on an existing id: %v, want 412 with details.existing", r)
	}
}

func TestJSONPatchCopyBombRefused(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.do(owner, "PUT", "/buckets/b", `{}`)
	k.do(owner, "PUT", "/buckets/b/collections/c", `{}`)
	k.do(owner, "PUT", "/buckets/b/collections/c/records/bomb", `{"data":{"a":["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]}}`)
	ops := strings.Repeat(`{"op":"copy","from":"/data/a","path":"/data/a/0"},`, 30)
	r := k.do(owner, "PATCH", "/buckets/b/collections/c/records/bomb", "["+strings.TrimSuffix(ops, ",")+"]",
		"Content-Type", "Application/JSON-Patch+JSON")
	if r.status != 400 || r.errno() != 107 {
		t.Fatalf("JSON-Patch doubling the object 30 times: %v, want 400/107", r)
	}
}

func TestRecordFieldsNamedSchemaAndDeletedKept(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.do(owner, "PUT", "/buckets/b", `{}`)
	k.do(owner, "PUT", "/buckets/b/collections/c", `{}`)
	r := k.do(owner, "PUT", "/buckets/b/collections/c/records/r1", `{"data":{"schema":"v2","deleted":false,"title":"x"}}`)
	if d := r.data(); r.status != 201 || d["schema"] != "v2" || d["deleted"] != false {
		t.Fatalf("PUT with schema and deleted fields: %v, want both kept", r)
	}
	r = k.do(owner, "PATCH", "/buckets/b/collections/c/records/r1", `{"data":{"title":"y"}}`)
	if d := r.data(); r.status != 200 || d["schema"] != "v2" || d["deleted"] != false || d["title"] != "y" {
		t.Fatalf("PATCH: %v, want schema and deleted kept", r)
	}
}

func TestReadOnlyDefaultBucketWritesNothing(t *testing.T) {
	s, src := testSettings(t, map[string]string{"readonly": "true"})
	k := newKintoServer(t, s, src)
	r := k.do(owner, "GET", "/buckets/default/collections/tasks/records", nil)
	if r.status != 405 || r.errno() != 115 {
		t.Fatalf("GET under /buckets/default when readonly: %v, want 405/115", r)
	}
}

func TestDefaultBucketRenamesDataID(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	r := k.do(owner, "PUT", "/buckets/default", `{"data":{"id":"default","x":1}}`)
	if r.status != 201 || r.data()["id"] == "default" || r.data()["x"] == nil {
		t.Fatalf("PUT /buckets/default with data.id default: %v, want 201 with the real id", r)
	}
}

func TestRecordCacheExpiresSettings(t *testing.T) {
	s, src := testSettings(t, map[string]string{
		"record_cache_expires_seconds":           "10",
		"blog_record_cache_expires_seconds":      "20",
		"blog_news_record_cache_expires_seconds": "30",
	})
	k := newKintoServer(t, s, src)
	k.do(owner, "PUT", "/buckets/blog", `{"permissions":{"read":["system.Everyone"]}}`)
	k.do(owner, "PUT", "/buckets/other", `{"permissions":{"read":["system.Everyone"]}}`)
	for _, c := range []struct{ path, want string }{
		{"/buckets/blog/collections/news", "max-age=30"},
		{"/buckets/blog/collections/misc", "max-age=20"},
		{"/buckets/other/collections/misc", "max-age=10"},
	} {
		k.do(owner, "PUT", c.path, `{}`)
		r := k.do(anonymous, "GET", c.path+"/records", nil)
		if got := r.header.Get("Cache-Control"); r.status != 200 || got != c.want {
			t.Errorf("anonymous GET %s/records: %d Cache-Control %q, want %q", c.path, r.status, got, c.want)
		}
	}
	k.do(owner, "PATCH", "/buckets/blog/collections/news", `{"data":{"cache_expires":5}}`)
	if r := k.do(anonymous, "GET", "/buckets/blog/collections/news/records", nil); r.header.Get("Cache-Control") != "max-age=5" {
		t.Errorf("collection cache_expires: Cache-Control %q, want max-age=5 (the collection's own value wins)", r.header.Get("Cache-Control"))
	}
}

// TestPermissionsStampSettingsGrants: a bucket-level *_principals setting
// shows in /permissions on every existing bucket.
func TestPermissionsStampSettingsGrants(t *testing.T) {
	s, src := testSettings(t, nil)
	strangerID := newKintoServer(t, s, src).userID(stranger)
	s, src = testSettings(t, map[string]string{"bucket_read_principals": strangerID})
	k := newKintoServer(t, s, src)
	k.do(owner, "PUT", "/buckets/one", `{}`)
	k.do(owner, "PUT", "/buckets/two", `{}`)
	r := k.do(stranger, "GET", "/permissions", nil)
	seen := map[string]string{}
	for _, e := range r.body["data"].([]any) {
		m := e.(map[string]any)
		var perms []string
		for _, p := range m["permissions"].([]any) {
			perms = append(perms, p.(string))
		}
		seen[m["uri"].(string)] = strings.Join(perms, " ")
	}
	for _, uri := range []string{"/buckets/one", "/buckets/two"} {
		if seen[uri] != "read read:attributes" {
			t.Errorf("/permissions as the settings reader: %s = %q, want \"read read:attributes\" (all: %v)", uri, seen[uri], seen)
		}
	}
}
