package wire

import (
	"context"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// FlushRedisKeys deletes the keys of the Redis storage and permission
// backends (and of their units of work) on the server at url, so that a test starts and ends empty.
func FlushRedisKeys(t testing.TB, url string) {
	t.Helper()
	pool, err := redis.NewPool(redis.PoolOptions{URL: url, PoolTimeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, prefix := range []string{redisStoragePrefix, redisPermissionPrefix, redisUnitPrefix} {
		if err := redis.NewCache(pool, prefix).Flush(context.Background()); err != nil {
			t.Fatalf("flush %s: %v", prefix, err)
		}
	}
}

// SamplePools runs the pool gauges of b into m every interval, until b
// closes.
func SamplePools(b *Backends, m ports.Metrics, every time.Duration) { b.samplePools(m, every) }
