package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

const changesPath = "/v1/buckets/b/collections/c/changes"

// changesEnv is a bucket, collection and record tree on memory with the
// change stream of records, served by a real HTTP server so that streams
// stream.
type changesEnv struct {
	*env
	ts *httptest.Server
}

func newChangesEnv(t *testing.T, opts httpadapter.ChangesOptions) *changesEnv {
	t.Helper()
	e := newEnv(t, withAuth(auth.NewBasic("secret")))
	store := memory.NewStore(domain.SystemClock{})
	engine, tree := newRecordTree(store)
	hub := ports.NewChangeHub()
	bus := app.NewBus(store, nil).AfterCommit(ports.Filtered{L: app.FeedPublisher(hub), Resources: []string{"record"}})
	engine.WithUnits(bus)
	for _, res := range tree {
		e.srv.MountResource(engine, res)
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = time.Minute
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.Buffer == 0 {
		opts.Buffer = 100
	}
	if opts.NoticeWait == 0 {
		opts.NoticeWait = time.Second
	}
	e.srv.MountChanges(engine, tree[2], hub, opts)
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	ce := &changesEnv{env: e, ts: ts}
	ce.must(t, "PUT", "/v1/buckets/b", `{}`, aliceAuth)
	ce.must(t, "PUT", "/v1/buckets/b/collections/c", `{}`, aliceAuth)
	return ce
}

// newRecordTree declares buckets, collections in buckets and records in
// collections on the engine it returns, in mounting order. Any
// authenticated user may create a bucket, and writers are granted write on
// what they create.
func newRecordTree(store *memory.Store) (*app.Engine, []*app.Resource) {
	guard := app.NewGuard(store.Permission(), map[string][]string{"bucket_create_principals": {"system.Authenticated"}}, true)
	engine := app.NewEngine(store.Storage(), guard)
	bucket := &app.Resource{Name: "bucket", Plural: "buckets", IDVar: "bid", IDs: app.NameGenerator{}, Cascade: true,
		Permissions: []string{"read", "write", "collection:create"}}
	collection := &app.Resource{Name: "collection", Plural: "collections", IDVar: "cid", Parent: bucket, IDs: app.NameGenerator{}, Cascade: true,
		Permissions: []string{"read", "write", "record:create"}}
	record := &app.Resource{Name: "record", Plural: "records", IDVar: "rid", Parent: collection, IDs: app.RelaxedUUID4{},
		ParentBeforeAuth: true, Permissions: []string{"read", "write"}}
	return engine, []*app.Resource{bucket, collection, record}
}

// must sends a request to the live server and fails unless it succeeds.
func (ce *changesEnv) must(t *testing.T, method, path, body, authz string) map[string]any {
	t.Helper()
	r, _ := http.NewRequest(method, ce.ts.URL+path, strings.NewReader(body))
	r.Header.Set("Authorization", authz)
	r.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
	}
	return out
}

// sseEvent is one event read off a stream.
type sseEvent struct {
	id, event string
	data      map[string]any
}

// stream is an open change stream.
type stream struct {
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

func (ce *changesEnv) open(t *testing.T, query string, headers ...string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, _ := http.NewRequestWithContext(ctx, "GET", ce.ts.URL+changesPath+query, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		cancel()
		t.Fatalf("GET changes: %v", err)
	}
	s := &stream{resp: resp, events: make(chan sseEvent, 10000), cancel: cancel}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return s
	}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.data != nil {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &ev.data)
			}
		}
	}()
	return s
}

// next returns the next event, failing after a few seconds.
func (s *stream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return sseEvent{}
}

// quiet checks that no event comes for a short while.
func (s *stream) quiet(t *testing.T) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func recordOf(t *testing.T, ev sseEvent) (id string, ts int64) {
	t.Helper()
	d, _ := ev.data["data"].(map[string]any)
	id, _ = d["id"].(string)
	lm, _ := d["last_modified"].(float64)
	if ev.id != strconv.FormatInt(int64(lm), 10) {
		t.Fatalf("event id %q, want the record's last_modified %v", ev.id, int64(lm))
	}
	return id, int64(lm)
}

