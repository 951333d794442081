package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Store = (*Store)(nil)

// Store is the PostgreSQL ports.Store: a Storage and a Permission on one
// database, whose units of work are transactions. A unit runs in READ
// COMMITTED: each statement sees what other units committed before it, and
// the list locks (Storage.LockList, and every write) make writers of one
// list take turns rather than fail with serialization errors.
type Store struct {
	db      *sqlx.DB
	storage *Storage
	perms   *Permission
}

// NewStore returns a Store on db, whose schema Migrate prepared; its
// storage stamps writes with clock (the wall clock when nil).
func NewStore(db *sqlx.DB, clock domain.Clock) *Store {
	return &Store{db: db, storage: NewStorage(db, clock), perms: NewPermission(db)}
}

// Storage returns the store's storage backend.
func (st *Store) Storage() ports.Storage { return st.storage }

// Permission returns the store's permission backend.
func (st *Store) Permission() ports.Permission { return st.perms }

// Atomically runs fn in one transaction; see ports.UnitOfWork. A nested
// call runs fn under a savepoint.
func (st *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	const op = "postgres.Store.Atomically"
	if u := unitOf(ctx, st.db); u != nil {
		return u.nested(ctx, fn)
	}
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	tx, err := beginTx(ctx, st.db)
	if err != nil {
		return translate(op, fmt.Errorf("begin: %w", err))
	}
	u := &txUnit{db: st.db, tx: tx, lists: map[domain.Parent]int64{}, owners: map[domain.Parent]bool{}}
	u.open.Store(true)
	committed := false
	defer func() {
		u.open.Store(false)
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, unitKey{}, u)); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	if u.err == nil {
		u.err = u.ready(ctx)
	}
	if u.err != nil {
		return translate(op, u.err)
	}
	if err := tx.Commit(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, sql.ErrTxDone) {
			err = ctxErr // database/sql rolled back when ctx ended
		}
		return translate(op, fmt.Errorf("commit: %w", err))
	}
	committed = true
	return nil
}

// querier is what the adapters run statements on: the pool, or the
// transaction of a unit.
type querier interface {
	sqlx.QueryerContext
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// txUnit is the state of one unit of work: its transaction, and the list
// timestamps it holds the lock of.
type txUnit struct {
	db   *sqlx.DB
	tx   *sqlx.Tx
	open atomic.Bool
	// lists maps each list locked by this unit to its current timestamp
	// (0 when none is stored yet): holding the lock, the unit is the only
	// writer of those lists, so it need not read them again.
	lists      map[domain.Parent]int64
	savepoints int
	// released is the number of the last savepoint whose nested unit
	// succeeded (0 for none): its RELEASE waits to go out with the next
	// SAVEPOINT, in one round trip, or with the COMMIT, which releases it.
	released int

	// The writes held back (writebehind.go), in the order they were made,
	// numbered by seq; the open nested units, outermost first; the lists
	// whose owner object this unit found live; the failure that ended the
	// unit's ability to send anything.
	seq     int
	objects []heldObject
	grants  []heldGrant
	levels  []*level
	owners  map[domain.Parent]bool
	err     error
}

type unitKey struct{}

// unitOf returns the open unit of db that ctx is in, or nil.
func unitOf(ctx context.Context, db *sqlx.DB) *txUnit {
	u, _ := ctx.Value(unitKey{}).(*txUnit)
	if u == nil || u.db != db || !u.open.Load() {
		return nil
	}
	return u
}

// conn returns the transaction of ctx's unit on db, or else db itself,
// whose statements wait at most its pool timeout for a connection.
func conn(ctx context.Context, db *sqlx.DB) querier {
	if u := unitOf(ctx, db); u != nil {
		return u.readyTx(ctx)
	}
	if timeout := boundsOf(db).PoolTimeout; timeout > 0 {
		return pooled{db: db, timeout: timeout}
	}
	return db
}

// lockListSQL inserts-or-locks a list's timestamps row in one statement:
// ON CONFLICT DO UPDATE locks the existing row and returns its latest
// committed value. A NULL value marks a list whose timestamp nobody stored
// yet.
const lockListSQL = `INSERT INTO timestamps (parent_id, resource_name, last_modified) VALUES ($1, $2, NULL)
	ON CONFLICT (parent_id, resource_name) DO UPDATE SET last_modified = timestamps.last_modified
	RETURNING last_modified`

// lockList takes the lock of p's timestamps row for the rest of the
// unit, once, and returns the list timestamp.
func (u *txUnit) lockList(ctx context.Context, p domain.Parent) (int64, error) {
	if ts, ok := u.lists[p]; ok {
		return ts, nil
	}
	var current sql.NullInt64
	if err := u.readyTx(ctx).QueryRowContext(ctx, lockListSQL, p.ID, p.Resource).Scan(&current); err != nil {
		return 0, fmt.Errorf("lock list %v: %w", p, err)
	}
	u.lists[p] = current.Int64
	return current.Int64, nil
}

// nested runs fn under a savepoint of u's transaction: an error rolls back
// to it, which also clears the statement error that aborted the
// transaction, so that the outer unit can go on.
//
// The savepoint goes out only with the nested unit's first statement
// (txUnit.ready): a nested unit that sends nothing, its writes held back,
// costs nothing, and one that fails before sending anything just drops
// what it held back.
func (u *txUnit) nested(ctx context.Context, fn func(ctx context.Context) error) error {
	const op = "postgres.Store.Atomically"
	if u.err != nil {
		return translate(op, u.err)
	}
	lv := &level{mark: u.seq + 1}
	u.levels = append(u.levels, lv)
	locked, owners := maps.Clone(u.lists), maps.Clone(u.owners)
	err := fn(ctx)
	u.levels = u.levels[:len(u.levels)-1]
	if err != nil {
		if lv.opened {
			if _, rbErr := u.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+savepointName(lv.n)); rbErr != nil {
				u.err = fmt.Errorf("roll back to savepoint after %v: %w", err, rbErr)
				return translate(op, u.err)
			}
			// The savepoints opened after it went with the rollback; it
			// stays itself, to be released.
			u.released = lv.n
		}
		// What the lists were before the nested unit holds again (locks
		// taken after its savepoint were released with it), and what it
		// held back is forgotten.
		u.lists, u.owners = locked, owners
		u.drop(lv.mark)
		if u.err != nil && !lv.opened {
			// Getting ready failed inside it, before its savepoint: the
			// transaction is not reliable any more.
			return err
		}
		if lv.opened {
			u.err = nil
		}
		return err
	}
	if lv.opened {
		// Releasing it later also releases whatever inner savepoint waits.
		u.released = lv.n
	}
	return nil
}

func savepointName(n int) string { return fmt.Sprintf("cliquet_unit_%d", n) }
