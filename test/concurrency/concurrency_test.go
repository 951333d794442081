// Package concurrency_test runs the kinto binary and hammers one record
// with concurrent writers, counting the writes the servers acknowledged
// against what they stored: a write answered 2xx and then lost is a bug.
//
// The memory case (one process) always runs. The PostgreSQL case runs two
// processes on one database when CLIQUET_TEST_POSTGRES_URL is set; it
// creates a database of its own on that server and drops it afterwards.
// A URL that is set but unreachable fails the test.
package concurrency_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the driver the service runs on
)

const urlVar = "CLIQUET_TEST_POSTGRES_URL"

// The workload's shape: 16 read-modify-write clients incrementing one
// counter, 16 clients patching distinct fields of one record.
const (
	counterClients    = 16
	incrementsPerClnt = 25
	fieldClients      = 16
	patchesPerClient  = 50
	// maxAttemptsPerClnt bounds the 412 retries of one counter client; with
	// 16 contenders each success costs about 16 attempts.
	maxAttemptsPerClnt = 4000
)

var baseSettings = map[string]string{
	"KINTO_MULTIAUTH_POLICIES": "basicauth",
	"KINTO_USERID_HMAC_SECRET": "concurrency-test-secret",
	"KINTO_CACHE_BACKEND":      "memory",
}

func TestConcurrentWritesMemoryOneProcess(t *testing.T) {
	settings := map[string]string{"KINTO_STORAGE_BACKEND": "memory", "KINTO_PERMISSION_BACKEND": "memory"}
	for k, v := range baseSettings {
		settings[k] = v
	}
	s := startServer(t, settings)
	runWorkloads(t, []*server{s})
}

func TestConcurrentWritesPostgresTwoProcesses(t *testing.T) {
	base := os.Getenv(urlVar)
	if base == "" {
		t.Skipf("%s not set: the two-process PostgreSQL case is skipped (example: %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable')", urlVar, urlVar)
	}
	dbURL := freshDatabase(t, base)
	settings := map[string]string{
		"KINTO_STORAGE_BACKEND":    "postgresql",
		"KINTO_STORAGE_URL":        dbURL,
		"KINTO_PERMISSION_BACKEND": "postgresql",
		"KINTO_PERMISSION_URL":     dbURL,
		// Enough connections for every client of one process, and no more:
		// the database server is shared.
		"KINTO_STORAGE_POOL_SIZE":    "16",
		"KINTO_STORAGE_MAX_OVERFLOW": "0",
	}
	for k, v := range baseSettings {
		settings[k] = v
	}
	runMigrate(t, settings)
	a := startServer(t, settings)
	b := startServer(t, settings)
	runWorkloads(t, []*server{a, b})
}

// freshDatabase creates a database on the server of base, dropped at
// cleanup, and returns base with its database name replaced.
func freshDatabase(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q (%v)", urlVar, base, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
	defer cancel()
	admin, err := sqlx.ConnectContext(ctx, "postgres", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", urlVar, err) // set but unreachable: fail, never skip
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		admin.Close()
		t.Fatalf("random database name: %v", err)
	}
	name := "concurrency_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	// Registered before the servers start, so it runs after they stop.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// runWorkloads creates a bucket and a collection through the first server
// and runs both workloads against servers, round robin.
func runWorkloads(t *testing.T, servers []*server) {
	c := newClient("alice", "s3cret")
	// Runs before the servers stop (cleanups run last-in first-out): a
	// connection dialed but never used counts as busy for Go's graceful
	// shutdown during its first 5 s, which would delay every stop.
	t.Cleanup(c.http.CloseIdleConnections)
	first := servers[0].origin + "/v1"
	c.must(t, http.MethodPut, first+"/buckets/b", nil)
	c.must(t, http.MethodPut, first+"/buckets/b/collections/c", nil)
	t.Run("if-match counter", func(t *testing.T) { counterWorkload(t, c, servers) })
	t.Run("distinct fields", func(t *testing.T) { fieldsWorkload(t, c, servers) })
	if t.Failed() {
		for i, s := range servers {
			t.Logf("server %d (%s) output:\n%s", i, s.origin, s.logs)
		}
	}
}

// recordURL is the URL of record id on server i modulo the servers.
func recordURL(servers []*server, i int, id string) string {
	return servers[i%len(servers)].origin + "/v1/buckets/b/collections/c/records/" + id
}

// errorList gathers the failures of concurrent clients.
type errorList struct {
	mu   sync.Mutex
	errs []string
}

func (e *errorList) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) < 50 {
		e.errs = append(e.errs, fmt.Sprintf(format, args...))
	}
}