func TestChangesStreamsInOrderExactlyOnce(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{})
	s := ce.open(t, "", "Authorization", aliceAuth)
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("GET changes: %d, want 200", s.resp.StatusCode)
	}
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q, want text/event-stream", ct)
	}
	const writers, each = 4, 25
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ce.must(t, "PUT", fmt.Sprintf("/v1/buckets/b/collections/c/records/r%d-%d", w, i), `{"data":{"n":1}}`, aliceAuth)
			}
		}()
	}
	wg.Wait()
	ce.must(t, "PATCH", "/v1/buckets/b/collections/c/records/r0-0", `{"data":{"n":2}}`, aliceAuth)
	ce.must(t, "DELETE", "/v1/buckets/b/collections/c/records/r0-1", "", aliceAuth)
	seen := map[string]bool{}
	var last int64
	for i := 0; i < writers*each; i++ {
		ev := s.next(t)
		id, ts := recordOf(t, ev)
		if ts <= last {
			t.Fatalf("event %d: timestamp %d after %d: out of order", i, ts, last)
		}
		last = ts
		if seen[id] {
			t.Fatalf("record %s sent twice", id)
		}
		seen[id] = true
		if ev.data["action"] != "create" {
			t.Errorf("%s: action %v, want create", id, ev.data["action"])
		}
	}
	if ev := s.next(t); ev.data["action"] != "update" {
		t.Errorf("after PATCH: %v, want update", ev.data)
	}
	ev := s.next(t)
	d, _ := ev.data["data"].(map[string]any)
	if ev.data["action"] != "delete" || d["deleted"] != true || d["id"] != "r0-1" {
		t.Errorf("after DELETE: %v, want the tombstone of r0-1", ev.data)
	}
	s.quiet(t)
}

func TestChangesResumeWithLastEventID(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{})
	var stamps []int64
	for i := 0; i < 5; i++ {
		body := ce.must(t, "PUT", fmt.Sprintf("/v1/buckets/b/collections/c/records/r%d", i), `{"data":{}}`, aliceAuth)
		d, _ := body["data"].(map[string]any)
		stamps = append(stamps, int64(d["last_modified"].(float64)))
	}
	ce.must(t, "DELETE", "/v1/buckets/b/collections/c/records/r0", "", aliceAuth)
	// Resuming after r1: r2, r3, r4 and r0's tombstone, then the live r5.
	for _, how := range [][]string{{"Last-Event-ID", strconv.FormatInt(stamps[1], 10)}, {"_since", strconv.FormatInt(stamps[1], 10)}} {
		query, headers := "", []string{"Authorization", aliceAuth}
		if how[0] == "_since" {
			query = "?_since=" + how[1]
		} else {
			headers = append(headers, how...)
		}
		s := ce.open(t, query, headers...)
		var got []string
		for i := 0; i < 4; i++ {
			id, _ := recordOf(t, s.next(t))
			got = append(got, id)
		}
		if strings.Join(got, ",") != "r2,r3,r4,r0" {
			t.Fatalf("%s: replayed %v, want r2,r3,r4,r0", how[0], got)
		}
		s.quiet(t)
		s.cancel()
	}
	s := ce.open(t, "", "Authorization", aliceAuth, "Last-Event-ID", strconv.FormatInt(stamps[4], 10))
	if id, _ := recordOf(t, s.next(t)); id != "r0" {
		t.Fatalf("resumed after r4: %s, want r0's tombstone", id)
	}
	ce.must(t, "PUT", "/v1/buckets/b/collections/c/records/r5", `{"data":{}}`, aliceAuth)
	if id, _ := recordOf(t, s.next(t)); id != "r5" {
		t.Fatalf("live: %s, want r5", id)
	}
	s.quiet(t)
}

