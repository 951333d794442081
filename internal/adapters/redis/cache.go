package redis

import (
	"context"
	"strings"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Cache = (*Cache)(nil)

// flushBatch is how many keys one SCAN step asks for and one DEL removes
// during Flush.
const flushBatch = 500

// Cache is a ports.Cache on Redis: one string key per entry, named
// prefix+key, set with PX so that Redis expires it on its own clock. Every
// method is one command, except Flush (SCAN and DEL in batches).
type Cache struct {
	pool   *Pool
	prefix string
}

// NewCache returns a Cache on pool whose keys start with prefix.
func NewCache(pool *Pool, prefix string) *Cache {
	return &Cache{pool: pool, prefix: prefix}
}

// Healthy sends PING.
func (c *Cache) Healthy(ctx context.Context) error {
	_, err := c.pool.do(ctx, "redis.Cache.Healthy", "PING")
	return err
}

// Get sends GET.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	const op = "redis.Cache.Get"
	reply, err := c.pool.do(ctx, op, "GET", c.prefix+key)
	if err != nil || reply == nil {
		return nil, false, err
	}
	v, err := redigo.Bytes(reply, nil)
	if err != nil {
		return nil, false, domain.Wrap(domain.Internal, op, err)
	}
	return v, true, nil
}

// Set sends SET with PX.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "redis.Cache.Set"
	ms, err := ports.CacheTTLMillis(op, ttl)
	if err != nil {
		return err
	}
	if err := ports.CheckCacheValue(op, value); err != nil {
		return err
	}
	_, err = c.pool.do(ctx, op, "SET", c.prefix+key, value, "PX", ms)
	return err
}

// Delete sends DEL.
func (c *Cache) Delete(ctx context.Context, key string) error {
	_, err := c.pool.do(ctx, "redis.Cache.Delete", "DEL", c.prefix+key)
	return err
}

// Expire sends PEXPIRE, which leaves a missing key missing.
func (c *Cache) Expire(ctx context.Context, key string, ttl time.Duration) error {
	const op = "redis.Cache.Expire"
	ms, err := ports.CacheTTLMillis(op, ttl)
	if err != nil {
		return err
	}
	_, err = c.pool.do(ctx, op, "PEXPIRE", c.prefix+key, ms)
	return err
}

// TTL sends PTTL. A key some other client stored without an expiry
// reports a negative duration (-1 ms), as Kinto's ttl does.
func (c *Cache) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	const op = "redis.Cache.TTL"
	reply, err := c.pool.do(ctx, op, "PTTL", c.prefix+key)
	if err != nil {
		return 0, false, err
	}
	ms, err := redigo.Int64(reply, nil)
	switch {
	case err != nil:
		return 0, false, domain.Wrap(domain.Internal, op, err)
	case ms == -2: // no such key
		return 0, false, nil
	}
	return time.Duration(ms) * time.Millisecond, true, nil
}

// Flush deletes the keys under the prefix; see deletePrefixed.
func (c *Cache) Flush(ctx context.Context) error {
	return deletePrefixed(ctx, "redis.Cache.Flush", c.pool, c.prefix)
}

// deletePrefixed deletes the keys under prefix; see eachPrefixed. Keys
// set while it runs may survive, as with any SCAN.
func deletePrefixed(ctx context.Context, op string, pool *Pool, prefix string) error {
	conn, err := pool.get(ctx, op)
	if err != nil {
		return err
	}
	defer conn.Close()
	return eachPrefixed(ctx, conn, op, prefix, func(keys []any) error {
		if _, err := redigo.DoContext(conn, ctx, "DEL", keys...); err != nil {
			return translate(op, ctx, err)
		}
		return nil
	})
}

// eachPrefixed calls fn with each batch of the keys under prefix, SCANning
// for them with the prefix's glob characters escaped so that it matches
// only itself.
func eachPrefixed(ctx context.Context, conn redigo.Conn, op, prefix string, fn func(keys []any) error) error {
	pattern := globEscape(prefix) + "*"
	cursor := "0"
	for {
		values, err := redigo.Values(redigo.DoContext(conn, ctx, "SCAN", cursor, "MATCH", pattern, "COUNT", flushBatch))
		if err != nil {
			return translate(op, ctx, err)
		}
		if len(values) != 2 {
			return domain.Errorf(domain.Internal, op, "SCAN replied %d values, want 2", len(values))
		}
		if cursor, err = redigo.String(values[0], nil); err != nil {
			return domain.Wrap(domain.Internal, op, err)
		}
		keys, err := redigo.Values(values[1], nil)
		if err != nil {
			return domain.Wrap(domain.Internal, op, err)
		}
		if len(keys) > 0 {
			if err := fn(keys); err != nil {
				return err
			}
		}
		if cursor == "0" {
			return nil
		}
	}
}

// globEscape escapes the characters Redis patterns give a meaning to.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '*', '?', '[', ']', '^', '-':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
