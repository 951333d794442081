package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"strings"
)

// customPlanHint starts the statements that must be planned with their
// parameters' values each time, which an unprepared (unnamed) statement
// is: a prepared one switches to a generic plan after five runs, and for
// a containment filter (data @> $n) that plan cannot tell a value held by
// a hundred rows from one held by half the list, and scans the list by
// timestamp, hundreds of times slower on a rare value.
const customPlanHint = "/* custom plan */ "

// maxCachedStatements bounds the statements each connection keeps
// prepared. The adapters' statements take every value as a parameter, so
// their texts are few (one per shape of query); past the bound, new texts
// run unprepared.
const maxCachedStatements = 256

// cachingConn is a lib/pq connection that prepares each statement text
// once and then runs it by name: PostgreSQL neither parses nor plans it
// again, and each run is one round trip (bind, execute). Statements
// without arguments keep lib/pq's simple query, which is one round trip
// already.
//
// Prepared statements belong to the session, not to a transaction, so a
// rollback keeps them; a statement that failed to prepare (in an aborted
// transaction, say) is not cached and runs unprepared.
type cachingConn struct {
	conn  driver.Conn
	stmts map[string]driver.Stmt
	trace func(statement string) // Bounds.Trace; nil for none
}

func (c *cachingConn) traced(statement string) {
	if c.trace != nil {
		c.trace(statement)
	}
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.NamedValueChecker  = (*cachingConn)(nil)
)

func newCachingConn(c driver.Conn) *cachingConn {
	return &cachingConn{conn: c, stmts: map[string]driver.Stmt{}}
}

// prepared returns the statement of query, preparing it on first use, or
// nil when it should run unprepared.
func (c *cachingConn) prepared(ctx context.Context, query string, args []driver.NamedValue) driver.Stmt {
	if len(args) == 0 || strings.HasPrefix(query, customPlanHint) {
		return nil
	}
	if st, ok := c.stmts[query]; ok {
		return st
	}
	if len(c.stmts) >= maxCachedStatements {
		return nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil // run unprepared: the same error comes back from there
	}
	c.stmts[query] = st
	return st
}

// QueryContext runs query by name when it is cached.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.traced(query)
	if st, ok := c.prepared(ctx, query, args).(driver.StmtQueryContext); ok {
		return st.QueryContext(ctx, args)
	}
	q, ok := c.conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return q.QueryContext(ctx, query, args)
}

// ExecContext runs query by name when it is cached.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.traced(query)
	if st, ok := c.prepared(ctx, query, args).(driver.StmtExecContext); ok {
		return st.ExecContext(ctx, args)
	}
	e, ok := c.conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	return e.ExecContext(ctx, query, args)
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.conn.Prepare(query)
}

// Close closes the connection; its prepared statements go with the
// session.
func (c *cachingConn) Close() error { return c.conn.Close() }

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.conn.(driver.ConnBeginTx); ok {
		c.traced("BEGIN")
		tx, err := b.BeginTx(ctx, opts)
		if err != nil || c.trace == nil {
			return tx, err
		}
		return tracedTx{tx, c.trace}, nil
	}
	return nil, errors.New("postgres: driver connection cannot begin with options")
}

// tracedTx reports the end of a transaction to Bounds.Trace.
type tracedTx struct {
	tx    driver.Tx
	trace func(statement string)
}

func (t tracedTx) Commit() error {
	t.trace("COMMIT")
	return t.tx.Commit()
}

func (t tracedTx) Rollback() error {
	t.trace("ROLLBACK")
	return t.tx.Rollback()
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
