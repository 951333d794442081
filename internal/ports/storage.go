package ports

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// Storage keeps the objects of every resource, grouped in lists by
// domain.Parent. Every list has a timestamp T; every write into the list
// stamps the object with domain.StampWrite and moves T, atomically, so that
// timestamps are unique and strictly increasing per list even under
// concurrent writers. Implementations must be safe for concurrent use.
type Storage interface {
	HealthChecker

	// Timestamp returns the list timestamp T of p. A list never written gets
	// the current time, stored, so that it stays constant until the next
	// write. Reads never move T otherwise.
	Timestamp(ctx context.Context, p domain.Parent) (int64, error)

	// Create stores rec, which must have an ID, as a new live object and
	// returns it stamped. rec.LastModified, when non-zero, is the client's
	// proposal (domain.StampWrite). A tombstone with the same ID is replaced.
	// Fails with domain.Conflict if a live object has the ID, or if another
	// live object of p has the same value for one of the unique fields
	// (dotted paths; objects lacking the field never conflict); that
	// Conflict's Existing is the object in the way.
	Create(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error)

	// LockList, inside a unit of work, takes the write lock of list p and
	// holds it until the unit ends, so that no other unit writes into p
	// meanwhile: what the unit read of p (an object checked against
	// If-Match, the data a PATCH merges onto) stays current until it
	// commits. Outside a unit it does nothing.
	LockList(ctx context.Context, p domain.Parent) error

	// Get returns a live object. Fails with domain.NotFound if it never
	// existed or was deleted.
	Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error)

	// Update replaces the live object rec.ID, or creates it when it is absent
	// or a tombstone, and returns it stamped (rec.LastModified is a proposal,
	// as for Create). Unique fields are checked as for Create, against the
	// other live objects.
	Update(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error)

	// Delete replaces the live object id by a tombstone and returns the
	// tombstone. lastModified, when non-zero, is the client's proposal.
	// Fails with domain.NotFound if there is no live object id.
	Delete(ctx context.Context, p domain.Parent, id string, lastModified int64) (domain.Record, error)

	// List returns the objects of p matching q, in q.Sort order, at most
	// q.Limit of them, after q.After. Tombstones come only with q.WithDeleted.
	List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error)

	// Count returns how many live objects of p match filters.
	Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error)

	// DeleteMany turns the live objects of p matching q (order, limit and
	// cursor included) into tombstones with consecutive timestamps, and
	// returns the tombstones in q.Sort order.
	DeleteMany(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error)

	// Purge removes every object and tombstone of every list whose parent ID
	// is parentID or starts with parentID+"/", for cascading deletes. It
	// returns how many objects it removed.
	Purge(ctx context.Context, parentID string) (int, error)

	// Flush removes every object, tombstone and list timestamp of every
	// list: the store is as new (Kinto's flush endpoint).
	Flush(ctx context.Context) error

	// PurgeDeleted removes tombstones of resource from every list of that
	// resource, whatever its parent, as opts selects them, and returns how
	// many it removed. Live objects and list timestamps are untouched.
	PurgeDeleted(ctx context.Context, resource string, opts PurgeOptions) (int, error)
}

// PurgeOptions selects the tombstones PurgeDeleted removes: with Before
// positive, those whose timestamp is lower than Before (epoch
// milliseconds); otherwise all but the MaxRetained newest of each list (0
// removes them all). The two are exclusive, as in Kinto.
type PurgeOptions struct {
	Before      int64
	MaxRetained int
}

// ObjectRef names one stored object: the list it is in and its id.
type ObjectRef struct {
	List domain.Parent
	ID   string
}

// OwnedCreator is implemented by storages that can create an object on
// condition that the object owning its list is live, in one step, so that
// the engine need not read the owner first. The engine falls back to
// reading the owner, then Create, with a storage that lacks it (and with a
// decorator embedding Storage, whose method set does not promote it).
type OwnedCreator interface {
	// CreateOwned is Create, failing with domain.NotFound naming owner
	// when owner is not a live object; nothing is written then.
	CreateOwned(ctx context.Context, owner ObjectRef, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error)
}

// FreshCreator is an OwnedCreator that can also hold back, inside a unit
// of work, the create of an object whose id the caller has just generated:
// the storage may send it later, with other writes, before the unit's next
// statement or its commit. Reads in the unit see it all the same.
type FreshCreator interface {
	OwnedCreator
	// CreateFresh is CreateOwned with no unique field, for an id never
	// stored. Should a live object have it after all, the unit fails with
	// domain.Conflict when the write goes out.
	CreateFresh(ctx context.Context, owner ObjectRef, p domain.Parent, rec domain.Record) (domain.Record, error)
}
