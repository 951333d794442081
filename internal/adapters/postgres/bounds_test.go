package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres/postgrestest"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// openBounded opens a pool with bounds b on dsn, migrated, closed at
// cleanup.
func openBounded(t *testing.T, dsn string, b postgres.Bounds) *sqlx.DB {
	t.Helper()
	db, err := postgres.Open(dsn, b)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}

func TestStatementTimeoutIsUnavailable(t *testing.T) {
	db := openBounded(t, freshSchema(t), postgres.Bounds{
		ConnectTimeout: 2 * time.Second, StatementTimeout: 250 * time.Millisecond, PoolTimeout: 2 * time.Second,
	})
	var setting string
	if err := db.Get(&setting, `SHOW statement_timeout`); err != nil || setting != "250ms" {
		t.Fatalf("SHOW statement_timeout = %q, %v; want 250ms", setting, err)
	}
	start := time.Now()
	_, err := db.Exec(`SELECT pg_sleep(5)`)
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("pg_sleep(5) succeeded despite a 250ms statement timeout")
	}
	if kind := domain.KindOf(postgres.Translate("test", err)); kind != domain.Unavailable {
		t.Errorf("pg_sleep past statement_timeout: %v (kind %v), want Unavailable", err, kind)
	}
	if elapsed > 2*time.Second {
		t.Errorf("pg_sleep(5) took %v, want it cancelled after about 250ms", elapsed)
	}
}

func TestZeroStatementTimeoutIsNone(t *testing.T) {
	db := openBounded(t, freshSchema(t), postgres.Bounds{ConnectTimeout: 2 * time.Second, PoolTimeout: time.Second})
	var setting string
	if err := db.Get(&setting, `SHOW statement_timeout`); err != nil || setting != "0" {
		t.Fatalf("SHOW statement_timeout = %q, %v; want 0", setting, err)
	}
}

// frozenBound is the most a statement on a frozen database may take with
// the bounds of TestFrozenDatabase: the stall deadline (statement plus
// connect timeout), and slack for a loaded machine.
const (
	frozenStatement = 300 * time.Millisecond
	frozenConnect   = time.Second
	frozenBound     = frozenStatement + frozenConnect + 1500*time.Millisecond
)

func TestFrozenDatabaseIsUnavailableWithinBound(t *testing.T) {
	dsn := freshSchema(t)
	proxy := postgrestest.NewProxy(t, dsn)
	db := openBounded(t, proxy.URL(t, dsn), postgres.Bounds{
		ConnectTimeout: frozenConnect, StatementTimeout: frozenStatement, PoolTimeout: time.Second,
	})
	st := postgres.NewStore(db, nil)
	ctx := context.Background()
	rec, err := st.Storage().Create(ctx, parent, domain.Record{ID: "r1", Data: map[string]any{"a": "b"}}, nil)
	if err != nil {
		t.Fatalf("Create before freezing: %v", err)
	}

	proxy.Freeze()
	start := time.Now()
	_, err = st.Storage().Get(ctx, parent, rec.ID)
	if elapsed := time.Since(start); elapsed > frozenBound {
		t.Errorf("Get on a frozen database took %v, want at most %v", elapsed, frozenBound)
	}
	if domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Get on a frozen database: %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}
	start = time.Now()
	err = st.Atomically(ctx, func(ctx context.Context) error {
		_, err := st.Storage().Create(ctx, parent, domain.Record{ID: "r2", Data: map[string]any{"a": "c"}}, nil)
		return err
	})
	// A new connection may be needed (the stalled one is discarded), which
	// the connect timeout bounds before the stall deadline does.
	if elapsed := time.Since(start); elapsed > frozenBound {
		t.Errorf("unit of work on a frozen database took %v, want at most %v", elapsed, frozenBound)
	}
	if domain.KindOf(err) != domain.Unavailable {
		t.Errorf("unit of work on a frozen database: %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}

	proxy.Thaw()
	if _, err := st.Storage().Get(ctx, parent, rec.ID); err != nil {
		t.Errorf("Get after thawing: %v, want the record", err)
	}
	if err := st.Atomically(ctx, func(ctx context.Context) error {
		_, err := st.Storage().Create(ctx, parent, domain.Record{ID: "r3", Data: map[string]any{"a": "d"}}, nil)
		return err
	}); err != nil {
		t.Errorf("unit of work after thawing: %v", err)
	}
}

func TestConnectTimeoutBoundsSilentServer(t *testing.T) {
	dsn := freshSchema(t)
	proxy := postgrestest.NewProxy(t, dsn)
	proxy.Freeze() // accepts TCP, never answers the handshake
	db, err := postgres.Open(proxy.URL(t, dsn), postgres.Bounds{
		ConnectTimeout: time.Second, StatementTimeout: time.Second, PoolTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	start := time.Now()
	err = db.PingContext(context.Background())
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Ping of a silent server took %v, want about the 1s connect timeout", elapsed)
	}
	if err == nil {
		t.Fatal("Ping of a silent server succeeded")
	}
	if kind := domain.KindOf(postgres.Translate("test", err)); kind != domain.Unavailable {
		t.Errorf("Ping of a silent server: %v (kind %v), want Unavailable", err, kind)
	}
}

func TestPoolTimeout(t *testing.T) {
	const wait = 300 * time.Millisecond
	db := openBounded(t, freshSchema(t), postgres.Bounds{
		ConnectTimeout: 2 * time.Second, StatementTimeout: 5 * time.Second, PoolTimeout: wait,
	})
	db.SetMaxOpenConns(1)
	st := postgres.NewStore(db, nil)
	ctx := context.Background()

	held, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Atomically(ctx, func(ctx context.Context) error {
			if _, err := st.Storage().Create(ctx, parent, domain.Record{ID: "r4", Data: map[string]any{}}, nil); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("unit holding the only connection: %v", err)
	}

	for name, call := range map[string]func() error{
		"statement": func() error { _, err := st.Storage().List(ctx, parent, domain.Query{}); return err },
		"unit": func() error {
			return st.Atomically(ctx, func(context.Context) error { return nil })
		},
		"own transaction": func() error {
			_, err := st.Storage().Create(ctx, parent, domain.Record{ID: "r5", Data: map[string]any{}}, nil)
			return err
		},
	} {
		start := time.Now()
		err := call()
		elapsed := time.Since(start)
		if domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s with the pool busy: %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
		if elapsed < wait || elapsed > wait+time.Second {
			t.Errorf("%s with the pool busy failed after %v, want about %v", name, elapsed, wait)
		}
	}

	close(release)
	if err := <-done; err != nil {
		t.Fatalf("unit holding the connection: %v", err)
	}
	// The connection went back to the pool with the end of the unit.
	if _, err := st.Storage().List(ctx, parent, domain.Query{}); err != nil {
		t.Errorf("List once the pool is free: %v", err)
	}
}

func TestPoolTimeoutKeepsCallerCancellation(t *testing.T) {
	db := openBounded(t, freshSchema(t), postgres.Bounds{
		ConnectTimeout: 2 * time.Second, StatementTimeout: 5 * time.Second, PoolTimeout: 5 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := postgres.NewStorage(db, nil).List(ctx, parent, domain.Query{})
	if domain.KindOf(err) != domain.Unavailable || !errors.Is(err, context.Canceled) {
		t.Errorf("List with a cancelled context: %v, want Unavailable wrapping context.Canceled", err)
	}
}
