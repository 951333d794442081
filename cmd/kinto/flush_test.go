package main

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

func TestFlushEndpoint(t *testing.T) {
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.default_bucket kinto.plugins.flush"})
	h, b := newHandler(t, s, src)
	k := &kintoServer{t: t, h: h, ids: map[string]string{}}
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}})
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{k.userID(member)}}})
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c/records/r", nil)
	k.must(http.StatusOK, owner, "DELETE", "/buckets/b/collections/c/records/r", nil)
	ctx := context.Background()
	if err := b.Cache.Set(ctx, "some-key", []byte(`"v"`), time.Hour); err != nil {
		t.Fatal(err)
	}
	hello := k.must(http.StatusOK, anonymous, "GET", "/", nil)
	if caps, _ := hello.body["capabilities"].(map[string]any); caps["flush_endpoint"] == nil {
		t.Errorf("hello capabilities %v, want flush_endpoint", hello.body["capabilities"])
	}

	r := k.must(http.StatusAccepted, anonymous, "POST", "/__flush__", nil)
	if string(r.raw) != "{}\n" && string(r.raw) != "{}" {
		t.Errorf("POST /__flush__ body %q, want {}", r.raw)
	}
	// Storage: nothing is left, tombstones included.
	if list := k.must(http.StatusOK, owner, "GET", "/buckets", nil); len(list.body["data"].([]any)) != 0 {
		t.Errorf("GET /buckets after flush = %s, want no bucket", list.raw)
	}
	for _, p := range []string{"/buckets/b", "/buckets/b/collections/c/records?_since=0"} {
		if r := k.do(owner, "GET", p, nil); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
			t.Errorf("GET %s after flush = %d, want it gone", p, r.status)
		}
	}
	// Permissions: the group membership went with the ACLs.
	if ps := k.principals(member); contains(ps, "/buckets/b/groups/g") {
		t.Errorf("member's principals after flush = %v, want no group", ps)
	}
	// Cache.
	if _, ok, err := b.Cache.Get(ctx, "some-key"); err != nil || ok {
		t.Errorf("cache Get after flush = %v, %v; want the key gone", ok, err)
	}
	// The server works as new.
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusMethodNotAllowed, anonymous, "GET", "/__flush__", nil)
}

func TestFlushEndpointAbsentByDefault(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.must(http.StatusNotFound, anonymous, "POST", "/__flush__", nil)
	hello := k.must(http.StatusOK, anonymous, "GET", "/", nil)
	if caps, _ := hello.body["capabilities"].(map[string]any); caps["flush_endpoint"] != nil {
		t.Errorf("hello capabilities %v, want no flush_endpoint", caps)
	}
}

func TestFlushPluginIsBuilt(t *testing.T) {
	s, _ := testSettings(t, map[string]string{"includes": "kinto.plugins.flush"})
	log, hook := test.NewNullLogger()
	log.SetOutput(io.Discard)
	if err := checkIncludes(s, logrus.FieldLogger(log)); err != nil {
		t.Fatalf("checkIncludes: %v", err)
	}
	if len(hook.AllEntries()) != 0 {
		t.Errorf("includes kinto.plugins.flush warned %q, want no warning", hook.LastEntry().Message)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
