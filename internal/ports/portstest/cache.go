package portstest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// RunCache runs the contract suite of ports.Cache against the caches
// newCache returns, each under the given cache_prefix. Within one subtest
// every cache newCache returns must share one backend (the prefix
// isolation cases call it twice; an in-process cache, which no other
// instance can share, returns a new one), and a cache must start with no
// key under its prefix. Expiry is checked with real, short TTLs and bounded waits,
// since a remote backend keeps its own clock.
func RunCache(t *testing.T, newCache func(t *testing.T, prefix string) ports.Cache) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, newCache func(t *testing.T, prefix string) ports.Cache)
	}{
		{"Healthy", one(cacheHealthy)},
		{"SetGet", one(cacheSetGet)},
		{"Values", one(cacheValues)},
		{"Keys", one(cacheKeys)},
		{"Delete", one(cacheDelete)},
		{"RefusesBadInput", one(cacheRefusesBadInput)},
		{"Expiry", one(cacheExpiry)},
		{"TTL", one(cacheTTL)},
		{"Expire", one(cacheExpire)},
		{"Flush", one(cacheFlush)},
		{"PrefixIsolation", cachePrefixIsolation},
		{"ConcurrentWriters", one(cacheConcurrentWriters)},
		{"CanceledContext", one(cacheCanceledContext)},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newCache) })
	}
}

// one adapts a case that needs a single cache.
func one(run func(t *testing.T, c ports.Cache)) func(*testing.T, func(*testing.T, string) ports.Cache) {
	return func(t *testing.T, newCache func(*testing.T, string) ports.Cache) {
		run(t, newCache(t, "test:"))
	}
}

// expiryWait bounds the waits for a short TTL to run out: far longer than
// the TTLs the suite sets, so that a loaded machine does not fail it.
const expiryWait = 5 * time.Second

// shortTTL is the TTL of keys the suite waits to see expire.
const shortTTL = 150 * time.Millisecond

func mustSet(t *testing.T, c ports.Cache, key, value string, ttl time.Duration) {
	t.Helper()
	if err := c.Set(context.Background(), key, []byte(value), ttl); err != nil {
		t.Fatalf("Set(%q, %s, %v): %v", key, value, ttl, err)
	}
}

// wantValue checks Get(key) answers value, or missing when value is "".
func wantValue(t *testing.T, c ports.Cache, key, value string) {
	t.Helper()
	got, ok, err := c.Get(context.Background(), key)
	switch {
	case err != nil:
		t.Errorf("Get(%q): %v", key, err)
	case value == "" && (ok || got != nil):
		t.Errorf("Get(%q) = %s, %v; want missing (nil, false)", key, got, ok)
	case value != "" && (!ok || string(got) != value):
		t.Errorf("Get(%q) = %s, %v; want %s, true", key, got, ok, value)
	}
}

