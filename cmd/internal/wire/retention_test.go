package wire_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// settableClock is a fake clock the tests move by hand.
type settableClock struct{ ms atomic.Int64 }

func newSettableClock(ms int64) *settableClock {
	c := &settableClock{}
	c.ms.Store(ms)
	return c
}

func (c *settableClock) NowMillis() int64 { return c.ms.Load() }
func (c *settableClock) set(ms int64)     { c.ms.Store(ms) }

const (
	day    = int64(24 * time.Hour / time.Millisecond)
	t0     = int64(1_700_000_000_000)
	recent = t0 + 9*day // when the young tombstones are made
	now    = t0 + 10*day
)

// tombstoneFixture writes, with clock, one old and one young tombstone in
// each of two lists of records, one old tombstone of a bucket and a live
// record, and moves clock to now. With a retention of 5 days, the old
// ones (3) are past the horizon and the young ones (2) are not.
func tombstoneFixture(t *testing.T, s ports.Storage, clock *settableClock) {
	t.Helper()
	ctx := context.Background()
	write := func(at int64, p domain.Parent, id string, del bool) {
		t.Helper()
		clock.set(at)
		if !del {
			if _, err := s.Create(ctx, p, domain.Record{ID: id, Data: map[string]any{}}, nil); err != nil {
				t.Fatalf("Create %s %s: %v", p, id, err)
			}
			return
		}
		if _, err := s.Delete(ctx, p, id, 0); err != nil {
			t.Fatalf("Delete %s %s: %v", p, id, err)
		}
	}
	buckets := domain.Parent{Resource: "bucket", ID: ""}
	for _, p := range []domain.Parent{
		{Resource: "record", ID: "/buckets/b/collections/c1"},
		{Resource: "record", ID: "/buckets/b/collections/c2"},
	} {
		write(t0, p, "old", false)
		write(t0, p, "young", false)
		write(t0, p, "live", false)
		write(t0+day, p, "old", true)
		write(recent, p, "young", true)
	}
	write(t0, buckets, "gone", false)
	write(t0+day, buckets, "gone", true)
	clock.set(now)
}

