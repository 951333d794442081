// Package redis holds the adapters on Redis, through a redigo pool: the
// cache (Kinto's kinto_redis.cache), the storage and the permission
// backend, and the Store that makes storage and permission writes units of
// work (see Store for the design: one lock per store, an undo log in
// Redis, readers kept off uncommitted writes).
package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// PoolOptions size and bound a pool of connections to one Redis server.
type PoolOptions struct {
	// URL is redis://[user:password@]host[:port][/db] (rediss:// for TLS).
	URL string
	// Size is the connections kept idle, and Overflow more are opened
	// under load; Size+Overflow is the most open at once.
	Size, Overflow int
	// PoolTimeout bounds the wait for a free connection when all are
	// busy (and the dial of a new one); 0 waits as long as the request's
	// context.
	PoolTimeout time.Duration
	// ConnectTimeout bounds dialing and the handshake (AUTH, SELECT).
	ConnectTimeout time.Duration
	// CommandTimeout bounds each read and write of a command, so that a
	// frozen server or network fails the command instead of holding it.
	CommandTimeout time.Duration
	// MaxLifetime closes connections older than this (0: never).
	MaxLifetime time.Duration
}

// Pool is a redigo pool with the wait bound of PoolOptions.PoolTimeout.
type Pool struct {
	pool        *redigo.Pool
	poolTimeout time.Duration
	// db is the URL's database number ("0" when none): pub/sub channels
	// are server-wide, so a change feed names its channel after it.
	db string
}

// NewPool checks opts.URL and returns a pool on it. It does not connect;
// the caller pings within its own deadline.
func NewPool(opts PoolOptions) (*Pool, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("redis url: scheme %q, want redis or rediss", u.Scheme)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db != "" && strings.Trim(db, "0123456789") != "" {
		return nil, fmt.Errorf("redis url: database %q is not a number", db)
	}
	if db == "" {
		db = "0"
	}
	size := max(opts.Size, 1)
	dialOpts := []redigo.DialOption{
		redigo.DialConnectTimeout(opts.ConnectTimeout),
		redigo.DialReadTimeout(opts.CommandTimeout),
		redigo.DialWriteTimeout(opts.CommandTimeout),
	}
	p := &redigo.Pool{
		MaxIdle:         size,
		MaxActive:       size + max(opts.Overflow, 0),
		Wait:            true, // bounded by PoolTimeout in get
		IdleTimeout:     5 * time.Minute,
		MaxConnLifetime: opts.MaxLifetime,
		DialContext: func(ctx context.Context) (redigo.Conn, error) {
			if opts.ConnectTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, opts.ConnectTimeout)
				defer cancel()
			}
			return redigo.DialURLContext(ctx, opts.URL, dialOpts...)
		},
		// A connection idle for a while may have been cut (server restart,
		// idle timeout of a proxy): ping it before use rather than fail the
		// request that borrows it.
		TestOnBorrowContext: func(ctx context.Context, c redigo.Conn, lastUsed time.Time) error {
			if time.Since(lastUsed) < time.Minute {
				return nil
			}
			_, err := redigo.DoContext(c, ctx, "PING")
			return err
		},
	}
	return &Pool{pool: p, poolTimeout: opts.PoolTimeout, db: db}, nil
}

// Close closes the pool's connections.
func (p *Pool) Close() error { return p.pool.Close() }

// Stats returns how many connections the pool holds and how many of them
// are idle.
func (p *Pool) Stats() (open, idle int) {
	st := p.pool.Stats()
	return st.ActiveCount, st.IdleCount
}

// script runs a Lua script on a connection of the pool under ctx; a nil
// reply is no error.
func (p *Pool) script(ctx context.Context, op string, sc *redigo.Script, keysAndArgs ...any) (any, error) {
	c, err := p.get(ctx, op)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reply, err := sc.DoContext(ctx, c, keysAndArgs...)
	if err != nil && !errors.Is(err, redigo.ErrNil) {
		return nil, translate(op, ctx, err)
	}
	return reply, nil
}

// do runs one command on a connection of the pool under ctx, translating
// errors at the adapter's boundary.
func (p *Pool) do(ctx context.Context, op, cmd string, args ...any) (any, error) {
	c, err := p.get(ctx, op)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reply, err := redigo.DoContext(c, ctx, cmd, args...)
	if err != nil && !errors.Is(err, redigo.ErrNil) {
		return nil, translate(op, ctx, err)
	}
	return reply, nil
}

// get takes a connection, waiting at most the pool timeout for one.
func (p *Pool) get(ctx context.Context, op string) (redigo.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, translate(op, ctx, err)
	}
	wait := ctx
	if p.poolTimeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, p.poolTimeout)
		defer cancel()
	}
	c, err := p.pool.GetContext(wait)
	if err == nil {
		return c, nil
	}
	if ctx.Err() == nil && errors.Is(wait.Err(), context.DeadlineExceeded) {
		return nil, &domain.Error{Kind: domain.Unavailable, Op: op, Message: "no Redis connection free",
			Err: fmt.Errorf("no connection of the pool freed within %v: %w", p.poolTimeout, err)}
	}
	return nil, translate(op, ctx, err)
}

// translate turns a redigo or network error into a *domain.Error: an ended
// context, an unreachable or frozen server and a full pool are
// Unavailable; an error the server replied is Internal (a bug here, or a
// server that refuses writes, which redigo reports the same way).
func translate(op string, ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if domain.AsError(err) != nil {
		return err
	}
	var reply redigo.Error
	var netErr net.Error
	switch {
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		// redigo reports a command cut by its context as the closed
		// connection's error; say why it was cut.
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "Redis request interrupted", Err: fmt.Errorf("%w: %v", ctx.Err(), err)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "Redis request interrupted", Err: err}
	case errors.As(err, &reply):
		if strings.HasPrefix(string(reply), "LOADING") || strings.HasPrefix(string(reply), "READONLY") ||
			strings.HasPrefix(string(reply), "MASTERDOWN") || strings.HasPrefix(string(reply), "BUSY") ||
			strings.HasPrefix(string(reply), "CLIQUETLOCK") { // a unit whose lease expired
			return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "Redis unavailable", Err: err}
		}
		return &domain.Error{Kind: domain.Internal, Op: op, Err: err}
	case errors.Is(err, redigo.ErrPoolExhausted), errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		strings.Contains(err.Error(), "closed pool"), strings.Contains(err.Error(), "connection closed"):
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "Redis unavailable", Err: err}
	}
	return &domain.Error{Kind: domain.Internal, Op: op, Err: err}
}

// Ping checks that the server answers within ctx.
func (p *Pool) Ping(ctx context.Context) error {
	_, err := p.do(ctx, "redis.Pool.Ping", "PING")
	return err
}
