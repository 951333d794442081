package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
)

// A pool from Open prepares each statement text once per connection, keeps
// it across transactions and rollbacks, and leaves statements without
// arguments, and those that failed to prepare, unprepared.
func TestOpenPreparesStatementsOnce(t *testing.T) {
	ctx := context.Background()
	db, err := postgres.Open(freshSchema(t), postgres.Bounds{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // one session: what it prepared is visible
	prepared := func() []string {
		t.Helper()
		var stmts []string
		if err := db.SelectContext(ctx, &stmts, `SELECT statement FROM pg_prepared_statements ORDER BY statement`); err != nil {
			t.Fatalf("list prepared statements: %v", err)
		}
		return stmts
	}
	const q = `SELECT $1::int + 1`
	for i := range 3 {
		var n int
		if err := db.QueryRowContext(ctx, q, i).Scan(&n); err != nil || n != i+1 {
			t.Fatalf("run %d: %d, %v", i, n, err)
		}
	}
	if got := prepared(); len(got) != 1 || got[0] != q {
		t.Fatalf("prepared statements after 3 runs = %q, want only %q", got, q)
	}

	// A rollback keeps the statement; a statement in an aborted
	// transaction fails as unprepared would, and is not cached.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, q, 41).Scan(&n); err != nil || n != 42 {
		t.Fatalf("in a transaction: %d, %v", n, err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1/0`); err == nil {
		t.Fatal("1/0 succeeded")
	}
	const other = `SELECT $1::int * 2`
	if err := tx.QueryRowContext(ctx, other, 2).Scan(&n); err == nil || !strings.Contains(err.Error(), "aborted") {
		t.Fatalf("statement in an aborted transaction: %v, want the aborted-transaction error", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if got := prepared(); len(got) != 1 || got[0] != q {
		t.Fatalf("prepared statements after the rollback = %q, want only %q", got, q)
	}
	if err := db.QueryRowContext(ctx, other, 2).Scan(&n); err != nil || n != 4 {
		t.Fatalf("after the rollback: %d, %v", n, err)
	}
	if got := prepared(); len(got) != 2 {
		t.Fatalf("prepared statements at the end = %q, want both", got)
	}
}
