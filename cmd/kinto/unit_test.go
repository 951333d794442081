package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestBatchWithServerFailureAppliesNothing: a batch is one unit of work; a
// subrequest answering 5xx fails the whole batch and undoes the writes of
// the subrequests before it. A malformed version file makes __version__
// the failing subrequest (a missing one is served from the build
// information).
func TestBatchWithServerFailureAppliesNothing(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "version.json")
	if err := os.WriteFile(bad, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, src := testSettings(t, map[string]string{"version_json_path": bad})
	k := newKintoServer(t, s, src)
	r := k.do(owner, "POST", "/batch", map[string]any{"requests": []map[string]any{
		{"method": "PUT", "path": "/buckets/b1"},
		{"method": "PUT", "path": "/buckets/b1/collections/c"},
		{"method": "PUT", "path": "/buckets/b1/collections/c/records/r", "body": map[string]any{"data": map[string]any{"x": 1}}},
		{"method": "GET", "path": "/__version__"},
	}})
	if r.status != http.StatusInternalServerError {
		t.Fatalf("batch with a failing subrequest = %s, want its 500", r)
	}
	// Nothing of the batch remains: the bucket is created anew.
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b1", nil)
	k.must(http.StatusNotFound, owner, "GET", "/buckets/b1/collections/c", nil)
}

// TestBatchClientErrorsUndoOnlyTheirSubrequest: 4xx subrequests are
// recorded, the batch goes on, and the other writes commit.
func TestBatchClientErrorsUndoOnlyTheirSubrequest(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	resp := k.batch(owner,
		map[string]any{"method": "PUT", "path": "/buckets/b2"},
		map[string]any{"method": "PUT", "path": "/buckets/b2/collections/bad", "body": map[string]any{"data": map[string]any{"schema": "not a schema"}, "permissions": map[string]any{"bogus": []string{"x"}}}},
		map[string]any{"method": "PUT", "path": "/buckets/b2/collections/good"},
	)
	if resp[0].status != 201 || resp[1].status != 400 || resp[2].status != 201 {
		t.Fatalf("batch statuses = %d %d %d, want 201 400 201", resp[0].status, resp[1].status, resp[2].status)
	}
	k.must(http.StatusOK, owner, "GET", "/buckets/b2/collections/good", nil)
	k.must(http.StatusNotFound, owner, "GET", "/buckets/b2/collections/bad", nil)
}

// TestConcurrentIfMatchLosesNoUpdate runs 16 read-modify-write clients with
// If-Match (PATCH and PUT, retrying on 412) against one record, and 16
// clients PATCHing distinct fields, and counts what was acknowledged
// against what was stored.
func TestConcurrentIfMatchLosesNoUpdate(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c/records/r", map[string]any{"data": map[string]any{"n": 0}})
	const path = "/v1/buckets/b/collections/c/records/r"
	send := func(method, etag string, body any) (int, map[string]any, string) {
		enc, _ := json.Marshal(body)
		req := httptest.NewRequest(method, "http://kinto.test"+path, bytes.NewReader(enc))
		req.Header.Set("Authorization", owner.authorization())
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if etag != "" {
			req.Header.Set("If-Match", etag)
		}
		rec := httptest.NewRecorder()
		k.h.ServeHTTP(rec, req)
		var out struct {
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out.Data, rec.Header().Get("ETag")
	}
	const clients, each = 16, 20
	var acked atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for attempt := 0; ; attempt++ {
					if attempt > 200 {
						errs <- fmt.Errorf("client %d: still 412 after 200 tries", c)
						return
					}
					code, data, etag := send("GET", "", nil)
					if code != 200 {
						errs <- fmt.Errorf("client %d: GET = %d", c, code)
						return
					}
					n, _ := data["n"].(float64)
					method, body := "PATCH", map[string]any{"data": map[string]any{"n": n + 1}}
					if c%2 == 1 {
						method = "PUT"
						fields := map[string]any{}
						for f, v := range data {
							if f != "id" && f != "last_modified" {
								fields[f] = v
							}
						}
						fields["n"] = n + 1
						body = map[string]any{"data": fields}
					}
					code, _, _ = send(method, etag, body)
					if code == http.StatusPreconditionFailed {
						continue
					}
					if code != 200 {
						errs <- fmt.Errorf("client %d: %s = %d", c, method, code)
						return
					}
					acked.Add(1)
					break
				}
			}
		}()
	}
	var fields atomic.Int64
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				code, _, _ := send("PATCH", "", map[string]any{"data": map[string]any{fmt.Sprintf("f%d_%d", c, j): j}})
				if code != 200 {
					errs <- fmt.Errorf("field client %d: PATCH = %d", c, code)
					return
				}
				fields.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, data, _ := send("GET", "", nil)
	if n, _ := data["n"].(float64); int64(n) != acked.Load() {
		t.Errorf("counter = %v after %d acknowledged If-Match writes: %d lost", n, acked.Load(), acked.Load()-int64(n))
	}
	kept := 0
	for c := range clients {
		for j := range 10 {
			if _, ok := data[fmt.Sprintf("f%d_%d", c, j)]; ok {
				kept++
			}
		}
	}
	if int64(kept) != fields.Load() {
		t.Errorf("%d of %d acknowledged field PATCHes kept", kept, fields.Load())
	}
}

// TestBatchSubrequestsSeeMembershipChanges: a batch reads each caller's
// principals once, but a subrequest that changes group memberships makes
// the next ones read them again.
func TestBatchSubrequestsSeeMembershipChanges(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/gb", nil)
	me := k.userID(owner)
	const group = "/buckets/gb/groups/g"
	hasGroup := func(r batchResponse) bool {
		user, _ := r.body["user"].(map[string]any)
		list, _ := user["principals"].([]any)
		for _, p := range list {
			if p == group {
				return true
			}
		}
		return false
	}
	resp := k.batch(owner,
		map[string]any{"method": "GET", "path": "/"},
		map[string]any{"method": "PUT", "path": "/buckets/gb/groups/g", "body": map[string]any{"data": map[string]any{"members": []string{me}}}},
		map[string]any{"method": "GET", "path": "/"},
		map[string]any{"method": "GET", "path": "/"},
		map[string]any{"method": "DELETE", "path": "/buckets/gb/groups/g"},
		map[string]any{"method": "GET", "path": "/"},
	)
	for i, want := range []bool{false, false, true, true, false, false} {
		if i == 1 || i == 4 {
			if resp[i].status >= 300 {
				t.Fatalf("subrequest %d = %d %v", i, resp[i].status, resp[i].raw)
			}
			continue
		}
		if got := hasGroup(resp[i]); got != want {
			t.Errorf("subrequest %d: principals hold %s = %v, want %v (%v)", i, group, got, want, resp[i].raw)
		}
	}
}
