package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Bounds are the waits of one PostgreSQL pool, each 0 for none. Open
// applies them to every connection of the pool it returns, and the
// adapters built on that pool honour PoolTimeout.
type Bounds struct {
	// ConnectTimeout bounds opening a connection: dialing and the startup
	// handshake, so that a host that accepts TCP but never answers fails
	// too (lib/pq's connect_timeout, which covers both).
	ConnectTimeout time.Duration
	// StatementTimeout is the server's statement_timeout: a statement
	// running longer is cancelled by PostgreSQL (SQLSTATE 57014).
	StatementTimeout time.Duration
	// PoolTimeout bounds the wait for a free connection of the pool when
	// every one is busy.
	PoolTimeout time.Duration
	// Trace, when set, is called with every statement the pool's
	// connections send, BEGIN, COMMIT and ROLLBACK included, before it is
	// sent: what a request costs in statements can be counted (the tests
	// hold the engine to its budget that way).
	Trace func(statement string)
}

// stallTimeout is how long a connection may wait for the server to answer
// before it is deemed stalled: the server cancels a statement after
// StatementTimeout and then answers, so silence past that plus the time
// the network is given to connect means the database or the network is
// frozen. Without a statement timeout the server may legitimately take
// any time, so there is no such bound.
func (b Bounds) stallTimeout() time.Duration {
	if b.StatementTimeout <= 0 {
		return 0
	}
	margin := b.ConnectTimeout
	if margin <= 0 {
		margin = 10 * time.Second
	}
	return b.StatementTimeout + margin
}

// Open returns a pool on the database at url (a lib/pq URL or key=value
// string) whose connections honour b: ConnectTimeout and StatementTimeout
// replace any connect_timeout and statement_timeout url sets. It does not
// connect; the caller pings within its own deadline.
//
// Why the stall bound lives in the connection: lib/pq answers a context
// cancelled mid-statement by sending PostgreSQL a cancel request and
// waiting for the reply, so a frozen server (or network) would hold the
// statement forever, context or not. Every read and write on a connection
// of the pool therefore carries a deadline of the statement timeout plus
// the connect timeout; past it the read fails, lib/pq marks the connection
// bad, and the statement fails with a network error (Unavailable).
func Open(url string, b Bounds) (*sqlx.DB, error) {
	cfg, err := pq.NewConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	if b.ConnectTimeout > 0 {
		// lib/pq counts whole seconds; round up so a bound is never lost.
		cfg.ConnectTimeout = b.ConnectTimeout.Round(time.Second)
		if cfg.ConnectTimeout < b.ConnectTimeout {
			cfg.ConnectTimeout += time.Second
		}
	}
	// One round trip per statement instead of two: lib/pq then sends
	// parse, bind and execute together rather than preparing first. The
	// adapters pass no []byte argument, which this mode would send in
	// binary.
	cfg.BinaryParameters = true
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	// Sent in the startup packet, so every connection has it from its
	// first statement on; 0 turns it off explicitly, whatever the role's
	// or the server's default.
	cfg.Runtime["statement_timeout"] = strconv.FormatInt(b.StatementTimeout.Milliseconds(), 10)
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("database connector: %w", err)
	}
	c.Dialer(stallDialer{stall: b.stallTimeout()})
	return sqlx.NewDb(sql.OpenDB(&boundedConnector{Connector: c, drv: &boundedDriver{Driver: pq.Driver{}, bounds: b}}), "postgres"), nil
}

// boundedConnector is lib/pq's connector, whose Driver carries the
// pool's bounds so that the adapters can find them from the *sql.DB.
type boundedConnector struct {
	*pq.Connector
	drv *boundedDriver
}

// Driver returns the driver that carries the bounds.
func (c *boundedConnector) Driver() driver.Driver { return c.drv }

// Connect opens a lib/pq connection that keeps its statements prepared.
func (c *boundedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	cc := newCachingConn(conn)
	cc.trace = c.drv.bounds.Trace
	return cc, nil
}

// boundedDriver is lib/pq's driver plus the bounds of the pool.
type boundedDriver struct {
	pq.Driver
	bounds Bounds
}

// boundsOf returns the bounds db was opened with, or none for a pool that
// Open did not build.
func boundsOf(db *sqlx.DB) Bounds {
	if d, ok := db.Driver().(*boundedDriver); ok {
		return d.bounds
	}
	return Bounds{}
}

// stallDialer dials TCP and Unix sockets as lib/pq does, and gives every
// connection a deadline of stall per read and per write.
type stallDialer struct {
	stall time.Duration
}

func (d stallDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d stallDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d stallDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, address)
	if err != nil || d.stall <= 0 {
		return c, err
	}
	return &stallConn{Conn: c, stall: d.stall}, nil
}

// stallConn sets a fresh deadline before each read and write, so that a
// server that stops answering fails the statement waiting on it, while a
// long result that keeps flowing does not. A deadline lib/pq sets itself
// (connect_timeout during the handshake, and on cancel-request
// connections) still holds when it is the earlier one.
type stallConn struct {
	net.Conn
	stall time.Duration

	mu                    sync.Mutex
	fixedRead, fixedWrite time.Time
}

func (c *stallConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	fixed := c.fixedRead
	c.mu.Unlock()
	if err := c.Conn.SetReadDeadline(earliest(fixed, time.Now().Add(c.stall))); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *stallConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	fixed := c.fixedWrite
	c.mu.Unlock()
	if err := c.Conn.SetWriteDeadline(earliest(fixed, time.Now().Add(c.stall))); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

func (c *stallConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.fixedRead, c.fixedWrite = t, t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *stallConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.fixedRead = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

func (c *stallConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.fixedWrite = t
	c.mu.Unlock()
	return c.Conn.SetWriteDeadline(t)
}

// earliest returns the earlier of fixed (zero: none) and t.
func earliest(fixed, t time.Time) time.Time {
	if !fixed.IsZero() && fixed.Before(t) {
		return fixed
	}
	return t
}