func TestChangesRefusesOutsiders(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{})
	ce.must(t, "PUT", "/v1/buckets/b/collections/c/records/r1", `{"data":{}}`, aliceAuth)
	cases := []struct {
		name    string
		headers []string
		status  int
	}{
		{"anonymous", nil, http.StatusUnauthorized},
		{"bob", []string{"Authorization", bobAuth}, http.StatusForbidden},
		{"bad Last-Event-ID", []string{"Authorization", aliceAuth, "Last-Event-ID", "abc"}, http.StatusBadRequest},
	}
	for _, c := range cases {
		s := ce.open(t, "?_since=0", c.headers...)
		if s.resp.StatusCode != c.status {
			t.Errorf("%s: %d, want %d", c.name, s.resp.StatusCode, c.status)
		}
		if ct := s.resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q, want a JSON error", c.name, ct)
		}
	}
	// Bob may read one record only: the stream shows the whole list.
	ce.must(t, "PATCH", "/v1/buckets/b/collections/c/records/r1", `{"permissions":{"read":["system.Authenticated"]}}`, aliceAuth)
	if s := ce.open(t, "?_since=0", "Authorization", bobAuth); s.resp.StatusCode != http.StatusForbidden {
		t.Errorf("bob, reader of one record: %d, want 403", s.resp.StatusCode)
	}
	ce.must(t, "PATCH", "/v1/buckets/b/collections/c", `{"permissions":{"read":["system.Authenticated"]}}`, aliceAuth)
	s := ce.open(t, "?_since=0", "Authorization", bobAuth)
	if s.resp.StatusCode != http.StatusOK {
		t.Fatalf("bob, reader of the collection: %d, want 200", s.resp.StatusCode)
	}
	if id, _ := recordOf(t, s.next(t)); id != "r1" {
		t.Errorf("bob got %s, want r1", id)
	}
}

func TestChangesInOpenAPI(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{})
	body := decode(t, ce.do("GET", "/v1/__api__", ""))
	paths, _ := body["paths"].(map[string]any)
	item, _ := paths["/buckets/{bid}/collections/{cid}/changes"].(map[string]any)
	if item["get"] == nil {
		t.Fatalf("__api__ paths %v: no GET /buckets/{bid}/collections/{cid}/changes", paths)
	}
	if paths["/__heartbeat__"] == nil {
		t.Error("__api__ lost the utility paths")
	}
}

func TestChangesMissingCollection(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{})
	r, _ := http.NewRequest("GET", ce.ts.URL+"/v1/buckets/b/collections/nope/changes", nil)
	r.Header.Set("Authorization", aliceAuth)
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing collection: %d, want 404", resp.StatusCode)
	}
}

func TestChangesClosesSlowClient(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{Buffer: 1})
	// A client that reads nothing: once the socket buffers fill, the
	// stream's writes block, its notices pile up, and it is closed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, _ := http.NewRequestWithContext(ctx, "GET", ce.ts.URL+changesPath, nil)
	r.Header.Set("Authorization", aliceAuth)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET changes: %v %v", resp, err)
	}
	defer resp.Body.Close()
	big := `{"data":{"pad":"` + strings.Repeat("x", 64<<10) + `"}}`
	start := time.Now()
	for i := 0; i < 200; i++ {
		ce.must(t, "PUT", fmt.Sprintf("/v1/buckets/b/collections/c/records/r%d", i), big, aliceAuth)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("writers took %v next to a stuck stream", d)
	}
	// Now read it all: the stream ends with a close event naming why.
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var lastEvent, lastData string
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "event: ") {
			lastEvent = line[7:]
		}
		if strings.HasPrefix(line, "data: ") {
			lastData = line[6:]
		}
	}
	if lastEvent != "close" || !strings.Contains(lastData, "too slow") {
		t.Fatalf("stream ended with event %q data %.100q, want a close event saying the client was too slow", lastEvent, lastData)
	}
}
