package memory_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestCacheContract(t *testing.T) {
	portstest.RunCache(t, func(t *testing.T, prefix string) ports.Cache {
		return memory.NewCache(memory.CacheOptions{Prefix: prefix, MaxSizeBytes: 8 << 20})
	})
}

func TestCacheContractUnbounded(t *testing.T) {
	portstest.RunCache(t, func(t *testing.T, prefix string) ports.Cache {
		return memory.NewCache(memory.CacheOptions{Prefix: prefix})
	})
}

type fakeClock struct{ now int64 }

func (c *fakeClock) NowMillis() int64 { return c.now }

func set(t *testing.T, c ports.Cache, key, value string, ttl time.Duration) {
	t.Helper()
	if err := c.Set(context.Background(), key, []byte(value), ttl); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
}

func present(t *testing.T, c ports.Cache, key string) bool {
	t.Helper()
	_, ok, err := c.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	return ok
}

// TestCacheExpiresOnTheClock: a key lives exactly its TTL on the cache's
// clock, and TTL counts down with it.
func TestCacheExpiresOnTheClock(t *testing.T) {
	clock := &fakeClock{now: 1_000_000}
	c := memory.NewCache(memory.CacheOptions{Clock: clock})
	ctx := context.Background()
	set(t, c, "k", `1`, 30*time.Second)
	clock.now += 29_999
	if d, ok, _ := c.TTL(ctx, "k"); !ok || d != time.Millisecond {
		t.Errorf("TTL 1 ms before expiry = %v, %v; want 1ms, true", d, ok)
	}
	if !present(t, c, "k") {
		t.Fatal("Get 1 ms before expiry: missing")
	}
	clock.now++
	if present(t, c, "k") {
		t.Error("Get at expiry: present, want missing")
	}
	if _, ok, _ := c.TTL(ctx, "k"); ok {
		t.Error("TTL at expiry: present, want missing")
	}
	if c.SizeBytes() != 0 {
		t.Errorf("SizeBytes after the only key expired = %d, want 0", c.SizeBytes())
	}
	// Expire extends from now.
	set(t, c, "e", `1`, time.Second)
	clock.now += 900
	if err := c.Expire(ctx, "e", time.Second); err != nil {
		t.Fatal(err)
	}
	clock.now += 900
	if !present(t, c, "e") {
		t.Error("Get 1.8 s after Set(1s) and Expire(1s) at 0.9 s: missing, want present")
	}
}

// TestCacheEvictsLeastRecentlyUsed fills a bounded cache and checks that the
// least recently used entries go first, that reads count as uses, and that
// the size stays within the bound.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	clock := &fakeClock{now: 1_000_000}
	value := `"` + strings.Repeat("x", 98) + `"` // 100 bytes
	// Each entry costs key (2) + value (100) + overhead; room for 4.
	probe := memory.NewCache(memory.CacheOptions{Clock: clock})
	set(t, probe, "k0", value, time.Hour)
	cost := probe.SizeBytes()
	c := memory.NewCache(memory.CacheOptions{Clock: clock, MaxSizeBytes: 4*cost + cost/2})
	for i := range 4 {
		set(t, c, "k"+strconv.Itoa(i), value, time.Hour)
	}
	present(t, c, "k0") // k0 is now the most recently used; k1 the least
	set(t, c, "k4", value, time.Hour)
	for key, want := range map[string]bool{"k0": true, "k1": false, "k2": true, "k3": true, "k4": true} {
		if got := present(t, c, key); got != want {
			t.Errorf("after eviction, %s present = %v, want %v", key, got, want)
		}
	}
	if c.SizeBytes() > 4*cost+cost/2 {
		t.Errorf("SizeBytes = %d, over the bound %d", c.SizeBytes(), 4*cost+cost/2)
	}
	// Expired entries go before live ones, however recently used.
	set(t, c, "k2", value, time.Second)
	clock.now += 2000
	set(t, c, "k5", value, time.Hour)
	for key, want := range map[string]bool{"k0": true, "k2": false, "k3": true, "k4": true, "k5": true} {
		if got := present(t, c, key); got != want {
			t.Errorf("after expiry and a Set, %s present = %v, want %v", key, got, want)
		}
	}
	// A value bigger than the whole bound is not kept, and evicts nothing.
	huge := `"` + strings.Repeat("y", 5*cost) + `"`
	if err := c.Set(context.Background(), "huge", []byte(huge), time.Hour); err != nil {
		t.Fatalf("Set(huge): %v", err)
	}
	if present(t, c, "huge") {
		t.Error("a value over cache_max_size_bytes was kept")
	}
	if !present(t, c, "k0") || !present(t, c, "k5") {
		t.Error("an oversized Set evicted live entries")
	}
}

// TestCacheSweepsExpired: expired keys nobody reads again are dropped by
// the periodic sweep, not kept until the size bound.
func TestCacheSweepsExpired(t *testing.T) {
	clock := &fakeClock{now: 1_000_000}
	c := memory.NewCache(memory.CacheOptions{Clock: clock})
	for i := range 100 {
		set(t, c, "old"+strconv.Itoa(i), `1`, time.Second)
	}
	clock.now += int64(2 * time.Minute / time.Millisecond)
	set(t, c, "new", `1`, time.Hour)
	probe := memory.NewCache(memory.CacheOptions{Clock: clock})
	set(t, probe, "new", `1`, time.Hour)
	if c.SizeBytes() != probe.SizeBytes() {
		t.Errorf("SizeBytes after the sweep = %d, want %d (the one live key)", c.SizeBytes(), probe.SizeBytes())
	}
}

// TestCachePrefixCounts: the prefix is part of each key's cost, as in
// Kinto, so a long prefix cannot overrun the bound.
func TestCachePrefixCounts(t *testing.T) {
	a := memory.NewCache(memory.CacheOptions{})
	b := memory.NewCache(memory.CacheOptions{Prefix: strings.Repeat("p", 50)})
	set(t, a, "k", `1`, time.Hour)
	set(t, b, "k", `1`, time.Hour)
	if b.SizeBytes()-a.SizeBytes() != 50 {
		t.Errorf("cost with a 50-byte prefix = %d, without = %d; want 50 more", b.SizeBytes(), a.SizeBytes())
	}
}
