package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

// urlVar names the Redis server the tests run against. Unset, the tests
// that need a server skip; set but unreachable, they fail.
const urlVar = "CLIQUET_TEST_REDIS_URL"

// newPool returns a pool on the test server, closed at cleanup, after
// checking the server answers.
func newPool(t *testing.T) *redis.Pool {
	t.Helper()
	u := os.Getenv(urlVar)
	if u == "" {
		t.Skipf("%s not set: Redis adapter tests skipped (example: %s=redis://127.0.0.1:6379/5)", urlVar, urlVar)
	}
	p, err := redis.NewPool(redis.PoolOptions{URL: u, Size: 4, Overflow: 4, PoolTimeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("NewPool(%s): %v", urlVar, err)
	}
	t.Cleanup(func() { p.Close() })
	if err := redis.NewCache(p, "").Healthy(context.Background()); err != nil {
		t.Fatalf("ping %s: %v", urlVar, err) // set but unreachable: fail, never skip
	}
	return p
}

// runPrefix returns a prefix no other run uses, whose keys are deleted at
// cleanup: the tests share the server's database with other runs, so they
// touch only their own keys.
func runPrefix(t *testing.T, p *redis.Pool) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "cliquet-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		if err := redis.NewCache(p, prefix).Flush(context.Background()); err != nil {
			t.Errorf("flush %s: %v", prefix, err)
		}
	})
	return prefix
}

func TestCacheContract(t *testing.T) {
	p := newPool(t)
	run := runPrefix(t, p)
	portstest.RunCache(t, func(t *testing.T, prefix string) ports.Cache {
		return redis.NewCache(p, run+t.Name()+"/"+prefix)
	})
}

// TestCacheUnreachable: a server that cannot be reached makes every call
// Unavailable within the connect timeout.
func TestCacheUnreachable(t *testing.T) {
	newPool(t) // only with a server configured, as the other Redis tests
	p, err := redis.NewPool(redis.PoolOptions{URL: "redis://127.0.0.1:1/0", PoolTimeout: time.Second,
		ConnectTimeout: time.Second, CommandTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := redis.NewCache(p, "x:")
	start := time.Now()
	err = c.Set(context.Background(), "k", []byte(`1`), time.Minute)
	if domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Set on an unreachable server = %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}
	if err := c.Healthy(context.Background()); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Healthy on an unreachable server = %v, want Unavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("unreachable server answered after %v, want within the timeouts", d)
	}
}

// TestCachePoolTimeout: when every connection is busy, a call waits the
// pool timeout and then fails Unavailable.
func TestCachePoolTimeout(t *testing.T) {
	prefix := runPrefix(t, newPool(t))
	p, err := redis.NewPool(redis.PoolOptions{URL: os.Getenv(urlVar), Size: 1, PoolTimeout: 200 * time.Millisecond,
		ConnectTimeout: time.Second, CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	release := redis.HoldConn(t, p)
	defer release()
	start := time.Now()
	err = redis.NewCache(p, prefix).Set(context.Background(), "k", []byte(`1`), time.Minute)
	if domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Set with the pool busy = %v, want Unavailable", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Errorf("busy pool answered after %v, want about the 200ms pool timeout", d)
	}
}

func TestNewPoolRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:6379/zero", "::"} {
		if _, err := redis.NewPool(redis.PoolOptions{URL: u}); err == nil {
			t.Errorf("NewPool(%q): nil error, want refused", u)
		}
	}
	if _, err := redis.NewPool(redis.PoolOptions{URL: "redis://127.0.0.1:6379/5"}); err != nil {
		t.Errorf("NewPool(valid url): %v", err)
	}
}