// waitMissing waits, at most expiryWait, for key to expire.
func waitMissing(t *testing.T, c ports.Cache, key string) {
	t.Helper()
	deadline := time.Now().Add(expiryWait)
	for {
		_, ok, err := c.Get(context.Background(), key)
		if err != nil {
			t.Fatalf("Get(%q): %v", key, err)
		}
		if !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get(%q) still answers the value %v after its TTL", key, expiryWait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func cacheHealthy(t *testing.T, c ports.Cache) {
	if err := c.Healthy(context.Background()); err != nil {
		t.Fatalf("Healthy: %v, want nil", err)
	}
}

func cacheSetGet(t *testing.T, c ports.Cache) {
	wantValue(t, c, "missing", "")
	mustSet(t, c, "k", `"v1"`, time.Minute)
	wantValue(t, c, "k", `"v1"`)
	// Set replaces the value.
	mustSet(t, c, "k", `{"a":1}`, time.Minute)
	wantValue(t, c, "k", `{"a":1}`)
	// Get hands out its own copy: changing it changes nothing stored.
	got, _, err := c.Get(context.Background(), "k")
	if err != nil || len(got) == 0 {
		t.Fatalf("Get(k) = %s, %v", got, err)
	}
	got[0] = 'X'
	wantValue(t, c, "k", `{"a":1}`)
}

// cacheValues checks every kind of JSON text comes back byte for byte,
// null included (a stored null is not a missing key).
func cacheValues(t *testing.T, c ports.Cache) {
	big := make([]byte, 0, 64<<10)
	big = append(big, '"')
	for len(big) < 64<<10-1 {
		big = append(big, 'x')
	}
	big = append(big, '"')
	for i, v := range []string{`null`, `true`, `0`, `-1.5e3`, `"été ☃ \u0000"`, `[1,"two",{"three":3}]`, `{ "spaced" : [ ] }`, string(big)} {
		key := "v" + strconv.Itoa(i)
		mustSet(t, c, key, v, time.Minute)
		got, ok, err := c.Get(context.Background(), key)
		if err != nil || !ok || string(got) != v {
			t.Errorf("Get after Set(%.40s) = %.40s, %v, %v; want the same bytes", v, got, ok, err)
		}
	}
}

// cacheKeys checks keys are opaque strings: wildcards, spaces, unicode,
// long and empty keys are distinct keys like any other.
func cacheKeys(t *testing.T, c ports.Cache) {
	long := ""
	for len(long) < 300 {
		long += "long-"
	}
	keys := []string{"", "*", "?", "[a]", "%", "_", "a b", "ключ", "accounts:bob:verified", long}
	for i, k := range keys {
		mustSet(t, c, k, strconv.Itoa(i), time.Minute)
	}
	for i, k := range keys {
		wantValue(t, c, k, strconv.Itoa(i))
	}
	if err := c.Delete(context.Background(), "*"); err != nil {
		t.Fatalf("Delete(*): %v", err)
	}
	wantValue(t, c, "*", "")
	wantValue(t, c, "?", "2")
	wantValue(t, c, "", "0")
}

func cacheDelete(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	mustSet(t, c, "a", `1`, time.Minute)
	mustSet(t, c, "b", `2`, time.Minute)
	if err := c.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete(a): %v", err)
	}
	wantValue(t, c, "a", "")
	wantValue(t, c, "b", "2")
	if _, ok, err := c.TTL(ctx, "a"); ok || err != nil {
		t.Errorf("TTL(deleted) = %v, %v; want missing", ok, err)
	}
	if err := c.Delete(ctx, "a"); err != nil {
		t.Errorf("Delete(missing): %v, want nil", err)
	}
	// A deleted key can be set again.
	mustSet(t, c, "a", `3`, time.Minute)
	wantValue(t, c, "a", "3")
}

func cacheRefusesBadInput(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	mustSet(t, c, "kept", `"old"`, time.Minute)
	for _, tc := range []struct {
		value string
		ttl   time.Duration
	}{
		{`1`, 0},
		{`1`, -time.Second},
		{`1`, 999 * time.Microsecond},
		{`not json`, time.Minute},
		{``, time.Minute},
		{`{"a":`, time.Minute},
	} {
		for _, key := range []string{"new", "kept"} {
			if err := c.Set(ctx, key, []byte(tc.value), tc.ttl); domain.KindOf(err) != domain.Invalid {
				t.Errorf("Set(%s, %q, %v) = %v (kind %v), want Invalid", key, tc.value, tc.ttl, err, domain.KindOf(err))
			}
		}
	}
	if err := c.Set(ctx, "new", nil, time.Minute); domain.KindOf(err) != domain.Invalid {
		t.Errorf("Set(nil value) = %v, want Invalid", err)
	}
	// Nothing was stored or replaced.
	wantValue(t, c, "new", "")
	wantValue(t, c, "kept", `"old"`)
	for _, ttl := range []time.Duration{0, -time.Second, time.Microsecond} {
		if err := c.Expire(ctx, "kept", ttl); domain.KindOf(err) != domain.Invalid {
			t.Errorf("Expire(kept, %v) = %v (kind %v), want Invalid", ttl, err, domain.KindOf(err))
		}
	}
	if d, ok, err := c.TTL(ctx, "kept"); !ok || err != nil || d < 50*time.Second {
		t.Errorf("TTL(kept) after refused Expires = %v, %v, %v; want about a minute", d, ok, err)
	}
}

