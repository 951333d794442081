package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// bodyBudget bounds the request body bytes that all requests hold in
// memory at once (Config.BodyMemoryBytes): MaxBodyBytes bounds one body,
// not their sum, so without it a hundred concurrent uploads of the largest
// size would each get their buffer. A request reserves the bytes of its
// body before reading them and gives them back when its handler returns.
// A request that waits has read nothing of its body yet, so the bytes stay
// with the client (which sends none at all until then when it asked for
// 100-continue).
type bodyBudget struct {
	sem  *semaphore.Weighted // FIFO: a large body waiting is not overtaken forever by small ones
	size int64
	wait time.Duration // longest a request waits for room, in total

	inUse   atomic.Int64 // bytes reserved now
	waiting atomic.Int64 // requests waiting for room now
}

// newBodyBudget returns the budget of size bytes, or nil (no cap) when size
// is not positive.
func newBodyBudget(size int64, wait time.Duration) *bodyBudget {
	if size <= 0 {
		return nil
	}
	return &bodyBudget{sem: semaphore.NewWeighted(size), size: size, wait: wait}
}

// errNoRoom is a reservation that did not get its bytes in time.
var errNoRoom = errors.New("request body memory budget exhausted")

// bodyHold is what one request has reserved from the budget. It lives in
// the request's reqState, so that the summary middleware releases it once
// the handler is done, whatever path (error, panic) it took.
type bodyHold struct {
	budget   *bodyBudget // nil: the request is not counted
	held     int64
	deadline time.Time // set by the first wait; later waits share it
	// read is set once the request's body has been read: handlers that
	// peek at the body put the read bytes back and read them again, and
	// those bytes are already counted.
	read bool
}

// reserve adds n bytes to the hold, waiting for room until the hold's
// deadline. It fails with errNoRoom when the wait is over, or when ctx
// ends (the client went away).
func (h *bodyHold) reserve(ctx context.Context, n int64) error {
	b := h.budget
	if n <= 0 {
		return nil
	}
	if h.held+n > b.size {
		return fmt.Errorf("%w: %d bytes can never fit in %d", errNoRoom, h.held+n, b.size)
	}
	if !b.sem.TryAcquire(n) {
		if h.deadline.IsZero() {
			h.deadline = time.Now().Add(b.wait)
		}
		wctx, cancel := context.WithDeadline(ctx, h.deadline)
		b.waiting.Add(1)
		err := b.sem.Acquire(wctx, n)
		b.waiting.Add(-1)
		cancel()
		if err != nil {
			return fmt.Errorf("%w: waited for %d bytes: %w", errNoRoom, n, err)
		}
	}
	h.held += n
	b.inUse.Add(n)
	return nil
}

// release gives back everything the hold reserved.
func (h *bodyHold) release() {
	if h.budget == nil || h.held == 0 {
		return
	}
	h.budget.inUse.Add(-h.held)
	h.budget.sem.Release(h.held)
	h.held = 0
}

// firstChunk is the buffer a body of unknown length starts with; it then
// doubles, each growth reserved before it is allocated.
const firstChunk = 32 << 10

// readCounted reads body into a buffer whose capacity is reserved from
// hold before it is allocated (so the reservation is the memory the body
// takes, not just its length). hint is the Content-Length, -1 if unknown;
// maxBody, when positive, is the largest body accepted. It answers 413
// errno 113 for a body over maxBody, 503 errno 201 when the budget has no room.
//
// When the buffer grows, the old one is garbage but not yet collected: the
// reservation counts the live buffer only, so the heap may briefly exceed
// the budget by half the largest body being read. Chunked bodies that all
// hold part of the budget may all wait to grow: the wait's bound ends
// that with 503s, which free their room.
func (s *Server) readCounted(ctx context.Context, body io.Reader, hint, maxBody int64, hold *bodyHold) ([]byte, error) {
	limit := hold.budget.size
	if maxBody > 0 && maxBody < limit {
		limit = maxBody
	}
	tooBig := func() error {
		if maxBody > 0 && limit == maxBody {
			return tooLarge(maxBody)
		}
		return s.noRoom(ctx, fmt.Errorf("%w: body larger than the whole budget (%d bytes)", errNoRoom, limit))
	}
	if hint > limit {
		return nil, tooBig()
	}
	size := hint
	if size < 0 {
		size = min(firstChunk, limit)
	}
	if err := hold.reserve(ctx, size); err != nil {
		return nil, s.noRoom(ctx, err)
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			// Full: either the body ends here, or it needs more room.
			var probe [1]byte
			n, err := io.ReadFull(body, probe[:])
			if n == 0 {
				if err == io.EOF {
					return buf, nil
				}
				return nil, unreadable(err)
			}
			if int64(cap(buf)) >= limit {
				return nil, tooBig()
			}
			grown := min(max(2*int64(cap(buf)), firstChunk), limit)
			if err := hold.reserve(ctx, grown-int64(cap(buf))); err != nil {
				return nil, s.noRoom(ctx, err)
			}
			next := make([]byte, len(buf), grown)
			copy(next, buf)
			buf = append(next, probe[0])
			continue
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, unreadable(err)
		}
	}
}

// noRoom is the answer to a body the budget has no room for: the service
// is overloaded, so 503 errno 201 with Retry-After, as for a backend down.
func (s *Server) noRoom(ctx context.Context, cause error) *apiError {
	s.logCtx(ctx).WithError(cause).Warn("request body refused: no room in http_body_memory_bytes")
	e := newAPIError(http.StatusServiceUnavailable, errnoBackend, msgUnavailable)
	e.header = http.Header{"Retry-After": {strconv.Itoa(s.cfg.RetryAfterSeconds)}}
	return e
}
