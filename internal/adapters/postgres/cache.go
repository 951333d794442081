package postgres

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Cache = (*Cache)(nil)

// Default sweep of expired rows: how often a write may run it, and how
// many rows one sweep deletes at most, so that no write pays for a huge
// backlog at once.
const (
	DefaultCacheSweepInterval = 10 * time.Second
	DefaultCacheSweepBatch    = 1000
)

// CacheOptions configure a PostgreSQL Cache.
type CacheOptions struct {
	// Prefix is prepended to every key (cache_prefix).
	Prefix string
	// SweepInterval is the least time between two sweeps of expired rows
	// by this process; DefaultCacheSweepInterval when 0.
	SweepInterval time.Duration
	// SweepBatch is the most rows one sweep deletes;
	// DefaultCacheSweepBatch when 0.
	SweepBatch int
}

// Cache is a ports.Cache in the table cache_entries, which Migrate
// creates, shared by every node on the database. Expiry follows the
// database server's clock, so nodes with skewed clocks agree. An expired
// row is never answered; Get deletes the row it finds expired, and a write
// at most every SweepInterval deletes up to SweepBatch expired rows of any
// prefix (each node sweeps; SKIP LOCKED keeps them from waiting on each
// other).
type Cache struct {
	db        *sqlx.DB
	opts      CacheOptions
	lastSweep atomic.Int64 // unix nanoseconds of the last sweep started
}

// NewCache returns a Cache on db, whose schema Migrate prepared.
func NewCache(db *sqlx.DB, opts CacheOptions) *Cache {
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = DefaultCacheSweepInterval
	}
	if opts.SweepBatch <= 0 {
		opts.SweepBatch = DefaultCacheSweepBatch
	}
	c := &Cache{db: db, opts: opts}
	// The first sweep comes one interval after start, not with the first
	// write: nodes restarting together do not all sweep at once.
	c.lastSweep.Store(time.Now().UnixNano())
	return c
}

// q runs each statement on a connection taken within the pool timeout: the
// cache never joins a unit of work, whatever ctx carries.
func (c *Cache) q() querier {
	if timeout := boundsOf(c.db).PoolTimeout; timeout > 0 {
		return pooled{db: c.db, timeout: timeout}
	}
	return c.db
}

// Healthy runs SELECT 1 within ctx.
func (c *Cache) Healthy(ctx context.Context) error {
	return healthy(ctx, c.db, "postgres.Cache.Healthy")
}

// Get returns the value of a live key, deleting the row if it expired.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	const op = "postgres.Cache.Get"
	var value []byte
	// The SELECT sees the rows as they were before the DELETE: the two
	// conditions are disjoint, so it reads the live row if any.
	err := c.q().QueryRowContext(ctx, `WITH expired AS (
			DELETE FROM cache_entries WHERE key = $1 AND expires <= now()
		)
		SELECT value FROM cache_entries WHERE key = $1 AND expires > now()`, c.opts.Prefix+key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, translate(op, err)
	}
	return value, true, nil
}

// Set upserts key, then sweeps if the last sweep is old enough.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "postgres.Cache.Set"
	ms, err := ports.CacheTTLMillis(op, ttl)
	if err != nil {
		return err
	}
	if err := ports.CheckCacheValue(op, value); err != nil {
		return err
	}
	if _, err := c.q().ExecContext(ctx, `INSERT INTO cache_entries (key, value, expires)
		VALUES ($1, $2, now() + $3 * interval '1 millisecond')
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires`,
		c.opts.Prefix+key, value, ms); err != nil {
		return translate(op, err)
	}
	return c.maybeSweep(ctx)
}

// maybeSweep deletes a batch of expired rows when this process has not
// done so for SweepInterval. One caller at a time wins the turn.
func (c *Cache) maybeSweep(ctx context.Context) error {
	const op = "postgres.Cache.sweep"
	last := c.lastSweep.Load()
	now := time.Now().UnixNano()
	if now-last < c.opts.SweepInterval.Nanoseconds() || !c.lastSweep.CompareAndSwap(last, now) {
		return nil
	}
	// The batch is chosen once, in a materialized CTE: as a subquery of
	// IN, the planner may rescan it per row and so delete more than the
	// batch.
	_, err := c.q().ExecContext(ctx, `WITH doomed AS MATERIALIZED (
			SELECT key FROM cache_entries WHERE expires <= now()
			ORDER BY expires LIMIT $1 FOR UPDATE SKIP LOCKED
		)
		DELETE FROM cache_entries e USING doomed WHERE e.key = doomed.key`, c.opts.SweepBatch)
	return translate(op, err)
}

// Delete removes key.
func (c *Cache) Delete(ctx context.Context, key string) error {
	const op = "postgres.Cache.Delete"
	_, err := c.q().ExecContext(ctx, `DELETE FROM cache_entries WHERE key = $1`, c.opts.Prefix+key)
	return translate(op, err)
}

// Expire moves the expiry of a live key.
func (c *Cache) Expire(ctx context.Context, key string, ttl time.Duration) error {
	const op = "postgres.Cache.Expire"
	ms, err := ports.CacheTTLMillis(op, ttl)
	if err != nil {
		return err
	}
	_, err = c.q().ExecContext(ctx, `UPDATE cache_entries SET expires = now() + $2 * interval '1 millisecond'
		WHERE key = $1 AND expires > now()`, c.opts.Prefix+key, ms)
	return translate(op, err)
}

// TTL returns the time a live key has left, in whole milliseconds.
func (c *Cache) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	const op = "postgres.Cache.TTL"
	var ms int64
	err := c.q().QueryRowContext(ctx, `SELECT floor(extract(epoch FROM expires - now()) * 1000)::bigint
		FROM cache_entries WHERE key = $1 AND expires > now()`, c.opts.Prefix+key).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, translate(op, err)
	}
	return time.Duration(ms) * time.Millisecond, true, nil
}

// Flush deletes the rows under this cache's prefix. starts_with compares
// bytes, so a prefix holding LIKE wildcards matches only itself.
func (c *Cache) Flush(ctx context.Context) error {
	const op = "postgres.Cache.Flush"
	_, err := c.q().ExecContext(ctx, `DELETE FROM cache_entries WHERE starts_with(key, $1)`, c.opts.Prefix)
	return translate(op, err)
}
