package wire

import (
	"context"
	"fmt"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// cacheBackend is the cache's PostgreSQL setting, for open and migrate.
func cacheBackend(core *config.Core) backendSetting {
	pool, connect, statement := core.CacheBounds()
	return backendSetting{"cache", "cache_backend", core.CacheBackend, core.CacheURL,
		postgresPool{core.CachePoolSize, core.CacheMaxOverflow, core.CachePoolRecycle},
		postgres.Bounds{ConnectTimeout: connect, StatementTimeout: statement, PoolTimeout: pool}}
}

// openCache builds the cache of cache_backend, under cache_prefix: memory
// (this process only, bounded by cache_max_size_bytes), PostgreSQL (its own
// pool of cache_pool_size connections, even on the storage's database, and
// a schema `<service> migrate` prepared) or Redis (a pool of
// cache_pool_size connections on cache_url). It returns the function that
// releases the connections, nil for memory.
func openCache(ctx context.Context, core *config.Core, service string) (ports.Cache, func() error, error) {
	switch core.CacheBackend {
	case config.BackendMemory:
		return memory.NewCache(memory.CacheOptions{Prefix: core.CachePrefix, MaxSizeBytes: core.CacheMaxSizeBytes}), nil, nil
	case config.BackendPostgreSQL:
		db, err := cacheBackend(core).open(ctx, service, true)
		if err != nil {
			return nil, nil, err
		}
		return postgres.NewCache(db, postgres.CacheOptions{Prefix: core.CachePrefix}), db.Close, nil
	case config.BackendRedis:
		poolTimeout, connect, command := core.CacheBounds()
		var lifetime time.Duration
		if core.CachePoolRecycle > 0 {
			lifetime = time.Duration(core.CachePoolRecycle) * time.Second
		}
		pool, err := redis.NewPool(redis.PoolOptions{URL: core.CacheURL, Size: core.CachePoolSize,
			Overflow: core.CacheMaxOverflow, PoolTimeout: poolTimeout, ConnectTimeout: connect,
			CommandTimeout: command, MaxLifetime: lifetime})
		if err != nil {
			return nil, nil, &config.SettingError{Setting: "cache_url", Err: err}
		}
		c := redis.NewCache(pool, core.CachePrefix)
		if err := c.Healthy(ctx); err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("connect cache redis: %w", err)
		}
		return c, pool.Close, nil
	}
	return nil, nil, &config.SettingError{Setting: "cache_backend",
		Err: fmt.Errorf("backend %q is not built into this version (want memory, postgresql or redis)", core.CacheBackend)}
}
