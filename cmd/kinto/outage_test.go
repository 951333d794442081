package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/proxytest"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// The outage tests serve kinto in-process with every networked backend
// behind a proxytest.Proxy, then cut it (the server is down: connections
// reset, new ones refused) and freeze it (it hangs: nothing forwarded),
// each time checking what a client sees, that the service recovers by
// itself once the backend is back, and that no goroutine is left behind.

// outageTimeouts are the bounds each networked backend gets in these
// tests: short, so that an outage answers within a few seconds.
func outageTimeouts(kinds ...string) map[string]string {
	env := map[string]string{"KINTO_HEARTBEAT_TIMEOUT_SECONDS": "1", "KINTO_RETRY_AFTER_SECONDS": "7"}
	for _, k := range kinds {
		env["KINTO_"+k+"_STATEMENT_TIMEOUT_MS"] = "300"
		env["KINTO_"+k+"_CONNECT_TIMEOUT_SECONDS"] = "1"
		env["KINTO_"+k+"_POOL_TIMEOUT"] = "1"
	}
	return env
}

// outageClient opens a connection per request, so that neither it nor the
// server keeps idle connections (and their goroutines) between requests.
var outageClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

type outageAnswer struct {
	status     int
	retryAfter string
	body       map[string]any
	raw        string
}

func (a outageAnswer) errno() int { n, _ := a.body["errno"].(float64); return int(n) }

func outageDo(t *testing.T, method, u, creds string, body any) outageAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		enc, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user, pass, ok := strings.Cut(creds, ":"); ok {
		req.SetBasicAuth(user, pass)
	}
	resp, err := outageClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := outageAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

// liveGoroutines lists the stacks of the process's goroutines, leaving out
// the proxy's (one pair per connection the pools hold, which is not a
// leak) and this one.
func liveGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 || strings.Contains(g, "internal/proxytest.") {
			continue // i == 0 is the caller
		}
		out = append(out, g)
	}
	return out
}

