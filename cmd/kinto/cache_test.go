package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// TestPasswordChangeSeenByEveryNode starts two nodes on one PostgreSQL
// storage and one shared cache (PostgreSQL, and Redis when
// CLIQUET_TEST_REDIS_URL is set): after bob's password changes through one
// node, the other refuses the old password at once, although it had just
// remembered it for account_cache_ttl_seconds.
func TestPasswordChangeSeenByEveryNode(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: kinto nodes sharing a cache skipped")
	}
	caches := map[string]string{"postgresql": ""}
	if u := os.Getenv("CLIQUET_TEST_REDIS_URL"); u != "" {
		caches["redis"] = u
	}
	for backend, cacheURL := range caches {
		t.Run(backend, func(t *testing.T) {
			dsn := runnertest.FreshPostgresSchema(t, base)
			if cacheURL == "" {
				cacheURL = dsn
			}
			var rnd [6]byte
			if _, err := rand.Read(rnd[:]); err != nil {
				t.Fatal(err)
			}
			prefix := "cliquet-test-kinto-" + hex.EncodeToString(rnd[:]) + ":"
			if backend == "redis" { // the schema of a PostgreSQL cache is dropped; Redis keys are not
				t.Cleanup(func() { flushRedis(t, cacheURL, prefix) })
			}
			runnertest.CleanEnv(t, command())
			for k, v := range map[string]string{
				"KINTO_STORAGE_BACKEND":           "postgresql",
				"KINTO_STORAGE_URL":               dsn,
				"KINTO_PERMISSION_BACKEND":        "postgresql",
				"KINTO_PERMISSION_URL":            dsn,
				"KINTO_CACHE_BACKEND":             backend,
				"KINTO_CACHE_URL":                 cacheURL,
				"KINTO_CACHE_PREFIX":              prefix,
				"KINTO_USERID_HMAC_SECRET":        "shared by the nodes",
				"KINTO_MULTIAUTH_POLICIES":        "account",
				"KINTO_ACCOUNT_CREATE_PRINCIPALS": "system.Everyone",
				"KINTO_ACCOUNT_BCRYPT_COST":       "4",
				"KINTO_ACCOUNT_CACHE_TTL_SECONDS": "3600",
			} {
				t.Setenv(k, v)
			}
			if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != runner.ExitOK {
				t.Fatalf("migrate: exit %d, %s %s", code, out, errOut)
			}
			nodeA, nodeB := runnertest.Start(t, command()), runnertest.Start(t, command())
			wantStatus(t, "PUT /accounts/bob", acctDo(t, nodeA, http.MethodPut, "/accounts/bob", "",
				map[string]any{"data": map[string]any{"password": "old"}}), http.StatusCreated, 0)
			for _, node := range []*runnertest.Server{nodeA, nodeB} {
				if got := acctUserID(t, node, "bob:old"); got != "account:bob" {
					t.Fatalf("GET /v1/ as bob:old: user %q, want account:bob", got)
				}
			}
			wantStatus(t, "PUT /accounts/bob on node B", acctDo(t, nodeB, http.MethodPut, "/accounts/bob", "bob:old",
				map[string]any{"data": map[string]any{"password": "new"}}), http.StatusOK, 0)
			if got := acctUserID(t, nodeA, "bob:old"); got != "" {
				t.Errorf("node A after the change on node B: bob:old is %q, want refused", got)
			}
			if got := acctUserID(t, nodeA, "bob:new"); got != "account:bob" {
				t.Errorf("node A after the change on node B: bob:new is %q, want account:bob", got)
			}
			// The heartbeat checks the real cache.
			if code, body := runnertest.GetJSON(t, nodeA.Base+"/v1/__heartbeat__"); code != http.StatusOK || body["cache"] != true {
				t.Errorf("__heartbeat__ = %d %v, want 200 with cache true", code, body)
			}
		})
	}
}

// flushRedis deletes the keys under prefix on the Redis server at url.
func flushRedis(t *testing.T, url, prefix string) {
	pool, err := redis.NewPool(redis.PoolOptions{URL: url, PoolTimeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Errorf("flush %s: %v", prefix, err)
		return
	}
	defer pool.Close()
	if err := redis.NewCache(pool, prefix).Flush(context.Background()); err != nil {
		t.Errorf("flush %s: %v", prefix, err)
	}
}
