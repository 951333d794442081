package memory

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Store = (*Store)(nil)

// Store is the memory ports.Store: a Storage and a Permission under one
// lock, so that a unit of work over both is one critical section. A unit
// holds the lock for its whole length (other units and every read wait for
// it, so nobody sees a unit half done) and keeps an undo log of each change
// it makes; an error, a panic or a done context replays the log backwards,
// which leaves the store exactly as the unit found it.
type Store struct {
	lk      *lock
	storage *Storage
	perms   *Permission
}

// NewStore returns an empty Store whose storage stamps writes with clock.
func NewStore(clock domain.Clock) *Store {
	lk := &lock{}
	return &Store{lk: lk, storage: newStorage(clock, lk), perms: newPermission(lk)}
}

// Storage returns the store's storage backend.
func (st *Store) Storage() ports.Storage { return st.storage }

// Permission returns the store's permission backend.
func (st *Store) Permission() ports.Permission { return st.perms }

// MemoryStorage returns the storage as its concrete type, for services
// that need the adapter's extras.
func (st *Store) MemoryStorage() *Storage { return st.storage }

// MemoryPermission returns the permission backend as its concrete type.
func (st *Store) MemoryPermission() *Permission { return st.perms }

// Atomically runs fn as one unit; see ports.UnitOfWork.
func (st *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	const op = "memory.Store.Atomically"
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	lk := st.lk
	if lk.owns(ctx) {
		return lk.nested(ctx, fn)
	}
	lk.mu.Lock()
	defer lk.mu.Unlock()
	u := &unit{lock: lk}
	u.open.Store(true)
	lk.inUnit = true
	committed := false
	defer func() {
		if !committed { // fn failed or panicked
			lk.rollback(0)
		}
		lk.inUnit, lk.undo = false, nil
		u.open.Store(false)
	}()
	if err := fn(context.WithValue(ctx, unitKey{}, u)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	committed = true
	return nil
}

// lock is the one lock of a Store (or of a Storage or Permission built
// alone) and the undo log of the unit holding it.
type lock struct {
	mu sync.RWMutex
	// inUnit is true while a unit holds mu; writes then log how to undo
	// themselves in undo. Both are only touched with mu held for writing.
	inUnit bool
	undo   []func()
}

// unit marks a context as inside a unit of one lock.
type unit struct {
	lock *lock
	open atomic.Bool
}

type unitKey struct{}

// owns reports whether ctx is inside an open unit of lk, whose goroutine
// then already holds lk.mu.
func (lk *lock) owns(ctx context.Context) bool {
	u, _ := ctx.Value(unitKey{}).(*unit)
	return u != nil && u.lock == lk && u.open.Load()
}

// held is what read and write took: done gives it back. It is a value,
// not the method value of the mutex, which would cost an allocation per
// call on the path of every request.
type held struct {
	lk   *lock
	mode heldMode
}

type heldMode uint8

const (
	heldNothing heldMode = iota // ctx's unit holds the lock already
	heldRead
	heldWrite
)

// done releases what was taken.
func (h held) done() {
	switch h.mode {
	case heldRead:
		h.lk.mu.RUnlock()
	case heldWrite:
		h.lk.mu.Unlock()
	}
}

// write takes the lock for a change, unless ctx's unit holds it already;
// done releases it.
func (lk *lock) write(ctx context.Context) held {
	if lk.owns(ctx) {
		return held{}
	}
	lk.mu.Lock()
	return held{lk: lk, mode: heldWrite}
}

// read takes the lock for reading, unless ctx's unit holds it already;
// done releases it.
func (lk *lock) read(ctx context.Context) held {
	if lk.owns(ctx) {
		return held{}
	}
	lk.mu.RLock()
	return held{lk: lk, mode: heldRead}
}

// record logs how to undo a change just made, when a unit is running.
func (lk *lock) record(undo func()) {
	if lk.inUnit {
		lk.undo = append(lk.undo, undo)
	}
}

// rollback undoes, newest first, every change logged after mark.
func (lk *lock) rollback(mark int) {
	// Undoing replays changes that would log undos of their own.
	lk.inUnit = false
	defer func() { lk.inUnit = true }()
	for i := len(lk.undo) - 1; i >= mark; i-- {
		lk.undo[i]()
	}
	clear(lk.undo[mark:])
	lk.undo = lk.undo[:mark]
}

// nested runs fn inside the unit that holds lk, as a savepoint.
func (lk *lock) nested(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	mark := len(lk.undo)
	defer func() {
		if r := recover(); r != nil {
			lk.rollback(mark)
			panic(r)
		}
	}()
	if err := fn(ctx); err != nil {
		lk.rollback(mark)
		return err
	}
	return nil
}
