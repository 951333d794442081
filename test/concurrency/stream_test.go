package concurrency_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// streamEvent is one event of a change stream.
type streamEvent struct {
	id     int64
	action string
	record string
}

// openStream reads the change stream at url as c's user, from lastID
// (0: from now), sending each event on the returned channel until ctx
// ends or the server closes the stream (a "close" event is an error).
func openStream(ctx context.Context, t *testing.T, c *client, url string, lastID int64) (<-chan streamEvent, <-chan error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(c.user, c.password)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	// No client timeout: the stream lasts; ctx bounds it.
	resp, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events, errs := make(chan streamEvent, 2048), make(chan error, 1)
	go func() {
		defer resp.Body.Close()
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev streamEvent
		var kind, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if kind == "close" {
					errs <- fmt.Errorf("stream closed by the server: %s", data)
					return
				}
				if data != "" {
					var body struct {
						Action string `json:"action"`
						Data   struct {
							ID string `json:"id"`
						} `json:"data"`
					}
					if err := json.Unmarshal([]byte(data), &body); err != nil {
						errs <- fmt.Errorf("event data %q: %w", data, err)
						return
					}
					ev.action, ev.record = body.Action, body.Data.ID
					events <- ev
				}
				ev, kind, data = streamEvent{}, "", ""
			case strings.HasPrefix(line, ":"): // heartbeat comment
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(strings.TrimPrefix(line, "id: "), 10, 64)
			case strings.HasPrefix(line, "event: "):
				kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data += strings.TrimPrefix(line, "data: ")
			}
		}
		if err := sc.Err(); err != nil && ctx.Err() == nil {
			errs <- err
		}
	}()
	return events, errs
}

// collect reads n events, failing on a stream error or at ctx's end.
func collect(ctx context.Context, t *testing.T, events <-chan streamEvent, errs <-chan error, n int) []streamEvent {
	t.Helper()
	var got []streamEvent
	for len(got) < n {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended after %d of %d events", len(got), n)
			}
			got = append(got, ev)
		case err := <-errs:
			t.Fatalf("stream failed after %d of %d events: %v", len(got), n, err)
		case <-ctx.Done():
			t.Fatalf("got %d of %d events before the deadline", len(got), n)
		}
	}
	return got
}

// TestChangeStreamTwoProcessesPostgres writes 1,000 records through one
// server while a client follows the collection's change stream on
// another (fed by LISTEN/NOTIFY): every change arrives once, in timestamp
// order; reconnecting with Last-Event-ID gets exactly what came after; a
// stranger gets 403.
func TestChangeStreamTwoProcessesPostgres(t *testing.T) {
	base := os.Getenv(urlVar)
	if base == "" {
		t.Skipf("%s not set: the two-process change stream case is skipped", urlVar)
	}
	dbURL := freshDatabase(t, base)
	settings := map[string]string{
		"KINTO_STORAGE_BACKEND": "postgresql", "KINTO_STORAGE_URL": dbURL,
		"KINTO_PERMISSION_BACKEND": "postgresql", "KINTO_PERMISSION_URL": dbURL,
		"KINTO_STORAGE_POOL_SIZE": "12", "KINTO_STORAGE_MAX_OVERFLOW": "0",
		"KINTO_CHANGES_BUFFER": "4096",
	}
	for k, v := range baseSettings {
		settings[k] = v
	}
	runMigrate(t, settings)
	streamAcrossProcesses(t, settings)
}

