package statsd

import (
	"sync"
	"time"

	alexstatsd "github.com/alexcesaro/statsd"
)

// The hand-off between requests and the client. The client formats each
// line under its mutex and, when its buffer fills, sends the packet from
// the caller's goroutine: a system call in the middle of a request. So a
// measurement only appends a small record to a queue, and one goroutine
// of the adapter drives the client, on whatever CPU is free. The queue is
// drained when wakeAt records wait, and every drainPeriod; past maxQueued
// (the drainer starved of CPU), a measurement goes to the client at once,
// as it would without the queue: nothing is dropped. Waking the drainer
// costs a futex call and often a thread: at 2,048 records (some 200
// requests' worth) it is rare enough not to show in a request's cost,
// and at tens of thousands of requests a second the queue still drains
// every few milliseconds.
const (
	wakeAt      = 2048
	maxQueued   = 16384
	drainPeriod = 50 * time.Millisecond
)

type kind uint8

const (
	timing kind = iota
	count
	unique
	gauge
)

// measurement is one call to make on the client.
type measurement struct {
	kind  kind
	key   string
	value float64 // timing (ms), gauge
	n     int     // count
	set   string  // unique
}

// send makes the client call of m.
func (m measurement) send(c *alexstatsd.Client) {
	switch m.kind {
	case timing:
		c.Timing(m.key, m.value)
	case count:
		c.Count(m.key, m.n)
	case unique:
		c.Unique(m.key, m.set)
	case gauge:
		c.Gauge(m.key, m.value)
	}
}

// queue holds the measurements waiting for the drainer.
type queue struct {
	mu     sync.Mutex
	items  []measurement
	spare  []measurement // the other array, reused by turns
	closed bool

	// draining is held while a batch is sent, so that Flush returns once
	// what was queued before it reached the client, in order.
	draining sync.Mutex
	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
}

func newQueue() *queue {
	return &queue{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// pushed is what became of a measurement handed to push.
type pushed uint8

const (
	queued      pushed = iota
	fullQueue          // the caller sends it itself
	closedQueue        // the adapter is closed: dropped
)

// push queues m, unless the queue is full or closed.
func (q *queue) push(m measurement) pushed {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return closedQueue
	}
	if len(q.items) >= maxQueued {
		q.mu.Unlock()
		return fullQueue
	}
	q.items = append(q.items, m)
	n := len(q.items)
	q.mu.Unlock()
	if n == wakeAt {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return queued
}

// run drains the queue into the client client() returns (nil: the daemon
// is not known yet, and the batch is dropped as direct calls would be)
// when woken and every period, until stopped.
func (q *queue) run(client func() *alexstatsd.Client) {
	defer close(q.done)
	t := time.NewTicker(drainPeriod)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		case <-t.C:
		}
		q.drain(client())
	}
}

// drain sends what is queued now, in order.
func (q *queue) drain(c *alexstatsd.Client) {
	q.draining.Lock()
	defer q.draining.Unlock()
	q.mu.Lock()
	batch := q.items
	q.items, q.spare = q.spare[:0], nil
	q.mu.Unlock()
	if c != nil {
		for _, m := range batch {
			m.send(c)
		}
	}
	clear(batch) // no key strings kept alive
	q.mu.Lock()
	q.spare = batch[:0]
	q.mu.Unlock()
}

// close stops the drainer, then drains what is left; later pushes fail.
func (q *queue) close(c *alexstatsd.Client) {
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if already {
		return
	}
	close(q.stop)
	<-q.done
	q.drain(c)
}
