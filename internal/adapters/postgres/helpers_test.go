package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the driver the adapter runs on

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
)

// urlVar names the database the tests run against. Unset, the tests that
// need a server skip; set but unreachable, they fail.
const urlVar = "CLIQUET_TEST_POSTGRES_URL"

// testURL returns the test database URL or skips t.
func testURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(urlVar)
	if u == "" {
		t.Skipf("%s not set: PostgreSQL adapter tests skipped (example: %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable')", urlVar, urlVar)
	}
	return u
}

// freshSchema creates an empty schema for t, dropped at cleanup, and
// returns a connection string whose search_path points at it, so that
// tests and packages can share one database in parallel.
func freshSchema(t *testing.T) string {
	t.Helper()
	base := testURL(t)
	admin, err := sqlx.Connect("postgres", base)
	if err != nil {
		t.Fatalf("connect to %s: %v", urlVar, err) // set but unreachable: fail, never skip
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("random schema name: %v", err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return withSearchPath(t, base, schema)
}

// withSearchPath adds search_path to a URL or key=value connection string;
// lib/pq sends unknown parameters to the server as run-time settings.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", urlVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openDB connects to dsn as the service does (postgres.Open: statements
// prepared per connection), closing the pool at cleanup.
func openDB(t *testing.T, dsn string) *sqlx.DB {
	t.Helper()
	db, err := postgres.Open(dsn, postgres.Bounds{})
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { db.Close() })
	return db
}

// newDB returns a pool on a fresh, migrated schema.
func newDB(t *testing.T) *sqlx.DB {
	t.Helper()
	db := openDB(t, freshSchema(t))
	if err := postgres.Migrate(context.Background(), db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return db
}
