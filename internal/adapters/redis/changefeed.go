package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.ChangeFeed = (*ChangeFeed)(nil)

// ChangeFeedOptions name and bound a Redis change feed.
type ChangeFeedOptions struct {
	// Channel is the pub/sub channel the processes share; the feed adds
	// the pool's database number to it, since pub/sub channels are
	// server-wide while the data is per database.
	Channel string
	// Timeout bounds each dial of the subscription connection, the
	// acknowledgement of its SUBSCRIBE and the answer to its health PING.
	Timeout time.Duration
	// Heartbeat is the time between two PINGs on an idle subscription
	// connection, so that a server or network gone silent is noticed
	// within Heartbeat+Timeout instead of never.
	Heartbeat time.Duration
	// Reconnect caps the wait between two attempts to reconnect a lost
	// subscription connection (the first comes at once, then the wait
	// doubles up to Reconnect).
	Reconnect time.Duration
	// OnError receives the losses of the subscription connection and the
	// messages that could not be read; nil ignores them.
	OnError func(error)
}

// ChangeFeed is the Redis ports.ChangeFeed: Publish sends a PUBLISH on one
// channel through the pool, and one subscription connection per process,
// outside the pool, hands what arrives to the process's subscriptions.
// Every process on the same database, this one included, hears every
// change. A lost subscription connection is reconnected; the subscriptions
// are then woken, since messages sent meanwhile were lost.
type ChangeFeed struct {
	pool    *Pool
	channel string
	opts    ChangeFeedOptions
	hub     *ports.ChangeHub

	// ctx ends at Close and cuts a dial or a reconnection wait.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	conn redigo.PubSubConn // the current subscription connection
	id   int64             // its CLIENT ID, for tests that cut it
}

// NewChangeFeed subscribes to the feed's channel on a connection of its
// own and returns the running feed. It fails with domain.Unavailable when
// the subscription is not acknowledged within opts.Timeout.
func NewChangeFeed(pool *Pool, opts ChangeFeedOptions) (*ChangeFeed, error) {
	if opts.OnError == nil {
		opts.OnError = func(error) {}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 30 * time.Second
	}
	if opts.Reconnect <= 0 {
		opts.Reconnect = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &ChangeFeed{pool: pool, channel: opts.Channel + ":" + pool.db, opts: opts, hub: ports.NewChangeHub(),
		ctx: ctx, cancel: cancel, done: make(chan struct{})}
	conn, id, err := f.subscribe()
	if err != nil {
		cancel()
		return nil, err
	}
	f.conn, f.id = conn, id
	go f.run(conn)
	return f, nil
}

// subscribe dials a connection, notes its client id and subscribes it to
// the channel, all within the feed's timeout.
func (f *ChangeFeed) subscribe() (redigo.PubSubConn, int64, error) {
	const op = "redis.ChangeFeed.subscribe"
	ctx, cancel := context.WithTimeout(f.ctx, f.opts.Timeout)
	defer cancel()
	c, err := f.pool.pool.DialContext(ctx)
	if err != nil {
		return redigo.PubSubConn{}, 0, translate(op, ctx, fmt.Errorf("dial: %w", err))
	}
	id, err := redigo.Int64(redigo.DoWithTimeout(c, f.opts.Timeout, "CLIENT", "ID"))
	if err != nil {
		c.Close()
		return redigo.PubSubConn{}, 0, translate(op, ctx, fmt.Errorf("CLIENT ID: %w", err))
	}
	psc := redigo.PubSubConn{Conn: c}
	if err := psc.Subscribe(f.channel); err != nil {
		c.Close()
		return redigo.PubSubConn{}, 0, translate(op, ctx, fmt.Errorf("SUBSCRIBE %s: %w", f.channel, err))
	}
	switch v := psc.ReceiveWithTimeout(f.opts.Timeout).(type) {
	case redigo.Subscription:
		if v.Kind == "subscribe" && v.Channel == f.channel {
			return psc, id, nil
		}
		err = fmt.Errorf("SUBSCRIBE %s: unexpected %s of %s", f.channel, v.Kind, v.Channel)
	case error:
		err = fmt.Errorf("SUBSCRIBE %s: %w", f.channel, v)
	default:
		err = fmt.Errorf("SUBSCRIBE %s: unexpected reply %T", f.channel, v)
	}
	c.Close()
	return redigo.PubSubConn{}, 0, translate(op, ctx, err)
}

// run receives on conn until it fails, then reconnects, until Close.
func (f *ChangeFeed) run(conn redigo.PubSubConn) {
	defer close(f.done)
	for {
		err := f.receive(conn)
		conn.Close()
		if f.ctx.Err() != nil {
			return
		}
		f.opts.OnError(fmt.Errorf("change feed subscription to %s lost: %w", f.channel, err))
		var ok bool
		if conn, ok = f.reconnect(); !ok {
			return
		}
		f.hub.Wake()
	}
}

// receive hands every message of conn to the hub until conn fails. A
// pinger beside it keeps an idle connection talking, so that the read
// deadline of Heartbeat+Timeout only passes on a dead one.
func (f *ChangeFeed) receive(conn redigo.PubSubConn) error {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(f.opts.Heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				// A failed write shows as a failed read soon after.
				_ = conn.Ping("")
			}
		}
	}()
	for {
		switch v := conn.ReceiveWithTimeout(f.opts.Heartbeat + f.opts.Timeout).(type) {
		case redigo.Message:
			var changes []ports.Change
			if err := json.Unmarshal(v.Data, &changes); err != nil {
				f.opts.OnError(fmt.Errorf("change feed: message %.80q: %w", v.Data, err))
				f.hub.Wake() // a change was announced; read every list again
				continue
			}
			f.hub.Deliver(changes...)
		case error:
			return v
		}
		// Subscription and Pong replies need nothing.
	}
}