func cacheExpiry(t *testing.T, c ports.Cache) {
	mustSet(t, c, "short", `"s"`, shortTTL)
	mustSet(t, c, "long", `"l"`, time.Minute)
	start := time.Now()
	waitMissing(t, c, "short")
	if waited := time.Since(start); waited < shortTTL/2 {
		// The key must have lived about its TTL, not vanished at once
		// (allowing for the time between Set and start).
		t.Errorf("short key expired after %v, want about %v", waited, shortTTL)
	}
	if _, ok, err := c.TTL(context.Background(), "short"); ok || err != nil {
		t.Errorf("TTL(expired) = %v, %v; want missing", ok, err)
	}
	wantValue(t, c, "long", `"l"`)
	// An expired key can be set again, with a new TTL.
	mustSet(t, c, "short", `"again"`, time.Minute)
	wantValue(t, c, "short", `"again"`)
}

func cacheTTL(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	if d, ok, err := c.TTL(ctx, "missing"); ok || d != 0 || err != nil {
		t.Errorf("TTL(missing) = %v, %v, %v; want 0, false, nil", d, ok, err)
	}
	mustSet(t, c, "k", `1`, 10*time.Second)
	d, ok, err := c.TTL(ctx, "k")
	if err != nil || !ok || d > 10*time.Second || d < 8*time.Second {
		t.Errorf("TTL after Set(10s) = %v, %v, %v; want within (8s, 10s]", d, ok, err)
	}
	// Set again resets the TTL.
	mustSet(t, c, "k", `2`, time.Hour)
	if d, ok, err := c.TTL(ctx, "k"); err != nil || !ok || d > time.Hour || d < 59*time.Minute {
		t.Errorf("TTL after Set(1h) = %v, %v, %v; want about an hour", d, ok, err)
	}
	// Milliseconds are kept.
	mustSet(t, c, "ms", `3`, 2500*time.Millisecond)
	if d, ok, err := c.TTL(ctx, "ms"); err != nil || !ok || d > 2500*time.Millisecond || d < 1500*time.Millisecond {
		t.Errorf("TTL after Set(2.5s) = %v, %v, %v; want within (1.5s, 2.5s]", d, ok, err)
	}
}

func cacheExpire(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	mustSet(t, c, "k", `"v"`, 10*time.Second)
	if err := c.Expire(ctx, "k", time.Hour); err != nil {
		t.Fatalf("Expire(k, 1h): %v", err)
	}
	if d, ok, err := c.TTL(ctx, "k"); err != nil || !ok || d < 59*time.Minute || d > time.Hour {
		t.Errorf("TTL after Expire(1h) = %v, %v, %v; want about an hour", d, ok, err)
	}
	wantValue(t, c, "k", `"v"`)
	// Shortening works too, and the key then expires.
	if err := c.Expire(ctx, "k", shortTTL); err != nil {
		t.Fatalf("Expire(k, %v): %v", shortTTL, err)
	}
	waitMissing(t, c, "k")
	// A missing key is not created by Expire.
	if err := c.Expire(ctx, "nothing", time.Hour); err != nil {
		t.Errorf("Expire(missing): %v, want nil", err)
	}
	wantValue(t, c, "nothing", "")
	if _, ok, err := c.TTL(ctx, "nothing"); ok || err != nil {
		t.Errorf("TTL(missing) after Expire = %v, %v; want missing", ok, err)
	}
	// Nor is an expired one brought back.
	if err := c.Expire(ctx, "k", time.Hour); err != nil {
		t.Errorf("Expire(expired): %v, want nil", err)
	}
	wantValue(t, c, "k", "")
}