// tombstoneIDs lists the ids of the tombstones of p.
func tombstoneIDs(t *testing.T, s ports.Storage, p domain.Parent) []string {
	t.Helper()
	recs, err := s.List(context.Background(), p, domain.Query{WithDeleted: true, Limit: 100,
		Sort: []domain.Sort{{Field: "id"}}})
	if err != nil {
		t.Fatalf("List %s: %v", p, err)
	}
	var ids []string
	for _, r := range recs {
		if r.Deleted {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// checkPurged fails t unless the old tombstones of tombstoneFixture are
// gone and the young ones and the live records stay.
func checkPurged(t *testing.T, s ports.Storage) {
	t.Helper()
	for _, c := range []string{"c1", "c2"} {
		p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/" + c}
		if got := tombstoneIDs(t, s, p); !slices.Equal(got, []string{"young"}) {
			t.Errorf("tombstones of %s after the purge = %q, want only the young one", c, got)
		}
		if _, err := s.Get(context.Background(), p, "live"); err != nil {
			t.Errorf("live record of %s after the purge: %v, want it kept", c, err)
		}
	}
	if got := tombstoneIDs(t, s, domain.Parent{Resource: "bucket"}); len(got) != 0 {
		t.Errorf("bucket tombstones after the purge = %q, want none", got)
	}
}

func newPurger(s ports.Storage, clock domain.Clock, log logrus.FieldLogger) *wire.TombstonePurger {
	return &wire.TombstonePurger{
		Storage:   s,
		Resources: []string{"record", "collection", "group", "bucket", "account"},
		Retention: 5 * 24 * time.Hour,
		Interval:  time.Hour,
		Timeout:   time.Minute,
		Clock:     clock,
		Log:       log,
	}
}

func TestTombstonePurgeOnceRemovesOnlyTheOldOnes(t *testing.T) {
	clock := newSettableClock(t0)
	s := memory.NewStorage(clock)
	tombstoneFixture(t, s, clock)
	log, _ := logtest.NewNullLogger()
	p := newPurger(s, clock, log)

	n, err := p.PurgeOnce(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("PurgeOnce = %d, %v; want 3 (two old records, one old bucket)", n, err)
	}
	checkPurged(t, s)
	// Idempotent: another node purging after finds nothing left.
	if n, err := p.PurgeOnce(context.Background()); err != nil || n != 0 {
		t.Errorf("second PurgeOnce = %d, %v; want 0", n, err)
	}
}

func TestTombstonePurgeKeepsAllWhenTheHorizonIsBeforeTheEpoch(t *testing.T) {
	clock := newSettableClock(t0)
	s := memory.NewStorage(clock)
	tombstoneFixture(t, s, clock)
	log, _ := logtest.NewNullLogger()
	p := newPurger(s, clock, log)
	// A horizon at or below 0 must not become PurgeOptions' "every
	// tombstone".
	p.Retention = time.Duration(now) * time.Millisecond
	if n, err := p.PurgeOnce(context.Background()); err != nil || n != 0 {
		t.Errorf("PurgeOnce with the horizon at the epoch = %d, %v; want 0", n, err)
	}
}

// TestTombstonePurgerRunsUntilCancelled runs the loop with a short
// interval: it purges at once and at each tick, logs the count, and its
// goroutine ends when the context does.
func TestTombstonePurgerRunsUntilCancelled(t *testing.T) {
	clock := newSettableClock(t0)
	store := &countingStorage{Storage: memory.NewStorage(clock)}
	tombstoneFixture(t, store, clock)
	log, hook := logtest.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	p := newPurger(store, clock, log)
	p.Interval = 5 * time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	wait := p.Start(ctx)
	// The first round purges, the next find nothing. A round is counted
	// before it logs, so a fourth one starting means three were logged.
	deadline := time.Now().Add(10 * time.Second)
	for store.rounds() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	stopped := make(chan struct{})
	go func() { wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the purger did not stop within 5s of its context ending")
	}
	if r := store.rounds(); r < 4 {
		t.Fatalf("the purger ran %d rounds in 10s at a 5ms interval, want at least 4", r)
	}
	// Stopped means stopped: no round after wait returned.
	r := store.rounds()
	time.Sleep(20 * time.Millisecond)
	if got := store.rounds(); got != r {
		t.Errorf("purge rounds went from %d to %d after wait returned", r, got)
	}
	checkPurged(t, store)

	var purged, idle int
	for _, e := range hook.AllEntries() {
		switch e.Message {
		case "tombstone retention: purged old tombstones":
			purged++
			if e.Level != logrus.InfoLevel || e.Data["purged"] != 3 {
				t.Errorf("purge log %v %v, want info with purged=3", e.Level, e.Data)
			}
		case "tombstone retention: no tombstone to purge":
			idle++
			if e.Level != logrus.DebugLevel || e.Data["purged"] != 0 {
				t.Errorf("idle purge log %v %v, want debug with purged=0", e.Level, e.Data)
			}
		}
		if e.Level <= logrus.ErrorLevel {
			t.Errorf("logged %v %q %v, want no error (a cancelled purge is no failure)", e.Level, e.Message, e.Data)
		}
	}
	if purged != 1 || idle < 2 {
		t.Errorf("logged %d purges and %d idle rounds, want 1 and at least 2", purged, idle)
	}
}

// TestTombstonePurgerLogsErrorsAndGoesOn: a resource that fails does not
// stop the others, nor the next rounds.
func TestTombstonePurgerLogsErrorsAndGoesOn(t *testing.T) {
	clock := newSettableClock(t0)
	store := &countingStorage{Storage: memory.NewStorage(clock), fail: "record"}
	tombstoneFixture(t, store, clock)
	log, hook := logtest.NewNullLogger()
	p := newPurger(store, clock, log)

	n, err := p.PurgeOnce(context.Background())
	if n != 1 || err == nil || !strings.Contains(err.Error(), "purge record tombstones") || !errors.Is(err, errBackendDown) {
		t.Fatalf("PurgeOnce with record failing = %d, %v; want the bucket's 1 and the record's error", n, err)
	}

	p.Interval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	wait := p.Start(ctx)
	// PurgeOnce above was round 1; rounds 2 and 3 are logged once a
	// fourth starts.
	deadline := time.Now().Add(10 * time.Second)
	for store.rounds() < 4 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	wait()
	failures := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.ErrorLevel && strings.Contains(e.Message, "purge failed") {
			failures++
			if err, _ := e.Data[logrus.ErrorKey].(error); !errors.Is(err, errBackendDown) {
				t.Errorf("failure log error = %v, want the backend's", e.Data[logrus.ErrorKey])
			}
		}
	}
	if failures < 2 {
		t.Errorf("logged %d failed purges over %d rounds, want one per round (at least 2)", failures, store.rounds())
	}
}

// TestTombstonePurgeIsBoundedByItsTimeout: a storage that never answers
// holds a purge no longer than Timeout.
func TestTombstonePurgeIsBoundedByItsTimeout(t *testing.T) {
	clock := newSettableClock(now)
	log, _ := logtest.NewNullLogger()
	p := newPurger(hangingStorage{Storage: memory.NewStorage(clock)}, clock, log)
	p.Timeout = 20 * time.Millisecond
	start := time.Now()
	_, err := p.PurgeOnce(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("PurgeOnce on a hanging storage = %v, want the deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("PurgeOnce on a hanging storage took %v, want about its 20ms timeout", d)
	}
}

func TestNoTombstonePurgerWithoutRetention(t *testing.T) {
	core := loadCore(t, nil)
	log, _ := logtest.NewNullLogger()
	p := wire.NewTombstonePurger(core, memory.NewStorage(stamp), []string{"record"}, stamp, log)
	if p != nil {
		t.Fatalf("NewTombstonePurger without tombstones_retention_seconds = %+v, want nil", p)
	}
	p.Start(context.Background())() // a nil purger starts nothing and waits for nothing

	core = loadCore(t, map[string]string{"DEMO_TOMBSTONES_RETENTION_SECONDS": "86400", "DEMO_TOMBSTONES_PURGE_INTERVAL_SECONDS": "60"})
	p = wire.NewTombstonePurger(core, memory.NewStorage(stamp), []string{"record"}, stamp, log)
	if p == nil || p.Retention != 24*time.Hour || p.Interval != time.Minute || p.Timeout != 5*time.Minute {
		t.Fatalf("NewTombstonePurger(retention 1 day, interval 60s) = %+v, want those and the default 5 minute timeout", p)
	}
}

var errBackendDown = errors.New("backend down")

// countingStorage counts the purge rounds (a round ends with "account")
// and fails the purges of resource fail.
type countingStorage struct {
	ports.Storage
	fail string
	mu   sync.Mutex
	n    int
}

func (s *countingStorage) PurgeDeleted(ctx context.Context, resource string, opts ports.PurgeOptions) (int, error) {
	if opts.Before <= 0 {
		return 0, errors.New("the purger asked to purge every tombstone")
	}
	if resource == "account" { // the last of a round
		s.mu.Lock()
		s.n++
		s.mu.Unlock()
	}
	if resource == s.fail {
		return 0, errBackendDown
	}
	return s.Storage.PurgeDeleted(ctx, resource, opts)
}

func (s *countingStorage) rounds() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// hangingStorage purges until its context ends.
type hangingStorage struct{ ports.Storage }

func (hangingStorage) PurgeDeleted(ctx context.Context, _ string, _ ports.PurgeOptions) (int, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// TestTombstonePurgeOnPostgres runs the background purge over a migrated
// PostgreSQL storage: it removes the old tombstones of every list and
// keeps the young ones and the live records.
func TestTombstonePurgeOnPostgres(t *testing.T) {
	dsn := runnertest.FreshPostgresSchema(t, postgresURL(t))
	env := map[string]string{
		"DEMO_STORAGE_BACKEND": "postgresql", "DEMO_STORAGE_URL": dsn,
		"DEMO_PERMISSION_BACKEND": "postgresql", "DEMO_PERMISSION_URL": dsn,
		"DEMO_STORAGE_POOL_SIZE":            "2",
		"DEMO_TOMBSTONES_RETENTION_SECONDS": "432000", // 5 days
	}
	core := loadCore(t, env)
	if code, _, errOut := runnertest.Run(t, migrating(demoOptions), "migrate"); code != runner.ExitOK {
		t.Fatalf("migrate: exit %d, stderr %q", code, errOut)
	}
	clock := newSettableClock(t0)
	ctx := context.Background()
	b, err := wire.OpenBackends(ctx, core, clock, demoOptions)
	if err != nil {
		t.Fatalf("OpenBackends: %v", err)
	}
	log, hook := logtest.NewNullLogger()
	defer b.Close(log)
	tombstoneFixture(t, b.Storage, clock)

	p := wire.NewTombstonePurger(core, b.Storage, []string{"record", "collection", "group", "bucket", "account"}, clock, log)
	if p == nil {
		t.Fatal("NewTombstonePurger with a retention = nil")
	}
	runCtx, cancel := context.WithCancel(ctx)
	wait := p.Start(runCtx) // the first purge is at once
	deadline := time.Now().Add(10 * time.Second)
	for !hasEntry(hook, "tombstone retention: purged old tombstones") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	wait()
	if e := hook.LastEntry(); e == nil || !hasEntry(hook, "tombstone retention: purged old tombstones") {
		t.Fatalf("no purge logged in 10s; logs: %v", hook.AllEntries())
	}
	for _, e := range hook.AllEntries() {
		if e.Message == "tombstone retention: purged old tombstones" && e.Data["purged"] != 3 {
			t.Errorf("purge logged %v, want purged=3", e.Data)
		}
	}
	checkPurged(t, b.Storage)
}

func hasEntry(hook *logtest.Hook, msg string) bool {
	for _, e := range hook.AllEntries() {
		if e.Message == msg {
			return true
		}
	}
	return false
}