// reconnect subscribes again, waiting between attempts from nothing up to
// opts.Reconnect, until it succeeds (ok) or the feed closes.
func (f *ChangeFeed) reconnect() (conn redigo.PubSubConn, ok bool) {
	wait := time.Duration(0)
	for {
		select {
		case <-f.ctx.Done():
			return redigo.PubSubConn{}, false
		case <-time.After(wait):
		}
		conn, id, err := f.subscribe()
		if err == nil {
			f.mu.Lock()
			closed := f.ctx.Err() != nil
			f.conn, f.id = conn, id
			f.mu.Unlock()
			if closed { // Close ran meanwhile and closed the old one
				conn.Close()
				return redigo.PubSubConn{}, false
			}
			return conn, true
		}
		if f.ctx.Err() != nil {
			return redigo.PubSubConn{}, false
		}
		f.opts.OnError(fmt.Errorf("change feed: resubscribe to %s: %w", f.channel, err))
		wait = min(max(2*wait, f.opts.Reconnect/16), f.opts.Reconnect)
	}
}

// Publish sends changes in one PUBLISH. It runs after the change's unit
// committed, so no subscriber hears of a change it cannot read yet.
func (f *ChangeFeed) Publish(ctx context.Context, changes []ports.Change) error {
	const op = "redis.ChangeFeed.Publish"
	if len(changes) == 0 {
		return nil
	}
	payload, err := json.Marshal(changes)
	if err != nil {
		return domain.Wrap(domain.Internal, op, err)
	}
	_, err = f.pool.do(ctx, op, "PUBLISH", f.channel, payload)
	return err
}

// Subscribe subscribes to p's changes in this process.
func (f *ChangeFeed) Subscribe(ctx context.Context, p domain.Parent, buffer int) (*ports.Subscription, error) {
	return f.hub.Subscribe(ctx, p, buffer)
}

// Close stops listening and ends every subscription. It does not close the
// pool, which the caller owns.
func (f *ChangeFeed) Close() error {
	f.mu.Lock()
	f.cancel()
	// Unblocks the receive loop; the connection may be closed already
	// (lost, being replaced), so what Close says of it is no news.
	_ = f.conn.Close()
	f.mu.Unlock()
	<-f.done
	f.hub.Close(nil)
	return nil
}
