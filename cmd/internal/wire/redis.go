package wire

import (
	"context"
	"fmt"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/config"
)

// The key prefixes of the Redis storage and permission backends and of
// their units of work (lock and undo log), so that all three (and a cache
// with its own cache_prefix) can share one database.
const (
	redisStoragePrefix    = "storage:"
	redisPermissionPrefix = "permission:"
	redisUnitPrefix       = "unit:"
)

// openRedis opens the Redis pool of a storage or permission backend on its
// URL, with the backend's pool settings (size, overflow, recycle, pool
// timeout) and bounds (connect timeout; the statement timeout bounds each
// command's reads and writes), and checks that the server answers.
func (b backendSetting) openRedis(ctx context.Context) (*redis.Pool, error) {
	var lifetime time.Duration
	if b.pool.recycle > 0 {
		lifetime = time.Duration(b.pool.recycle) * time.Second
	}
	pool, err := redis.NewPool(redis.PoolOptions{URL: b.url, Size: b.pool.size, Overflow: b.pool.overflow,
		PoolTimeout: b.bounds.PoolTimeout, ConnectTimeout: b.bounds.ConnectTimeout,
		CommandTimeout: b.bounds.StatementTimeout, MaxLifetime: lifetime})
	if err != nil {
		return nil, &config.SettingError{Setting: b.name + "_url", Err: err}
	}
	if err := redis.NewPermission(pool, "").Healthy(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect %s redis: %w", b.name, err)
	}
	return pool, nil
}