// waitGoroutines waits up to 15 s for the goroutines other than the
// proxy's to be at most want, and fails listing the extra ones otherwise.
func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		gs := liveGoroutines()
		if len(gs) <= want {
			return
		}
		if time.Now().After(deadline) {
			sort.Strings(gs)
			t.Fatalf("%d goroutines 15s after recovery, want at most %d as before the outage:\n%s",
				len(gs), want, strings.Join(gs, "\n\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// outageCase is one set of backends, with the proxy in front of the
// networked ones and the heartbeat checks they answer.
type outageCase struct {
	env    map[string]string
	proxy  *proxytest.Proxy
	checks []string // heartbeat entries that must turn false
}

// runOutage starts the service on c, signs alice up, then for a cut and a
// freeze of the proxy checks that a read and a write answer 503 errno 201
// with Retry-After within a bound, that __heartbeat__ answers 503 with
// c.checks false, and that once the proxy is restored the service answers
// 200 again and goes back to the goroutines it had before the outage.
func runOutage(t *testing.T, c outageCase, migrate bool) {
	runnertest.CleanEnv(t, command())
	env := map[string]string{
		"KINTO_MULTIAUTH_POLICIES":        "account",
		"KINTO_ACCOUNT_CREATE_PRINCIPALS": "system.Everyone",
		"KINTO_BUCKET_CREATE_PRINCIPALS":  "system.Authenticated",
		"KINTO_ACCOUNT_BCRYPT_COST":       "4",
		"KINTO_USERID_HMAC_SECRET":        "outage",
		"KINTO_ACCOUNT_CACHE_TTL_SECONDS": "3600",
		"KINTO_INCLUDES":                  "kinto.plugins.accounts",
		"KINTO_STORAGE_BACKEND":           "memory",
		"KINTO_PERMISSION_BACKEND":        "memory",
		"KINTO_CACHE_BACKEND":             "memory",
	}
	for k, v := range c.env {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	if migrate {
		if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != runner.ExitOK {
			t.Fatalf("migrate: exit %d, %s %s", code, out, errOut)
		}
	}
	srv := runnertest.Start(t, command())
	const creds = "alice:secret"
	if a := outageDo(t, http.MethodPut, srv.Base+"/v1/accounts/alice", "", map[string]any{"data": map[string]any{"password": "secret"}}); a.status != http.StatusCreated {
		t.Fatalf("PUT /accounts/alice: %d %s, want 201", a.status, a.raw)
	}
	bucket := srv.Base + "/v1/buckets/b"
	if a := outageDo(t, http.MethodPut, bucket, creds, nil); a.status != http.StatusCreated {
		t.Fatalf("PUT bucket: %d %s, want 201", a.status, a.raw)
	}
	heartbeat := func() outageAnswer { return outageDo(t, http.MethodGet, srv.Base+"/v1/__heartbeat__", "", nil) }
	if a := heartbeat(); a.status != http.StatusOK {
		t.Fatalf("__heartbeat__ before the outage: %d %s, want 200", a.status, a.raw)
	}
	time.Sleep(200 * time.Millisecond) // let the requests' goroutines end
	before := len(liveGoroutines())

	// The waits end at the statement timeout (300ms) plus the connect
	// timeout (1s), or the pool timeout (1s); slack for a loaded machine.
	const bound = 5 * time.Second
	for _, mode := range []struct {
		name         string
		break_, mend func()
	}{
		// The cut comes first: a freeze can deliver a unit's lock request
		// to Redis after the client gave up on it, which then holds the
		// store for the lock's lease (see README).
		{"cut", c.proxy.Cut, c.proxy.Restore},
		{"freeze", c.proxy.Freeze, c.proxy.Thaw},
	} {
		mode.break_()
		for _, req := range []struct {
			what, method, url string
			body              any
		}{
			{"GET bucket", http.MethodGet, bucket, nil},
			{"PUT record", http.MethodPut, bucket + "/collections/c/records/r", map[string]any{"data": map[string]any{"n": 1}}},
		} {
			start := time.Now()
			a := outageDo(t, req.method, req.url, creds, req.body)
			elapsed := time.Since(start)
			if a.status != http.StatusServiceUnavailable || a.errno() != 201 || a.retryAfter != "7" {
				t.Errorf("%s: %s: %d errno %d Retry-After %q (%s), want 503 errno 201 Retry-After 7",
					mode.name, req.what, a.status, a.errno(), a.retryAfter, a.raw)
			}
			if elapsed > bound {
				t.Errorf("%s: %s answered after %v, want within %v", mode.name, req.what, elapsed, bound)
			}
		}
		start := time.Now()
		a := heartbeat()
		if elapsed := time.Since(start); elapsed > bound {
			t.Errorf("%s: __heartbeat__ answered after %v, want within %v", mode.name, elapsed, bound)
		}
		if a.status != http.StatusServiceUnavailable {
			t.Errorf("%s: __heartbeat__: %d %s, want 503", mode.name, a.status, a.raw)
		}
		for _, check := range c.checks {
			if a.body[check] != false {
				t.Errorf("%s: __heartbeat__ %s = %v (%s), want false", mode.name, check, a.body[check], a.raw)
			}
		}

		if a := outageDo(t, http.MethodGet, srv.Base+"/v1/__lbheartbeat__", "", nil); a.status != http.StatusOK {
			t.Errorf("%s: __lbheartbeat__: %d %s, want 200", mode.name, a.status, a.raw)
		}

		mode.mend()
		// Recovery without restart: the pools drop the broken connections
		// and open new ones. A Redis unit lock delivered late after a
		// freeze holds the store for its 15 s lease, hence the wait.
		deadline := time.Now().Add(30 * time.Second)
		for {
			a := outageDo(t, http.MethodPut, bucket+"/collections/c", creds, nil)
			if a.status == http.StatusOK || a.status == http.StatusCreated {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: PUT collection 30s after the backend came back: %d %s, want 200 or 201", mode.name, a.status, a.raw)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if a := outageDo(t, http.MethodGet, bucket, creds, nil); a.status != http.StatusOK {
			t.Errorf("%s: GET bucket after recovery: %d %s, want 200", mode.name, a.status, a.raw)
		}
		if a := heartbeat(); a.status != http.StatusOK {
			t.Errorf("%s: __heartbeat__ after recovery: %d %s, want 200", mode.name, a.status, a.raw)
		}
		waitGoroutines(t, before)
	}
}

// TestPostgresOutage: storage, permission and cache on PostgreSQL.
func TestPostgresOutage(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: PostgreSQL outage skipped")
	}
	dsn := runnertest.FreshPostgresSchema(t, base)
	proxy := proxytest.New(t, hostPort(t, dsn, "5432"))
	u := proxy.URL(t, dsn)
	env := outageTimeouts("STORAGE", "PERMISSION", "CACHE")
	for _, k := range []string{"STORAGE", "PERMISSION", "CACHE"} {
		env["KINTO_"+k+"_BACKEND"] = "postgresql"
		env["KINTO_"+k+"_URL"] = u
	}
	runOutage(t, outageCase{env: env, proxy: proxy, checks: []string{"storage", "permission", "cache"}}, true)
}

// TestPostgresCacheOutage: memory storage and permissions, the cache on
// PostgreSQL; account logins need the cache.
func TestPostgresCacheOutage(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: PostgreSQL cache outage skipped")
	}
	dsn := runnertest.FreshPostgresSchema(t, base)
	proxy := proxytest.New(t, hostPort(t, dsn, "5432"))
	env := outageTimeouts("CACHE")
	env["KINTO_CACHE_BACKEND"] = "postgresql"
	env["KINTO_CACHE_URL"] = proxy.URL(t, dsn)
	runOutage(t, outageCase{env: env, proxy: proxy, checks: []string{"cache"}}, true)
}

// TestRedisOutage: storage, permission and cache on Redis.
func TestRedisOutage(t *testing.T) {
	base := redisTestURL(t)
	proxy := proxytest.New(t, hostPort(t, base, "6379"))
	u := proxy.URL(t, base)
	env := outageTimeouts("STORAGE", "PERMISSION", "CACHE")
	for _, k := range []string{"STORAGE", "PERMISSION", "CACHE"} {
		env["KINTO_"+k+"_BACKEND"] = "redis"
		env["KINTO_"+k+"_URL"] = u
	}
	prefix := fmt.Sprintf("cliquet-test-outage-%d:", time.Now().UnixNano())
	env["KINTO_CACHE_PREFIX"] = prefix
	// The storage and permission prefixes are fixed: the test's database
	// must hold nothing else under them.
	deleteRedisKeys(t, base, "storage:*", "permission:*", "unit:*")
	t.Cleanup(func() { deleteRedisKeys(t, base, "storage:*", "permission:*", "unit:*", prefix+"*") })
	runOutage(t, outageCase{env: env, proxy: proxy, checks: []string{"storage", "permission", "cache"}}, false)
}

// TestRedisCacheOutage: memory storage and permissions, the cache on Redis.
func TestRedisCacheOutage(t *testing.T) {
	base := redisTestURL(t)
	proxy := proxytest.New(t, hostPort(t, base, "6379"))
	prefix := fmt.Sprintf("cliquet-test-outage-%d:", time.Now().UnixNano())
	env := outageTimeouts("CACHE")
	env["KINTO_CACHE_BACKEND"] = "redis"
	env["KINTO_CACHE_URL"] = proxy.URL(t, base)
	env["KINTO_CACHE_PREFIX"] = prefix
	t.Cleanup(func() { deleteRedisKeys(t, base, prefix+"*") })
	runOutage(t, outageCase{env: env, proxy: proxy, checks: []string{"cache"}}, false)
}

func redisTestURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("CLIQUET_TEST_REDIS_URL")
	if u == "" {
		t.Skip("CLIQUET_TEST_REDIS_URL not set: Redis outage skipped")
	}
	return u
}

// hostPort is the host:port of a postgres:// or redis:// URL.
func hostPort(t *testing.T, raw, defaultPort string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("%q is not a URL with a host", raw)
	}
	if u.Port() == "" {
		return u.Host + ":" + defaultPort
	}
	return u.Host
}

// deleteRedisKeys deletes the keys matching the patterns in the Redis
// database of raw; an unreachable server fails the test.
func deleteRedisKeys(t *testing.T, raw string, patterns ...string) {
	t.Helper()
	c, err := redigo.DialURL(raw, redigo.DialConnectTimeout(5*time.Second),
		redigo.DialReadTimeout(5*time.Second), redigo.DialWriteTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect to %s: %v", raw, err)
	}
	defer c.Close()
	for _, pattern := range patterns {
		cursor := "0"
		for {
			values, err := redigo.Values(c.Do("SCAN", cursor, "MATCH", pattern, "COUNT", 1000))
			if err != nil {
				t.Fatalf("SCAN %s: %v", pattern, err)
			}
			cursor, _ = redigo.String(values[0], nil)
			keys, _ := redigo.Values(values[1], nil)
			if len(keys) > 0 {
				if _, err := c.Do("DEL", keys...); err != nil {
					t.Fatalf("DEL %s: %v", pattern, err)
				}
			}
			if cursor == "0" {
				break
			}
		}
	}
}
