package ports

import (
	"context"
	"sync"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// Change is one committed change of one object, as a change feed carries
// it: where, which object, what happened and its new timestamp. It carries
// no object: a subscriber reads the list from storage (see the change
// stream), so that a feed message stays small whatever the object's size
// (PostgreSQL's NOTIFY takes at most 8000 bytes) and a missed or late
// message never loses a change.
type Change struct {
	Parent    domain.Parent `json:"parent"`
	ID        string        `json:"id"`
	Action    EventAction   `json:"action"`
	Timestamp int64         `json:"timestamp"`
}

// ChangeFeed carries committed changes to subscribers in every process
// sharing the storage: in process on memory, through LISTEN/NOTIFY on
// PostgreSQL, through pub/sub on Redis.
//
// Delivery is best effort and at most once per subscription: a message may
// arrive late or, across processes, in another order than commits, and a
// subscriber that falls behind is dropped. Subscribers that need every
// change use a message only as the cue to read the list since the last
// timestamp they saw.
type ChangeFeed interface {
	// Publish sends changes, committed already, to every subscriber of
	// their parents, in this process and the others. It must not block
	// on slow subscribers. Fails with domain.Unavailable when the backend
	// cannot be reached.
	Publish(ctx context.Context, changes []Change) error
	// Subscribe returns a subscription to the changes of p, buffering up
	// to buffer of them (at least 1). It fails with domain.Unavailable
	// when the feed is closed or its backend down.
	Subscribe(ctx context.Context, p domain.Parent, buffer int) (*Subscription, error)
}

// Subscription receives the changes of one parent. Its channel C closes
// when the subscription ends: Err then says why (ErrSlowSubscriber, the
// feed closing, or nil after Close).
type Subscription struct {
	C <-chan Change

	c      chan Change
	hub    *ChangeHub
	parent domain.Parent
	mu     sync.Mutex
	err    error
	closed bool
}

// Err returns why the subscription ended; nil while it runs or after Close.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription; it is safe to call more than once.
func (s *Subscription) Close() { s.hub.remove(s, nil) }

// ErrSlowSubscriber ends a subscription whose buffer was full when a change
// arrived: the publisher never waits for a subscriber.
var ErrSlowSubscriber = &domain.Error{Kind: domain.Unavailable, Op: "ports.ChangeHub",
	Message: "subscriber too slow: its buffer of changes was full"}

// ChangeHub fans changes out to the subscriptions of this process. Feed
// adapters deliver what they receive to one; the memory feed is one. It is
// safe for concurrent use.
type ChangeHub struct {
	mu     sync.Mutex
	subs   map[domain.Parent]map[*Subscription]struct{}
	closed error
}

var _ ChangeFeed = (*ChangeHub)(nil)

// NewChangeHub returns a hub with no subscriptions.
func NewChangeHub() *ChangeHub {
	return &ChangeHub{subs: map[domain.Parent]map[*Subscription]struct{}{}}
}

// Publish delivers changes to this process's subscriptions at once.
func (h *ChangeHub) Publish(_ context.Context, changes []Change) error {
	h.Deliver(changes...)
	return nil
}

// Deliver hands each change to the subscriptions of its parent without
// waiting: a subscription whose buffer is full ends with
// ErrSlowSubscriber.
func (h *ChangeHub) Deliver(changes ...Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range changes {
		for s := range h.subs[ch.Parent] {
			select {
			case s.c <- ch:
			default:
				h.removeLocked(s, ErrSlowSubscriber)
			}
		}
	}
}

// Subscribe registers a subscription to p's changes.
func (h *ChangeHub) Subscribe(_ context.Context, p domain.Parent, buffer int) (*Subscription, error) {
	if buffer < 1 {
		buffer = 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != nil {
		return nil, domain.Wrap(domain.Unavailable, "ports.ChangeHub.Subscribe", h.closed)
	}
	c := make(chan Change, buffer)
	s := &Subscription{C: c, c: c, hub: h, parent: p}
	if h.subs[p] == nil {
		h.subs[p] = map[*Subscription]struct{}{}
	}
	h.subs[p][s] = struct{}{}
	return s, nil
}

// Close ends every subscription with err (the feed's backend was lost or
// the process stops) and refuses new ones.
func (h *ChangeHub) Close(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err == nil {
		err = errFeedClosed
	}
	h.closed = err
	for _, subs := range h.subs {
		for s := range subs {
			h.removeLocked(s, err)
		}
	}
}

var errFeedClosed = &domain.Error{Kind: domain.Unavailable, Op: "ports.ChangeHub", Message: "change feed closed"}

func (h *ChangeHub) remove(s *Subscription, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s, err)
}

func (h *ChangeHub) removeLocked(s *Subscription, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.err = err
	close(s.c)
	if subs := h.subs[s.parent]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(h.subs, s.parent)
		}
	}
}

// Wake hands every subscription an empty change (no ID), the cue to read
// its list again: a feed adapter calls it after its backend connection
// came back, since messages sent meanwhile were lost.
func (h *ChangeHub) Wake() {
	h.mu.Lock()
	var all []Change
	for p := range h.subs {
		all = append(all, Change{Parent: p})
	}
	h.mu.Unlock()
	h.Deliver(all...)
}
