package runnertest

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the driver the PostgreSQL backends run on
)

// FreshPostgresSchema creates an empty schema in the database of dsn,
// dropped at cleanup, and returns dsn with its search_path pointing at it,
// so that tests of several packages can share one database in parallel.
// A dsn that cannot be reached fails the test: callers skip only when no
// dsn is configured.
func FreshPostgresSchema(tb testing.TB, dsn string) string {
	tb.Helper()
	admin, err := sqlx.Connect("postgres", dsn)
	if err != nil {
		tb.Fatalf("connect to the test database: %v", err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		admin.Close()
		tb.Fatalf("random schema name: %v", err)
	}
	schema := "test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	return withSearchPath(tb, dsn, schema)
}

// withSearchPath adds search_path to a URL or key=value connection string;
// lib/pq sends unknown parameters to the server as run-time settings.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("parse the test database URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
