package memory

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Cache = (*Cache)(nil)

// cacheEntryOverhead is what an entry costs beyond its key and value bytes
// (map slot, list element, expiry), counted against MaxSizeBytes so that a
// flood of tiny entries is bounded too. An estimate, as Kinto's is.
const cacheEntryOverhead = 96

// cacheSweepEvery is how often, at most, a write drops every expired entry,
// so that keys nobody reads again do not stay in memory until the size
// bound pushes them out (or forever, without a bound).
const cacheSweepEvery = time.Minute

// CacheOptions configure a memory Cache.
type CacheOptions struct {
	// Prefix is prepended to every key (cache_prefix).
	Prefix string
	// MaxSizeBytes bounds the bytes the entries take, keys (with the
	// prefix) and values plus a fixed overhead each
	// (cache_max_size_bytes); 0 or less leaves the cache unbounded.
	MaxSizeBytes int
	// Clock tells the time for the TTLs; domain.SystemClock when nil.
	Clock domain.Clock
}

// Cache is an in-process ports.Cache, private to one process: nodes do not
// share it, so use PostgreSQL or Redis when several nodes must see the
// same cache. One lock guards everything.
//
// When a write would take the cache over MaxSizeBytes, expired entries go
// first, then the least recently used ones (Get and Set count as uses),
// until the new entry fits. A value larger than the whole bound is not
// kept at all: Set succeeds and the key reads as missing, as if evicted at
// once. Expired entries are dropped when read and, at most once a minute,
// by a sweep on write.
type Cache struct {
	opts CacheOptions

	mu        sync.Mutex
	entries   map[string]*list.Element // prefixed key → element of lru holding a *cacheEntry
	lru       *list.List               // front: most recently used
	size      int                      // bytes counted against MaxSizeBytes
	lastSweep int64
}

type cacheEntry struct {
	key     string // prefixed
	value   []byte
	expires int64 // epoch milliseconds
}

func (e *cacheEntry) cost() int { return len(e.key) + len(e.value) + cacheEntryOverhead }

// NewCache returns an empty Cache.
func NewCache(opts CacheOptions) *Cache {
	if opts.Clock == nil {
		opts.Clock = domain.SystemClock{}
	}
	return &Cache{opts: opts, entries: map[string]*list.Element{}, lru: list.New()}
}

// Healthy fails only once ctx is done: an in-process cache cannot be down.
func (c *Cache) Healthy(ctx context.Context) error {
	return ctxErr(ctx, "memory.Cache.Healthy")
}

// live returns the entry of a prefixed key unless missing or expired,
// dropping an expired one. The caller holds mu.
func (c *Cache) live(key string, now int64) *list.Element {
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	if now >= el.Value.(*cacheEntry).expires {
		c.remove(el)
		return nil
	}
	return el
}

// remove drops el. The caller holds mu.
func (c *Cache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.entries, e.key)
	c.size -= e.cost()
}

// Get returns a copy of the value at key.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if err := ctxErr(ctx, "memory.Cache.Get"); err != nil {
		return nil, false, err
	}
	now := c.opts.Clock.NowMillis()
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.live(c.opts.Prefix+key, now)
	if el == nil {
		return nil, false, nil
	}
	c.lru.MoveToFront(el)
	return append([]byte(nil), el.Value.(*cacheEntry).value...), true, nil
}

// Set stores a copy of value at key, evicting as the type comment says.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	const op = "memory.Cache.Set"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	ms, err := ports.CacheTTLMillis(op, ttl)
	if err != nil {
		return err
	}
	if err := ports.CheckCacheValue(op, value); err != nil {
		return err
	}
	now := c.opts.Clock.NowMillis()
	e := &cacheEntry{key: c.opts.Prefix + key, value: append([]byte(nil), value...), expires: now + ms}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok {
		c.remove(el)
	}
	if now-c.lastSweep >= cacheSweepEvery.Milliseconds() {
		c.sweep(now)
	}
	if max := c.opts.MaxSizeBytes; max > 0 {
		if e.cost() > max {
			return nil // could never fit: not kept (see the type comment)
		}
		if c.size+e.cost() > max {
			c.sweep(now)
		}
		for c.size+e.cost() > max {
			c.remove(c.lru.Back())
		}
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.size += e.cost()
	return nil
}

// sweep drops every expired entry. The caller holds mu.
func (c *Cache) sweep(now int64) {
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if now >= el.Value.(*cacheEntry).expires {
			c.remove(el)
		}
		el = next
	}
	c.lastSweep = now
}

// Delete removes key.
func (c *Cache) Delete(ctx context.Context, key string) error {
	if err := ctxErr(ctx, "memory.Cache.Delete"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[c.opts.Prefix+key]; ok {
		c.remove(el)
	}
	return nil
}

// Expire sets the expiry of a live key.
func (c *Cache) Expire(ctx context.Context, key string, ttl time.Duration) error {
	const op = "memory.Cache.Expire"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	ms, err := ports.CacheTTLMillis(op, ttl)
	if err != nil {
		return err
	}
	now := c.opts.Clock.NowMillis()
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.live(c.opts.Prefix+key, now); el != nil {
		el.Value.(*cacheEntry).expires = now + ms
	}
	return nil
}

// TTL returns the time key has left.
func (c *Cache) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	if err := ctxErr(ctx, "memory.Cache.TTL"); err != nil {
		return 0, false, err
	}
	now := c.opts.Clock.NowMillis()
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.live(c.opts.Prefix+key, now)
	if el == nil {
		return 0, false, nil
	}
	return time.Duration(el.Value.(*cacheEntry).expires-now) * time.Millisecond, true, nil
}

// Flush removes every entry: all of them carry this cache's prefix.
func (c *Cache) Flush(ctx context.Context) error {
	if err := ctxErr(ctx, "memory.Cache.Flush"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = map[string]*list.Element{}
	c.lru.Init()
	c.size = 0
	return nil
}

// SizeBytes returns the bytes the entries count against MaxSizeBytes, for
// tests and metrics.
func (c *Cache) SizeBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
