package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// database/sql waits for a free connection for as long as the statement's
// context lasts, and that context also bounds the statement itself. To
// bound the wait alone, the adapters take a connection (*sql.Conn) under a
// context that ends after the pool timeout, and run the statement or the
// transaction on it under the caller's context.

// readCommitted is the isolation of every transaction: each statement sees
// what other units committed before it, and the list locks make writers
// take turns.
var readCommitted = &sql.TxOptions{Isolation: sql.LevelReadCommitted}

// acquire takes a connection of db's pool, waiting at most timeout for one
// when all are busy. A wait that runs out is Unavailable.
func acquire(ctx context.Context, db *sqlx.DB, timeout time.Duration) (*sqlx.Conn, error) {
	const op = "postgres.acquire"
	wait, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := db.Connx(wait)
	if err == nil {
		return c, nil
	}
	if ctx.Err() == nil && errors.Is(wait.Err(), context.DeadlineExceeded) {
		return nil, &domain.Error{Kind: domain.Unavailable, Op: op, Message: "no database connection free",
			Err: fmt.Errorf("no connection of the pool freed within %v: %w", timeout, err)}
	}
	return nil, translate(op, err)
}

// beginTx begins a READ COMMITTED transaction on a connection of db's
// pool, waiting for one at most the pool timeout.
func beginTx(ctx context.Context, db *sqlx.DB) (*sqlx.Tx, error) {
	timeout := boundsOf(db).PoolTimeout
	if timeout <= 0 {
		return db.BeginTxx(ctx, readCommitted)
	}
	c, err := acquire(ctx, db, timeout)
	if err != nil {
		return nil, err
	}
	tx, err := c.BeginTxx(ctx, readCommitted)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	release(c)
	return tx, nil
}

// release hands c back to the pool once what runs on it (a transaction,
// open rows) ends: sql.Conn.Close waits for that, so it runs aside.
func release(c *sqlx.Conn) {
	go func() { _ = c.Close() }()
}

// pooled runs each statement outside a unit of work on a connection taken
// within the pool timeout.
type pooled struct {
	db      *sqlx.DB
	timeout time.Duration
}

var _ querier = pooled{}

func (p pooled) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c, err := acquire(ctx, p.db, p.timeout)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.ExecContext(ctx, query, args...)
}

func (p pooled) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	c, err := acquire(ctx, p.db, p.timeout)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SelectContext(ctx, dest, query, args...)
}

func (p pooled) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c, err := acquire(ctx, p.db, p.timeout)
	if err != nil {
		return nil, err
	}
	rows, err := c.QueryContext(ctx, query, args...)
	release(c)
	return rows, err
}

func (p pooled) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	c, err := acquire(ctx, p.db, p.timeout)
	if err != nil {
		return nil, err
	}
	rows, err := c.QueryxContext(ctx, query, args...)
	release(c)
	return rows, err
}

func (p pooled) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	c, err := acquire(ctx, p.db, p.timeout)
	if err != nil {
		return failedRow(ctx, p.db)
	}
	row := c.QueryRowContext(ctx, query, args...)
	release(c)
	return row
}

func (p pooled) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	c, err := acquire(ctx, p.db, p.timeout)
	if err != nil {
		return p.db.QueryRowxContext(expired(ctx), "")
	}
	row := c.QueryRowxContext(ctx, query, args...)
	release(c)
	return row
}

// failedRow is a row whose Scan fails with context.DeadlineExceeded, which
// translate maps to Unavailable: *sql.Row cannot carry an error of ours,
// and database/sql answers an ended context without taking a connection.
func failedRow(ctx context.Context, db *sqlx.DB) *sql.Row {
	return db.QueryRowContext(expired(ctx), "")
}

// expired returns a context derived from ctx whose deadline has passed.
func expired(ctx context.Context) context.Context {
	c, cancel := context.WithDeadline(ctx, time.Time{})
	cancel() // Err stays DeadlineExceeded; Done is closed already
	return c
}
