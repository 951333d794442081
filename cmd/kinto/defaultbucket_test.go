package main

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestDefaultBucketRouting: the alias is resolved before routing, so the
// adapter's trailing-slash redirect and 404 judge the personal bucket's
// path, preflights are answered without credentials and create nothing,
// and the version-prefix redirect keeps the alias for the next request.
func TestDefaultBucketRouting(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	hello := k.must(200, owner, "GET", "/", nil)
	userBlock, _ := hello.body["user"].(map[string]any)
	bid, _ := userBlock["bucket"].(string)
	if bid == "" {
		t.Fatalf("hello user block %v has no bucket", userBlock)
	}

	r := k.do(anonymous, "OPTIONS", "/buckets/default", nil,
		"Origin", "http://app.test", "Access-Control-Request-Method", "GET")
	if r.status != 200 {
		t.Errorf("preflight of /buckets/default: %s, want 200", r)
	}
	if r := k.do(owner, "GET", "/buckets/"+bid, nil); r.status != 403 {
		t.Errorf("GET own bucket before any use of the alias: %s, want 403 (not created yet)", r)
	}

	r = k.do(owner, "GET", "/buckets/default/", nil)
	if loc := r.header.Get("Location"); r.status != 307 || !strings.HasSuffix(loc, "/v1/buckets/"+bid) {
		t.Errorf("GET /buckets/default/: %d Location %q, want 307 to /v1/buckets/%s", r.status, loc, bid)
	}
	k.must(200, owner, "GET", "/buckets/"+bid, nil) // created on the way
	if r := k.do(owner, "GET", "/buckets/default/unknown", nil); r.status != 404 || r.errno() != 111 {
		t.Errorf("GET /buckets/default/unknown: %s, want 404/111", r)
	}

	rec := httptest.NewRecorder()
	k.h.ServeHTTP(rec, httptest.NewRequest("GET", "http://kinto.test/buckets/default", nil))
	if loc := rec.Header().Get("Location"); rec.Code != 307 || loc != "http://kinto.test/v1/buckets/default" {
		t.Errorf("GET /buckets/default without prefix: %d Location %q, want 307 to /v1/buckets/default", rec.Code, loc)
	}
}

// TestDefaultBucketOff: without the plugin, "default" is a bucket id like
// any other, hello names no personal bucket and there is no capability.
func TestDefaultBucketOff(t *testing.T) {
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.flush"})
	k := newKintoServer(t, s, src)
	hello := k.must(200, owner, "GET", "/", nil)
	userBlock, _ := hello.body["user"].(map[string]any)
	if _, has := userBlock["bucket"]; has {
		t.Errorf("hello user block %v names a bucket", userBlock)
	}
	caps, _ := hello.body["capabilities"].(map[string]any)
	if _, has := caps["default_bucket"]; has {
		t.Errorf("capabilities %v list default_bucket", caps)
	}
	if r := k.must(201, owner, "PUT", "/buckets/default", nil); r.data()["id"] != "default" {
		t.Errorf("PUT /buckets/default: %s, want a bucket named default", r)
	}
}
