package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.ChangeFeed = (*ChangeFeed)(nil)

// maxNotifyPayload keeps each NOTIFY under PostgreSQL's 8000-byte limit.
const maxNotifyPayload = 7000

// ChangeFeed is the PostgreSQL ports.ChangeFeed: Publish sends a NOTIFY on
// one channel of the database, and one LISTEN connection per process
// hands what arrives to the process's subscriptions. Every process on the
// same database, this one included, hears every change.
type ChangeFeed struct {
	db      *sqlx.DB
	channel string
	l       *pq.Listener
	hub     *ports.ChangeHub
	done    chan struct{}
}

// NewChangeFeed listens on channel over a connection of its own to dsn
// (pq reconnects it within reconnect; subscriptions are woken after each
// reconnection, since notices sent meanwhile are lost) and publishes
// through db. It fails with domain.Unavailable when the LISTEN is not
// acknowledged within timeout.
func NewChangeFeed(db *sqlx.DB, dsn, channel string, reconnect, timeout time.Duration, onError func(error)) (*ChangeFeed, error) {
	const op = "postgres.NewChangeFeed"
	if onError == nil {
		onError = func(error) {}
	}
	hub := ports.NewChangeHub()
	f := &ChangeFeed{db: db, channel: channel, hub: hub, done: make(chan struct{})}
	f.l = pq.NewListener(dsn, reconnect/10+time.Millisecond, reconnect, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventReconnected:
			hub.Wake()
		case pq.ListenerEventConnectionAttemptFailed, pq.ListenerEventDisconnected:
			if err != nil {
				onError(fmt.Errorf("change feed LISTEN connection: %w", err))
			}
		}
	})
	listened := make(chan error, 1)
	go func() { listened <- f.l.Listen(channel) }()
	select {
	case err := <-listened:
		if err != nil {
			_ = f.l.Close()
			return nil, domain.Wrap(domain.Unavailable, op, fmt.Errorf("LISTEN %s: %w", channel, err))
		}
	case <-time.After(timeout):
		_ = f.l.Close()
		return nil, domain.Wrap(domain.Unavailable, op, fmt.Errorf("LISTEN %s: not acknowledged within %v", channel, timeout))
	}
	go f.run(onError)
	return f, nil
}

func (f *ChangeFeed) run(onError func(error)) {
	defer close(f.done)
	for n := range f.l.Notify {
		if n == nil { // pq's mark of a reconnection: notices may be lost
			f.hub.Wake()
			continue
		}
		var changes []ports.Change
		if err := json.Unmarshal([]byte(n.Extra), &changes); err != nil {
			onError(fmt.Errorf("change feed: notice %.80q: %w", n.Extra, err))
			f.hub.Wake()
			continue
		}
		f.hub.Deliver(changes...)
	}
}

// Publish sends changes in as few NOTIFYs as fit the payload limit. The
// notices are delivered once the statement's own transaction commits:
// here, at once, since Publish runs after the change's unit committed.
func (f *ChangeFeed) Publish(ctx context.Context, changes []ports.Change) error {
	const op = "postgres.ChangeFeed.Publish"
	for len(changes) > 0 {
		n := len(changes)
		var payload []byte
		for {
			var err error
			if payload, err = json.Marshal(changes[:n]); err != nil {
				return domain.Wrap(domain.Internal, op, err)
			}
			if len(payload) <= maxNotifyPayload || n == 1 {
				break
			}
			n = (n + 1) / 2
		}
		if _, err := f.db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, f.channel, string(payload)); err != nil {
			return translate(op, err)
		}
		changes = changes[n:]
	}
	return nil
}

// Subscribe subscribes to p's changes in this process.
func (f *ChangeFeed) Subscribe(ctx context.Context, p domain.Parent, buffer int) (*ports.Subscription, error) {
	return f.hub.Subscribe(ctx, p, buffer)
}

// Close stops listening and ends every subscription.
func (f *ChangeFeed) Close() error {
	err := f.l.Close()
	<-f.done
	f.hub.Close(nil)
	return err
}
