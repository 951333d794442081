package ports

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// UnitOfWork makes several storage and permission operations one unit: they
// commit together or not at all. A Store hands out the Storage and
// Permission that take part in its units.
//
// The unit travels in the context: Atomically hands fn a context, and every
// call fn makes with that context (or one derived from it) on the Storage or
// Permission of the same store belongs to the unit, whatever function makes
// it (hooks included). Calls made with another context, or on another
// store, are not part of it.
type UnitOfWork interface {
	// Atomically runs fn as one unit. When fn returns nil and ctx is not
	// done, what fn did is committed and visible to everyone at once; it is
	// never undone afterwards. When fn returns an error, panics, or ctx is
	// done before the commit, nothing fn did remains, and Atomically returns
	// fn's error (a panic is re-raised; a done ctx gives domain.Unavailable).
	//
	// Called with a context that is already inside a unit of the same store,
	// Atomically runs fn as a nested unit (a savepoint): an error from fn
	// undoes only what fn did, and the outer unit goes on; what a nested
	// unit did commits with the outer one.
	//
	// Concurrent units see each other's work only once committed. A unit
	// that read an object and then writes into its list must hold the
	// list's lock first (Storage.LockList) for its read to stay current.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
}

// Store is a storage and a permission backend that share units of work.
type Store interface {
	UnitOfWork
	Storage() Storage
	Permission() Permission
}

// Unitless runs units over backends that cannot share a transaction (a
// memory storage with a PostgreSQL permission backend, for instance): fn
// runs as is and every call commits on its own. Callers write the object
// first and its ACL second, so that a failure in between leaves an object
// its creator may lack rights on, never rights on a missing object.
type Unitless struct {
	S Storage
	P Permission
}

// Atomically runs fn without any transaction.
func (u Unitless) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "ports.Unitless.Atomically", err)
	}
	return fn(ctx)
}

// Storage returns the storage backend.
func (u Unitless) Storage() Storage { return u.S }

// Permission returns the permission backend.
func (u Unitless) Permission() Permission { return u.P }