func (e *errorList) report(t *testing.T) {
	t.Helper()
	for _, s := range e.errs {
		t.Error(s)
	}
}

// recordData decodes {"data": {...}} into a map.
func recordData(body []byte) (map[string]any, error) {
	var env struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("decode %q: %w", body, err)
	}
	if env.Data == nil {
		return nil, fmt.Errorf("no data in %q", body)
	}
	return env.Data, nil
}

// intField reads data[name] as an integer.
func intField(data map[string]any, name string) (int64, bool) {
	f, ok := data[name].(float64)
	if !ok || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// counterWorkload: counterClients clients each increment field n of one
// record incrementsPerClnt times by reading it (ETag) from one server and
// writing n+1 with If-Match to the other; even clients PATCH, odd ones
// PUT. A 412 means someone else won: read again. Every acknowledged write
// must be in the final count, and no two acknowledged writes may have
// written the same value (that would be two increments counted as one).
func counterWorkload(t *testing.T, c *client, servers []*server) {
	c.must(t, http.MethodPut, recordURL(servers, 0, "counter"), map[string]any{"data": map[string]any{"n": 0}})

	ctx, cancel := context.WithTimeout(context.Background(), workloadTimeout)
	defer cancel()
	var (
		errs      errorList
		mu        sync.Mutex
		acked     int
		conflicts int
		written   = map[int64]int{} // value -> clients acknowledged writing it
		wg        sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < counterClients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			method := http.MethodPatch
			if i%2 == 1 {
				method = http.MethodPut
			}
			done := 0
			for attempt := 0; done < incrementsPerClnt; attempt++ {
				if attempt >= maxAttemptsPerClnt {
					errs.add("client %d (%s): %d increments after %d attempts; gave up", i, method, done, attempt)
					return
				}
				if ctx.Err() != nil {
					errs.add("client %d (%s): %d increments when the workload timed out after %s", i, method, done, workloadTimeout)
					return
				}
				read, err := c.do(ctx, http.MethodGet, recordURL(servers, i+attempt, "counter"), nil)
				if err != nil || read.status != http.StatusOK || read.etag == "" {
					errs.add("client %d: GET counter: %v status %d etag %q body %s", i, err, read.status, read.etag, read.body)
					return
				}
				data, err := recordData(read.body)
				if err != nil {
					errs.add("client %d: GET counter: %v", i, err)
					return
				}
				n, ok := intField(data, "n")
				if !ok {
					errs.add("client %d: GET counter: n is not an integer in %s", i, read.body)
					return
				}
				w, err := c.do(ctx, method, recordURL(servers, i+attempt+1, "counter"),
					map[string]any{"data": map[string]any{"n": n + 1}}, "If-Match", read.etag)
				switch {
				case err != nil:
					errs.add("client %d: %s counter: %v", i, method, err)
					return
				case w.status == http.StatusPreconditionFailed:
					mu.Lock()
					conflicts++
					mu.Unlock()
					// A little jitter keeps 16 clients from retrying in lockstep.
					time.Sleep(time.Duration(mrand.IntN(2000)) * time.Microsecond)
					continue
				case w.status/100 != 2:
					errs.add("client %d: %s counter with If-Match %s: %d %s", i, method, read.etag, w.status, w.body)
					return
				}
				done++
				mu.Lock()
				acked++
				written[n+1]++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	errs.report(t)

	final := c.must(t, http.MethodGet, recordURL(servers, 0, "counter"), nil)
	data, err := recordData(final.body)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := intField(data, "n")
	var dups []string
	for v, k := range written {
		if k > 1 {
			dups = append(dups, fmt.Sprintf("%d (x%d)", v, k))
		}
	}
	sort.Strings(dups)
	if len(dups) > 20 {
		dups = append(dups[:20], fmt.Sprintf("and %d more", len(dups)-20))
	}
	t.Logf("counter on %d process(es): %d writes acknowledged, %d stored, %d retried on 412, %s",
		len(distinct(servers)), acked, stored, conflicts, time.Since(start).Round(time.Millisecond))
	if want := counterClients * incrementsPerClnt; acked != want && !t.Failed() {
		t.Errorf("acknowledged %d increments, want %d", acked, want)
	}
	if stored != int64(acked) {
		t.Errorf("LOST UPDATES: counter is %d but %d increments were acknowledged (%d lost)", stored, acked, int64(acked)-stored)
	}
	if len(dups) > 0 {
		t.Errorf("LOST UPDATES: several acknowledged writes stored the same value: %s", strings.Join(dups, ", "))
	}
}

// fieldsWorkload: fieldClients clients each PATCH their own field of one
// record (field_i = j, j = 1..patchesPerClient), without preconditions,
// alternating servers. Every PATCH must succeed, and in the end every
// field must hold its client's last value: a PATCH that merged into a
// stale copy would have erased the others' fields.
func fieldsWorkload(t *testing.T, c *client, servers []*server) {
	c.must(t, http.MethodPut, recordURL(servers, 0, "fields"), map[string]any{"data": map[string]any{}})

	ctx, cancel := context.WithTimeout(context.Background(), workloadTimeout)
	defer cancel()
	var (
		errs  errorList
		mu    sync.Mutex
		acked = make([]int, fieldClients)
		last  = make([]int, fieldClients) // last acknowledged value per field
		wg    sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < fieldClients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			field := fmt.Sprintf("field_%d", i)
			for j := 1; j <= patchesPerClient; j++ {
				w, err := c.do(ctx, http.MethodPatch, recordURL(servers, i+j, "fields"),
					map[string]any{"data": map[string]any{field: j}})
				if err != nil {
					errs.add("client %d: PATCH %s=%d: %v", i, field, j, err)
					return
				}
				if w.status/100 != 2 {
					errs.add("client %d: PATCH %s=%d: %d %s", i, field, j, w.status, w.body)
					return
				}
				data, err := recordData(w.body)
				if err != nil {
					errs.add("client %d: PATCH %s=%d: %v", i, field, j, err)
					return
				}
				if got, _ := intField(data, field); got != int64(j) {
					errs.add("client %d: PATCH %s=%d answered %s=%v", i, field, j, field, data[field])
				}
				mu.Lock()
				acked[i]++
				last[i] = j
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	errs.report(t)

	final := c.must(t, http.MethodGet, recordURL(servers, 0, "fields"), nil)
	data, err := recordData(final.body)
	if err != nil {
		t.Fatal(err)
	}
	total, kept := 0, 0
	for i := 0; i < fieldClients; i++ {
		total += acked[i]
		field := fmt.Sprintf("field_%d", i)
		got, ok := intField(data, field)
		if ok && got == int64(last[i]) {
			kept++
			continue
		}
		t.Errorf("LOST UPDATE: %s is %v, but PATCH %s=%d was acknowledged", field, data[field], field, last[i])
	}
	t.Logf("fields on %d process(es): %d PATCHes acknowledged, %d/%d fields kept their last value, %s",
		len(distinct(servers)), total, kept, fieldClients, time.Since(start).Round(time.Millisecond))
	if want := fieldClients * patchesPerClient; total != want && !t.Failed() {
		t.Errorf("acknowledged %d PATCHes, want %d", total, want)
	}
}

// distinct returns the distinct processes among servers.
func distinct(servers []*server) map[string]bool {
	m := map[string]bool{}
	for _, s := range servers {
		m[s.origin] = true
	}
	return m
}