// TestChangeStreamTwoProcessesRedis is the same on Redis storage and
// permissions, with its own redis-server: the stream on node B is fed by
// Redis pub/sub.
func TestChangeStreamTwoProcessesRedis(t *testing.T) {
	bin := redisServerBinary(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	startRedis(t, bin, t.TempDir(), port)
	redisURL := fmt.Sprintf("redis://127.0.0.1:%d/3", port)
	settings := map[string]string{
		"KINTO_STORAGE_BACKEND": "redis", "KINTO_STORAGE_URL": redisURL,
		"KINTO_PERMISSION_BACKEND": "redis", "KINTO_PERMISSION_URL": redisURL,
		"KINTO_STORAGE_POOL_SIZE": "12", "KINTO_STORAGE_MAX_OVERFLOW": "0",
		"KINTO_CHANGES_BUFFER": "4096",
	}
	for k, v := range baseSettings {
		settings[k] = v
	}
	streamAcrossProcesses(t, settings)
}

// streamAcrossProcesses runs two servers on settings' shared storage and
// checks the change stream of node B against 1,000 writes through node A.
func streamAcrossProcesses(t *testing.T, settings map[string]string) {
	t.Helper()
	a, b := startServer(t, settings), startServer(t, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	alice := newClient("alice", "pw")
	for _, path := range []string{"/v1/buckets/s", "/v1/buckets/s/collections/c"} {
		if r, err := alice.do(ctx, http.MethodPut, a.origin+path, nil); err != nil || r.status != http.StatusCreated {
			t.Fatalf("PUT %s: %v %v %s", path, err, r.status, r.body)
		}
	}
	stream := b.origin + "/v1/buckets/s/collections/c/changes"
	if r, err := newClient("mallory", "pw").do(ctx, http.MethodGet, stream, nil); err != nil || r.status != http.StatusForbidden {
		t.Errorf("a stranger's stream: %v %d %s, want 403", err, r.status, r.body)
	}
	events, errs := openStream(ctx, t, alice, stream, 0)

	const writers, each = 4, 250
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%03d", w, i)
				r, err := alice.do(ctx, http.MethodPut, a.origin+"/v1/buckets/s/collections/c/records/"+id, map[string]any{"data": map[string]any{"i": i}})
				if err != nil || r.status != http.StatusCreated {
					t.Errorf("PUT %s: %v %d %s", id, err, r.status, r.body)
					return
				}
				mu.Lock()
				acked[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(acked) != writers*each {
		t.Fatalf("%d writes acknowledged, want %d", len(acked), writers*each)
	}

	got := collect(ctx, t, events, errs, writers*each)
	seen := map[string]bool{}
	for i, ev := range got {
		if i > 0 && ev.id <= got[i-1].id {
			t.Fatalf("event %d (%s at %d) not after event %d (at %d)", i, ev.record, ev.id, i-1, got[i-1].id)
		}
		if seen[ev.record] || !acked[ev.record] || ev.action != "create" {
			t.Fatalf("event %d: %+v: a duplicate, an unacknowledged record or not a create", i, ev)
		}
		seen[ev.record] = true
	}

	// Reconnecting from the 500th event gets the 500 after it, replayed.
	again, againErrs := openStream(ctx, t, alice, stream, got[499].id)
	tail := collect(ctx, t, again, againErrs, 500)
	for i, ev := range tail {
		if ev.record != got[500+i].record || ev.id != got[500+i].id {
			t.Fatalf("replayed event %d = %+v, want %+v", i, ev, got[500+i])
		}
	}
}

// TestChangeStreamEndsAtShutdown stops a server while a client follows a
// change stream: the stream ends with its close event naming the shutdown
// and the process exits at once, not after shutdown_timeout_seconds.
func TestChangeStreamEndsAtShutdown(t *testing.T) {
	const grace = 30 * time.Second
	settings := map[string]string{"KINTO_STORAGE_BACKEND": "memory", "KINTO_PERMISSION_BACKEND": "memory",
		"KINTO_SHUTDOWN_TIMEOUT_SECONDS": strconv.Itoa(int(grace / time.Second))}
	for k, v := range baseSettings {
		settings[k] = v
	}
	s := startServer(t, settings)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	alice := newClient("alice", "pw")
	for _, path := range []string{"/v1/buckets/s", "/v1/buckets/s/collections/c"} {
		alice.must(t, http.MethodPut, s.origin+path, nil)
	}
	events, errs := openStream(ctx, t, alice, s.origin+"/v1/buckets/s/collections/c/changes", 0)
	alice.must(t, http.MethodPut, s.origin+"/v1/buckets/s/collections/c/records/r1", map[string]any{"data": map[string]any{}})
	if got := collect(ctx, t, events, errs, 1); got[0].record != "r1" {
		t.Fatalf("first event %+v, want r1", got[0])
	}

	start := time.Now()
	if err := s.proc.Signal(terminateSignal()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if err == nil || !strings.Contains(err.Error(), "shutting down") {
			t.Errorf("stream ended with %v, want a close event naming the shutdown", err)
		}
	case ev, ok := <-events:
		t.Fatalf("after SIGTERM: event %+v (open %v), want the close event", ev, ok)
	case <-time.After(10 * time.Second):
		t.Fatal("the stream still open 10s after SIGTERM")
	}
	select {
	case <-s.exited:
		if took := time.Since(start); took > grace/3 {
			t.Errorf("the process took %v to exit, want well within shutdown_timeout_seconds (%v)", took, grace)
		}
	case <-time.After(grace / 3):
		t.Fatalf("the process still running %v after SIGTERM (shutdown_timeout_seconds %v):\n%s", grace/3, grace, s.logs)
	}
}
