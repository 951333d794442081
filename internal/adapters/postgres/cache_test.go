package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

// TestCacheContract runs the suite on one migrated schema; each subtest's
// caches get prefixes under its own name, so they start empty while the
// two caches of a prefix isolation case share the table.
func TestCacheContract(t *testing.T) {
	db := newDB(t)
	portstest.RunCache(t, func(t *testing.T, prefix string) ports.Cache {
		return postgres.NewCache(db, postgres.CacheOptions{Prefix: t.Name() + "/" + prefix})
	})
}

// TestCacheSweepsExpiredRows: rows nobody reads again are deleted by a
// later write's sweep, whatever their prefix, and live rows stay.
func TestCacheSweepsExpiredRows(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	other := postgres.NewCache(db, postgres.CacheOptions{Prefix: "other:", SweepInterval: time.Hour})
	for _, k := range []string{"a", "b", "c"} {
		if err := other.Set(ctx, k, []byte(`1`), time.Millisecond); err != nil {
			t.Fatalf("Set(%s): %v", k, err)
		}
	}
	if err := other.Set(ctx, "live", []byte(`1`), time.Hour); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	c := postgres.NewCache(db, postgres.CacheOptions{Prefix: "mine:", SweepInterval: time.Nanosecond, SweepBatch: 2})
	count := func() (n int) {
		t.Helper()
		if err := db.Get(&n, `SELECT count(*) FROM cache_entries WHERE key LIKE 'other:%'`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := c.Set(ctx, "k", []byte(`1`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 { // a batch of 2 of the 3 expired rows went
		t.Errorf("rows of other: after one sweep of 2 = %d, want 2", n)
	}
	if err := c.Set(ctx, "k", []byte(`2`), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("rows of other: after two sweeps = %d, want 1 (the live one)", n)
	}
	// Get deletes the expired row it finds.
	if err := c.Set(ctx, "gone", []byte(`1`), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, ok, err := c.Get(ctx, "gone"); ok || err != nil {
		t.Fatalf("Get(expired) = %v, %v", ok, err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM cache_entries WHERE key = 'mine:gone'`); err != nil || n != 0 {
		t.Errorf("expired row after Get: %d rows, %v; want deleted", n, err)
	}
}

// TestCacheSharedByNodes: two pools on one database (two nodes) see each
// other's writes and deletes at once.
func TestCacheSharedByNodes(t *testing.T) {
	dsn := freshSchema(t)
	first := openDB(t, dsn)
	if err := postgres.Migrate(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	a := postgres.NewCache(first, postgres.CacheOptions{Prefix: "kinto:"})
	b := postgres.NewCache(openDB(t, dsn), postgres.CacheOptions{Prefix: "kinto:"})
	ctx := context.Background()
	if err := a.Set(ctx, "k", []byte(`"v"`), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.Get(ctx, "k"); err != nil || !ok || string(v) != `"v"` {
		t.Fatalf("other node's Get = %s, %v, %v; want \"v\"", v, ok, err)
	}
	if err := b.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := a.Get(ctx, "k"); ok || err != nil {
		t.Errorf("Get after the other node's Delete = %v, %v; want missing", ok, err)
	}
}