func cacheFlush(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	for i := range 20 {
		mustSet(t, c, "k"+strconv.Itoa(i), `1`, time.Minute)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for i := range 20 {
		wantValue(t, c, "k"+strconv.Itoa(i), "")
	}
	if err := c.Flush(ctx); err != nil {
		t.Errorf("Flush(empty): %v", err)
	}
	// The cache works after a flush.
	mustSet(t, c, "k0", `2`, time.Minute)
	wantValue(t, c, "k0", "2")
}

// cachePrefixIsolation checks that caches with different prefixes on one
// backend never see each other's keys, and flush only their own. The pairs
// include prefixes with the wildcards of Redis patterns and SQL LIKE, which
// an adapter matching prefixes by pattern must escape.
func cachePrefixIsolation(t *testing.T, newCache func(t *testing.T, prefix string) ports.Cache) {
	ctx := context.Background()
	for _, pair := range [][2]string{
		{"one:", "two:"},
		{"p*:", "pq:"},
		{"p?:", "pq:"},
		{"p[q]:", "pq:"},
		{"p_:", "px:"},
		{"p%:", "pxy:"},
		{`p\:`, `p\\:`},
	} {
		t.Run(pair[0]+"|"+pair[1], func(t *testing.T) {
			a, b := newCache(t, pair[0]), newCache(t, pair[1])
			mustSet(t, a, "k", `"a"`, time.Minute)
			wantValue(t, b, "k", "")
			mustSet(t, b, "k", `"b"`, time.Hour)
			mustSet(t, b, "only-b", `"b"`, time.Hour)
			wantValue(t, a, "k", `"a"`)
			wantValue(t, a, "only-b", "")
			if d, ok, err := a.TTL(ctx, "k"); err != nil || !ok || d > time.Minute {
				t.Errorf("a.TTL(k) = %v, %v, %v; want at most a minute (b's key lives an hour)", d, ok, err)
			}
			if err := a.Expire(ctx, "only-b", time.Second); err != nil {
				t.Fatalf("a.Expire(only-b): %v", err)
			}
			if d, _, _ := b.TTL(ctx, "only-b"); d < 59*time.Minute {
				t.Errorf("a.Expire(only-b) changed b's key: TTL %v", d)
			}
			if err := a.Delete(ctx, "only-b"); err != nil {
				t.Fatalf("a.Delete(only-b): %v", err)
			}
			wantValue(t, b, "only-b", `"b"`)
			if err := a.Flush(ctx); err != nil {
				t.Fatalf("a.Flush: %v", err)
			}
			wantValue(t, a, "k", "")
			wantValue(t, b, "k", `"b"`)
			wantValue(t, b, "only-b", `"b"`)
		})
	}
}

// cacheConcurrentWriters runs writers in parallel: each one's keys all land,
// and a key they all write ends with one of their values, whole.
func cacheConcurrentWriters(t *testing.T, c ports.Cache) {
	ctx := context.Background()
	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				v := []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))
				if err := c.Set(ctx, fmt.Sprintf("w%d-%d", w, i), v, time.Minute); err != nil {
					errs <- err
				}
				if err := c.Set(ctx, "shared", []byte(strconv.Itoa(w)), time.Minute); err != nil {
					errs <- err
				}
				if _, _, err := c.Get(ctx, "shared"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Set/Get: %v", err)
	}
	for w := range writers {
		for i := range each {
			wantValue(t, c, fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))
		}
	}
	got, ok, err := c.Get(ctx, "shared")
	if n, convErr := strconv.Atoi(string(got)); err != nil || !ok || convErr != nil || n < 0 || n >= writers {
		t.Errorf("Get(shared) = %s, %v, %v; want one writer's number", got, ok, err)
	}
}

// cacheCanceledContext checks every method answers Unavailable once its
// context is done, as a backend that cannot be reached would.
func cacheCanceledContext(t *testing.T, c ports.Cache) {
	mustSet(t, c, "k", `1`, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := map[string]func() error{
		"Healthy": func() error { return c.Healthy(ctx) },
		"Get":     func() error { _, _, err := c.Get(ctx, "k"); return err },
		"Set":     func() error { return c.Set(ctx, "k", []byte(`2`), time.Minute) },
		"Delete":  func() error { return c.Delete(ctx, "k") },
		"Expire":  func() error { return c.Expire(ctx, "k", time.Hour) },
		"TTL":     func() error { _, _, err := c.TTL(ctx, "k"); return err },
		"Flush":   func() error { return c.Flush(ctx) },
	}
	for name, call := range calls {
		err := call()
		if domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s(canceled): %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s(canceled): %v, want it to wrap context.Canceled", name, err)
		}
	}
	// Nothing a canceled call was asked to do happened.
	wantValue(t, c, "k", "1")
}
