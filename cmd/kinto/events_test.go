package main

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
)

// TestRedisListenerMessages drives a known sequence of writes and checks
// the payloads kinto_redis.listeners pushes onto its Redis list, in order:
// one per event, a batch's events grouped per resource and action, reads
// and filtered-out resources absent.
func TestRedisListenerMessages(t *testing.T) {
	url := os.Getenv("CLIQUET_TEST_REDIS_URL")
	if url == "" {
		t.Skip("CLIQUET_TEST_REDIS_URL not set")
	}
	conn, err := redigo.DialURL(url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err) // set but unreachable: fail
	}
	defer conn.Close()
	const list = "cliquet-test.events"
	if _, err := conn.Do("DEL", list); err != nil {
		t.Fatal(err)
	}
	s, src := testSettings(t, map[string]string{
		"event_listeners":                 "redis",
		"event_listeners.redis.use":       wire.RedisListener,
		"event_listeners.redis.url":       url,
		"event_listeners.redis.listname":  list,
		"event_listeners.redis.resources": "bucket record",
	})
	k := newKintoServer(t, s, src)
	uid := k.userID(owner)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil) // filtered out
	rec := k.must(http.StatusCreated, owner, "POST", "/buckets/b/collections/c/records", map[string]any{"data": map[string]any{"n": 1}})
	rid := rec.body["data"].(map[string]any)["id"].(string)
	k.must(http.StatusOK, owner, "GET", "/buckets/b/collections/c/records/"+rid, nil) // a read: not asked for
	k.batch(owner,
		map[string]any{"method": "PUT", "path": "/buckets/b/collections/c/records/r1", "body": map[string]any{"data": map[string]any{}}},
		map[string]any{"method": "PUT", "path": "/buckets/b/collections/c/records/r2", "body": map[string]any{"data": map[string]any{}}},
		map[string]any{"method": "PUT", "path": "/buckets/b/collections/missing/records/r3", "body": map[string]any{"data": map[string]any{}}},
	)
	k.must(http.StatusOK, owner, "DELETE", "/buckets/b/collections/c/records/"+rid, nil)

	raw, err := redigo.Strings(conn.Do("LRANGE", list, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"action": "create", "resource_name": "bucket", "uri": "/buckets/b", "bucket_id": "b", "user_id": uid},
		{"action": "create", "resource_name": "record", "uri": "/buckets/b/collections/c/records", "bucket_id": "b", "collection_id": "c", "user_id": uid},
		// The batch's two creates are one event, with the first's payload.
		{"action": "create", "resource_name": "record", "uri": "/buckets/b/collections/c/records/r1", "bucket_id": "b", "collection_id": "c", "record_id": "r1", "user_id": uid},
		{"action": "delete", "resource_name": "record", "uri": "/buckets/b/collections/c/records/" + rid, "bucket_id": "b", "collection_id": "c", "record_id": rid, "user_id": uid},
	}
	if len(raw) != len(want) {
		t.Fatalf("%d messages, want %d: %v", len(raw), len(want), raw)
	}
	for i, w := range want {
		var got map[string]any
		if err := json.Unmarshal([]byte(raw[len(raw)-1-i]), &got); err != nil { // LPUSH: newest first
			t.Fatalf("message %d: %v", i, err)
		}
		if ts, _ := got["timestamp"].(float64); ts <= 0 {
			t.Fatalf("message %d: timestamp %v", i, got["timestamp"])
		}
		delete(got, "timestamp")
		if len(got) != len(w) {
			t.Fatalf("message %d = %v, want %v", i, got, w)
		}
		for key, v := range w {
			if got[key] != v {
				t.Fatalf("message %d: %s = %v, want %v (%v)", i, key, got[key], v, got)
			}
		}
	}
}

// A listener that this version does not build still warns; a built one
// does not.
func TestBuiltListenerDoesNotWarn(t *testing.T) {
	_, src := testSettings(t, map[string]string{
		"event_listeners":           "redis other",
		"event_listeners.redis.use": wire.RedisListener,
		"event_listeners.other.use": "kinto_elasticsearch.listener",
	})
	s, _ := testSettings(t, map[string]string{"event_listeners": "redis other"})
	var listeners []string
	for _, w := range wire.NotBuilt(&s.Core, src) {
		if w.Setting == "event_listeners" {
			listeners = append(listeners, w.Message)
		}
	}
	if len(listeners) != 1 {
		t.Fatalf("warnings %v, want one for the listener not built", listeners)
	}
}
