// Package postgres holds the PostgreSQL adapters of the storage and
// permission ports, for deployments where many stateless nodes share one
// database. Migrate creates their tables; the SQL lives, embedded, in
// migrations/.
package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Storage = (*Storage)(nil)

// Storage is a ports.Storage on PostgreSQL: one objects table for every
// resource (tombstones are rows flagged deleted) and one timestamps row per
// list.
//
// Every write runs in a transaction that first locks its list's timestamps
// row, then reads the current list timestamp, applies domain.StampWrite in
// Go, and writes the object and the new list timestamp. Writers of one list
// thus take turns, whichever node or connection they come from, and
// timestamps stay unique and strictly increasing per list; a unique index on
// (parent_id, resource_name, last_modified) guards the rule and turns a
// clashing client-proposed timestamp into domain.Conflict.
//
// Reads are plain statements: filters, sorts and keyset cursors become SQL
// (see query.go); the rare queries SQL cannot express exactly are finished
// in Go with domain.Select on a SQL pre-selection.
type Storage struct {
	db    *sqlx.DB
	clock domain.Clock
}

// NewStorage returns a Storage on db, whose schema Migrate prepared, that
// stamps writes with clock (the wall clock when nil).
func NewStorage(db *sqlx.DB, clock domain.Clock) *Storage {
	if clock == nil {
		clock = wallClock{}
	}
	return &Storage{db: db, clock: clock}
}

// wallClock is the system clock in epoch milliseconds.
type wallClock struct{}

func (wallClock) NowMillis() int64 { return time.Now().UnixMilli() }

// Healthy runs SELECT 1 within ctx.
func (s *Storage) Healthy(ctx context.Context) error {
	return healthy(ctx, s.db, "postgres.Storage.Healthy")
}

func healthy(ctx context.Context, db *sqlx.DB, op string) error {
	var one int
	if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return translate(op, err)
	}
	return nil
}

// Timestamp returns the list timestamp of p, storing the current time for a
// list never read or written before.
func (s *Storage) Timestamp(ctx context.Context, p domain.Parent) (int64, error) {
	const op = "postgres.Storage.Timestamp"
	var ts sql.NullInt64
	q := conn(ctx, s.db)
	err := q.QueryRowContext(ctx, `SELECT last_modified FROM timestamps WHERE parent_id = $1 AND resource_name = $2`,
		p.ID, p.Resource).Scan(&ts)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, translate(op, err)
	}
	if ts.Valid {
		return ts.Int64, nil
	}
	// First access: store now, unless a concurrent writer or reader stored
	// a value first, which then wins.
	err = q.QueryRowContext(ctx, `INSERT INTO timestamps (parent_id, resource_name, last_modified) VALUES ($1, $2, $3)
		ON CONFLICT (parent_id, resource_name)
		DO UPDATE SET last_modified = COALESCE(timestamps.last_modified, EXCLUDED.last_modified)
		RETURNING last_modified`, p.ID, p.Resource, s.clock.NowMillis()).Scan(&ts)
	if err != nil {
		return 0, translate(op, err)
	}
	return ts.Int64, nil
}

// Create stores rec as a new live object; see ports.Storage.
func (s *Storage) Create(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "postgres.Storage.Create"
	rec, raw, err := prepare(op, rec)
	if err != nil {
		return domain.Record{}, err
	}
	if rec.LastModified <= 0 && len(unique) == 0 {
		return s.createNow(ctx, op, nil, p, rec, raw)
	}
	return s.create(ctx, op, p, rec, raw, unique)
}

// CreateOwned is Create on condition that owner is live; see
// ports.OwnedCreator. The common create checks the owner in its one
// statement; the others read it first, in the same transaction.
func (s *Storage) CreateOwned(ctx context.Context, owner ports.ObjectRef, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "postgres.Storage.CreateOwned"
	rec, raw, err := prepare(op, rec)
	if err != nil {
		return domain.Record{}, err
	}
	if rec.LastModified <= 0 && len(unique) == 0 {
		return s.createNow(ctx, op, &owner, p, rec, raw)
	}
	if _, err := s.Get(ctx, owner.List, owner.ID); err != nil {
		return domain.Record{}, err
	}
	return s.create(ctx, op, p, rec, raw, unique)
}

// CreateFresh holds the create back inside a unit that has locked p and
// found owner live, when no timestamp is proposed (writebehind.go); it is
// CreateOwned otherwise.
func (s *Storage) CreateFresh(ctx context.Context, owner ports.ObjectRef, p domain.Parent, rec domain.Record) (domain.Record, error) {
	const op = "postgres.Storage.CreateFresh"
	if u := unitOf(ctx, s.db); u != nil && u.err == nil && u.owners[p] && rec.LastModified <= 0 {
		if _, locked := u.lists[p]; locked {
			rec, raw, err := prepare(op, rec)
			if err != nil {
				return domain.Record{}, err
			}
			return u.holdCreate(p, rec, raw, s.clock.NowMillis()), nil
		}
	}
	return s.CreateOwned(ctx, owner, p, rec, nil)
}

// create is Create's general case: the list locked, the id and the unique
// fields checked, the object written.
func (s *Storage) create(ctx context.Context, op string, p domain.Parent, rec domain.Record, raw []byte, unique []string) (domain.Record, error) {
	err := s.write(ctx, op, p, func(tx querier, current int64) (int64, error) {
		old, found, err := getRow(ctx, tx, p, rec.ID)
		if err != nil {
			return 0, err
		}
		if found && !old.Deleted {
			return 0, &domain.Error{Kind: domain.Conflict, Op: op, Message: "id already exists", Existing: &old}
		}
		if err := s.checkUnique(ctx, tx, op, p, rec, unique); err != nil {
			return 0, err
		}
		obj, list := domain.StampWrite(current, 0, rec.LastModified, s.clock.NowMillis())
		rec.LastModified = obj
		return list, put(ctx, tx, p, rec.ID, obj, false, raw, list)
	})
	if err != nil {
		return domain.Record{}, err
	}
	return rec, nil
}

// createSQL is the common create, with no proposed timestamp and no unique
// field, in one statement: the list row is locked and moved to
// domain.NextTimestamp's max(now, current+1), and the object inserted at
// that timestamp over a tombstone or nothing. When a live object has the
// id, or the owner ($6, $7, $8; ignored when $6 is NULL) is not live, the
// list is left alone and no row comes back.
const createSQL = `WITH list AS (
		INSERT INTO timestamps (parent_id, resource_name, last_modified)
		SELECT $1, $2, $4
		WHERE NOT EXISTS (SELECT 1 FROM objects WHERE parent_id = $1 AND resource_name = $2 AND id = $3 AND NOT deleted)
		AND ($6::text IS NULL OR EXISTS (
			SELECT 1 FROM objects WHERE parent_id = $6 AND resource_name = $7 AND id = $8 AND NOT deleted))
		ON CONFLICT (parent_id, resource_name) DO UPDATE
		SET last_modified = GREATEST(EXCLUDED.last_modified, COALESCE(timestamps.last_modified, 0) + 1)
		RETURNING last_modified
	)
	INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
	SELECT $1, $2, $3, list.last_modified, FALSE, $5::jsonb FROM list
	ON CONFLICT (parent_id, resource_name, id) DO UPDATE
	SET last_modified = EXCLUDED.last_modified, deleted = FALSE, data = EXCLUDED.data
	WHERE objects.deleted
	RETURNING last_modified`

// createNow runs createSQL, in ctx's unit when there is one (which then
// holds the list's lock), else as one autocommitted statement.
func (s *Storage) createNow(ctx context.Context, op string, owner *ports.ObjectRef, p domain.Parent, rec domain.Record, raw []byte) (domain.Record, error) {
	q := conn(ctx, s.db)
	var ownerList, ownerResource, ownerID sql.NullString
	if owner != nil {
		ownerList = sql.NullString{String: owner.List.ID, Valid: true}
		ownerResource = sql.NullString{String: owner.List.Resource, Valid: true}
		ownerID = sql.NullString{String: owner.ID, Valid: true}
	}
	var ts int64
	err := q.QueryRowContext(ctx, createSQL, p.ID, p.Resource, rec.ID, s.clock.NowMillis(), string(raw),
		ownerList, ownerResource, ownerID).Scan(&ts)
	if errors.Is(err, sql.ErrNoRows) {
		if owner != nil {
			if _, err := s.Get(ctx, owner.List, owner.ID); err != nil {
				return domain.Record{}, err
			}
		}
		old, found, err := getRow(ctx, q, p, rec.ID)
		if err != nil {
			return domain.Record{}, translate(op, err)
		}
		if !found || old.Deleted {
			// A concurrent create of the same id won the race; it is live
			// by now, but this statement's snapshot predates it.
			return domain.Record{}, &domain.Error{Kind: domain.Conflict, Op: op, Message: "id already exists"}
		}
		return domain.Record{}, &domain.Error{Kind: domain.Conflict, Op: op, Message: "id already exists", Existing: &old}
	}
	if err != nil {
		return domain.Record{}, writeError(op, fmt.Errorf("create %s %s: %w", p, rec.ID, err))
	}
	if u := unitOf(ctx, s.db); u != nil {
		u.lists[p] = ts
		if owner != nil {
			u.owners[p] = true
		}
	}
	rec.LastModified = ts
	return rec, nil
}

// Get returns the live object id of p; see ports.Storage.
func (s *Storage) Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error) {
	const op = "postgres.Storage.Get"
	rec, found, err := getRow(ctx, conn(ctx, s.db), p, id)
	if err != nil {
		return domain.Record{}, translate(op, err)
	}
	if !found || rec.Deleted {
		return domain.Record{}, domain.NotFoundError(op, p.Resource, id)
	}
	return rec, nil
}

// Update replaces or creates the object rec.ID; see ports.Storage.
func (s *Storage) Update(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "postgres.Storage.Update"
	rec, raw, err := prepare(op, rec)
	if err != nil {
		return domain.Record{}, err
	}
	err = s.write(ctx, op, p, func(tx querier, current int64) (int64, error) {
		old, found, err := getRow(ctx, tx, p, rec.ID)
		if err != nil {
			return 0, err
		}
		var previous int64
		if found && !old.Deleted {
			previous = old.LastModified
		}
		if err := s.checkUnique(ctx, tx, op, p, rec, unique); err != nil {
			return 0, err
		}
		obj, list := domain.StampWrite(current, previous, rec.LastModified, s.clock.NowMillis())
		rec.LastModified = obj
		return list, put(ctx, tx, p, rec.ID, obj, false, raw, list)
	})
	if err != nil {
		return domain.Record{}, err
	}
	return rec, nil
}

// Delete turns the live object id into a tombstone; see ports.Storage.
func (s *Storage) Delete(ctx context.Context, p domain.Parent, id string, lastModified int64) (domain.Record, error) {
	const op = "postgres.Storage.Delete"
	var tomb domain.Record
	err := s.write(ctx, op, p, func(tx querier, current int64) (int64, error) {
		old, found, err := getRow(ctx, tx, p, id)
		if err != nil {
			return 0, err
		}
		if !found || old.Deleted {
			return 0, domain.NotFoundError(op, p.Resource, id)
		}
		obj, list := domain.StampWrite(current, old.LastModified, lastModified, s.clock.NowMillis())
		tomb = old.Tombstone(obj)
		return list, put(ctx, tx, p, id, obj, true, []byte("{}"), list)
	})
	if err != nil {
		return domain.Record{}, err
	}
	return tomb, nil
}

// List returns the objects of p matching q; see ports.Storage.
func (s *Storage) List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	const op = "postgres.Storage.List"
	recs, err := selectRecords(ctx, conn(ctx, s.db), p, q)
	if err != nil {
		return nil, translate(op, err)
	}
	return recs, nil
}

// Count returns how many live objects of p match filters.
func (s *Storage) Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error) {
	const op = "postgres.Storage.Count"
	b := &builder{}
	where, complete := b.where(p, filters, false)
	if complete {
		query, args := compact(b.hint(`SELECT count(*) FROM objects WHERE `+where), b.args)
		if err := checkParams(args); err != nil {
			return 0, err
		}
		var n int
		if err := conn(ctx, s.db).QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			return 0, translate(op, err)
		}
		return n, nil
	}
	query, args := compact(b.hint(`SELECT id, last_modified, deleted, data FROM objects WHERE `+where), b.args)
	recs, err := queryRecords(ctx, conn(ctx, s.db), query, args)
	if err != nil {
		return 0, translate(op, err)
	}
	n := 0
	for _, r := range recs {
		if domain.MatchAll(r, filters) {
			n++
		}
	}
	return n, nil
}

// DeleteMany turns the live objects of p selected by q into tombstones with
// consecutive timestamps; see ports.Storage.
func (s *Storage) DeleteMany(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	const op = "postgres.Storage.DeleteMany"
	q.WithDeleted = false
	var out []domain.Record
	err := s.write(ctx, op, p, func(tx querier, current int64) (int64, error) {
		victims, err := selectRecords(ctx, tx, p, q)
		if err != nil {
			return 0, err
		}
		out = make([]domain.Record, len(victims))
		if len(victims) == 0 {
			return current, nil
		}
		ids := make([]string, len(victims))
		stamps := make([]int64, len(victims))
		list := current
		now := s.clock.NowMillis()
		for i, v := range victims {
			var obj int64
			obj, list = domain.StampWrite(list, v.LastModified, 0, now)
			ids[i], stamps[i] = v.ID, obj
			out[i] = v.Tombstone(obj)
		}
		_, err = tx.ExecContext(ctx, `WITH v (id, ts) AS (SELECT * FROM unnest($3::text[], $4::bigint[])),
			tombs AS (
				UPDATE objects o SET deleted = TRUE, data = '{}', last_modified = v.ts
				FROM v WHERE o.parent_id = $1 AND o.resource_name = $2 AND o.id = v.id
			)
			UPDATE timestamps SET last_modified = $5 WHERE parent_id = $1 AND resource_name = $2`,
			p.ID, p.Resource, pq.Array(ids), pq.Array(stamps), list)
		if err != nil {
			return 0, fmt.Errorf("write %d tombstones: %w", len(ids), err)
		}
		return list, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Purge removes the objects and tombstones of every list under parentID.
// List timestamps are kept, so that a list recreated later never goes back
// in time.
func (s *Storage) Purge(ctx context.Context, parentID string) (int, error) {
	const op = "postgres.Storage.Purge"
	res, err := conn(ctx, s.db).ExecContext(ctx, `DELETE FROM objects WHERE parent_id = $1 OR parent_id LIKE $2`,
		parentID, escapeLike(parentID)+"/%")
	if err != nil {
		return 0, translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// maxQueryParams stays clear of PostgreSQL's limit of 65,535 bound
// parameters per statement.
const maxQueryParams = 30000

// checkParams refuses a query with more bound parameters than PostgreSQL
// takes: the client sent that many filters or sort fields (dotted paths cost
// several parameters each), which is its error, not the server's.
func checkParams(args []any) error {
	if len(args) <= maxQueryParams {
		return nil
	}
	return &domain.Error{Kind: domain.Invalid, Op: "postgres.checkParams", Issues: []domain.Issue{{
		Location: domain.InQuerystring, Description: "Too many filters or sort fields",
	}}}
}

// write runs fn holding the lock of p's timestamps row: inside ctx's unit
// of work when there is one (the lock then stays until the unit ends),
// else in a transaction of its own. fn gets the list timestamp (0 when none
// is stored yet), writes the objects and the new list timestamp, and
// returns the latter.
func (s *Storage) write(ctx context.Context, op string, p domain.Parent, fn func(tx querier, current int64) (int64, error)) error {
	if u := unitOf(ctx, s.db); u != nil {
		current, err := u.lockList(ctx, p)
		if err != nil {
			return translate(op, err)
		}
		list, err := fn(u.readyTx(ctx), current)
		if err != nil {
			return writeError(op, err)
		}
		u.lists[p] = list
		return nil
	}
	// READ COMMITTED whatever the server's default: the list lock makes
	// writers wait for each other instead of failing with serialization
	// errors, and each statement sees what the previous writer committed.
	tx, err := beginTx(ctx, s.db)
	if err != nil {
		return translate(op, fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	var current sql.NullInt64
	if err := tx.QueryRowContext(ctx, lockListSQL, p.ID, p.Resource).Scan(&current); err != nil {
		return translate(op, fmt.Errorf("lock list %v: %w", p, err))
	}
	if _, err := fn(tx, current.Int64); err != nil {
		return writeError(op, err)
	}
	if err := tx.Commit(); err != nil {
		return translate(op, fmt.Errorf("commit: %w", err))
	}
	return nil
}

// LockList takes the lock of p's timestamps row until the end of ctx's
// unit of work; outside a unit it does nothing.
func (s *Storage) LockList(ctx context.Context, p domain.Parent) error {
	u := unitOf(ctx, s.db)
	if u == nil {
		return nil
	}
	if _, err := u.lockList(ctx, p); err != nil {
		return translate("postgres.Storage.LockList", err)
	}
	return nil
}

// writeError translates a failed write, naming a clashing timestamp.
func writeError(op string, err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "objects_list_last_modified_idx" {
		return &domain.Error{Kind: domain.Conflict, Op: op, Message: "timestamp already used in this list", Err: err}
	}
	return translate(op, err)
}

// put upserts one object and stores the list timestamp, in one statement.
func put(ctx context.Context, tx querier, p domain.Parent, id string, ts int64, deleted bool, data []byte, list int64) error {
	_, err := tx.ExecContext(ctx, `WITH obj AS (
			INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
			VALUES ($1, $2, $3, $4, $5, $6::jsonb)
			ON CONFLICT (parent_id, resource_name, id) DO UPDATE
			SET last_modified = EXCLUDED.last_modified, deleted = EXCLUDED.deleted, data = EXCLUDED.data
		)
		UPDATE timestamps SET last_modified = $7 WHERE parent_id = $1 AND resource_name = $2`,
		p.ID, p.Resource, id, ts, deleted, string(data), list)
	if err != nil {
		return fmt.Errorf("write %s %s: %w", p, id, err)
	}
	return nil
}

// checkUnique fails with Conflict when another live object of p has the
// same value as rec for one of the unique fields.
func (s *Storage) checkUnique(ctx context.Context, tx querier, op string, p domain.Parent, rec domain.Record, unique []string) error {
	for _, f := range unique {
		v, ok := rec.Field(f)
		if !ok {
			continue
		}
		others, err := selectRecords(ctx, tx, p, domain.Query{
			Filters: []domain.Filter{
				{Field: f, Op: domain.OpEq, Value: v},
				{Field: "id", Op: domain.OpNot, Value: rec.ID},
			},
			Limit: 1,
		})
		if err != nil {
			return fmt.Errorf("check unique field %s: %w", f, err)
		}
		if len(others) > 0 {
			existing := others[0]
			return &domain.Error{Kind: domain.Conflict, Op: op, Message: "unique field " + f + " already taken", Existing: &existing}
		}
	}
	return nil
}

// prepare deep-copies an incoming object, gives it the live shape and
// encodes its data.
func prepare(op string, rec domain.Record) (domain.Record, []byte, error) {
	if rec.ID == "" {
		return domain.Record{}, nil, domain.Errorf(domain.Internal, op, "object without id")
	}
	rec = rec.Clone()
	rec.Deleted = false
	if rec.Data == nil {
		rec.Data = map[string]any{}
	}
	raw, err := json.Marshal(rec.Data)
	if err != nil {
		return domain.Record{}, nil, &domain.Error{Kind: domain.Invalid, Op: op, Message: "data cannot be encoded as JSON", Err: err}
	}
	return rec, raw, nil
}

// getRow reads one object or tombstone.
func getRow(ctx context.Context, q sqlx.QueryerContext, p domain.Parent, id string) (domain.Record, bool, error) {
	recs, err := queryRecords(ctx, q, `SELECT id, last_modified, deleted, data FROM objects
		WHERE parent_id = $1 AND resource_name = $2 AND id = $3`, []any{p.ID, p.Resource, id})
	if err != nil || len(recs) == 0 {
		return domain.Record{}, false, err
	}
	return recs[0], true, nil
}

// where returns the conditions selecting p's objects (live ones only
// unless withDeleted) and the filters SQL can express; complete is false
// when some filter was left for Go.
func (b *builder) where(p domain.Parent, filters []domain.Filter, withDeleted bool) (where string, complete bool) {
	conds := []string{"parent_id = " + b.arg(p.ID), "resource_name = " + b.arg(p.Resource)}
	if !withDeleted {
		conds = append(conds, "NOT deleted")
	}
	complete = true
	for _, f := range filters {
		mark := len(b.args)
		cond, ok := b.filter(f)
		if !ok {
			b.args = b.args[:mark]
			complete = false
			continue
		}
		conds = append(conds, cond)
	}
	return strings.Join(conds, " AND "), complete
}

// selectRecords runs q on p: in SQL when it can, otherwise by finishing a
// SQL pre-selection with domain.Select.
func selectRecords(ctx context.Context, qr sqlx.QueryerContext, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	b := &builder{}
	where, complete := b.where(p, q.Filters, q.WithDeleted)
	mark := len(b.args)
	keys, ok := b.sorts(q.Sort)
	var after string
	if ok {
		keys = extracted(keys)
		after, ok = b.after(keys, q.After)
	}
	if complete && ok {
		from, conds := source(keys, where)
		if after != "TRUE" {
			conds = append(conds, after)
		}
		query := `SELECT id, last_modified, deleted, data FROM ` + from
		if len(conds) > 0 {
			query += " WHERE " + strings.Join(conds, " AND ")
		}
		query += orderBy(keys)
		if q.Limit > 0 {
			query += fmt.Sprintf(" LIMIT %d", q.Limit)
		}
		query, args := compact(b.hint(query), b.args)
		return queryRecords(ctx, qr, query, args)
	}
	b.args = b.args[:mark]
	query, args := compact(b.hint(`SELECT id, last_modified, deleted, data FROM objects WHERE `+where), b.args)
	recs, err := queryRecords(ctx, qr, query, args)
	if err != nil {
		return nil, err
	}
	return domain.Select(recs, q), nil
}

// extracted points the sort keys on data fields at the columns k<i>
// (value), r<i> (rank) and s<i> (string key) that source computes once per
// row: the ORDER BY clause and the cursor condition read each of them
// several times, and extracting them each time costs more, in planning and
// in execution, than the rest of the query.
func extracted(keys []sortKey) []sortKey {
	out := make([]sortKey, len(keys))
	for i, k := range keys {
		out[i] = k
		if k.field.col == colNone {
			out[i].field = field{
				json:          fmt.Sprintf("k%d", i),
				extractedFrom: k.field.json,
				rankCol:       fmt.Sprintf("r%d", i),
				strCol:        fmt.Sprintf("s%d", i),
			}
		}
	}
	return out
}

// source returns the FROM clause of a list query and its WHERE conditions:
// the objects table, or, when sorting on data fields, subqueries that
// compute their keys. OFFSET 0 keeps the planner from merging a subquery
// back into its parent, which would compute the keys again.
func source(keys []sortKey, where string) (from string, conds []string) {
	var values, ranks []string
	for i, k := range keys {
		if k.field.extractedFrom == "" {
			continue
		}
		values = append(values, fmt.Sprintf("%s AS k%d", k.field.extractedFrom, i))
		value := field{json: k.field.json}
		rank, _ := value.rank()
		ranks = append(ranks, fmt.Sprintf("%s AS r%d, %s AS s%d", rank, i, value.typed(rankString), i))
	}
	if len(values) == 0 {
		return "objects", []string{where}
	}
	return "(SELECT o.*, " + strings.Join(ranks, ", ") + " FROM " +
		"(SELECT id, last_modified, deleted, data, " + strings.Join(values, ", ") +
		" FROM objects WHERE " + where + " OFFSET 0) AS o OFFSET 0) AS k", nil
}

// queryRecords runs a query returning (id, last_modified, deleted, data)
// rows and decodes them.
func queryRecords(ctx context.Context, q sqlx.QueryerContext, query string, args []any) ([]domain.Record, error) {
	if err := checkParams(args); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Record{}
	var raw []byte
	for rows.Next() {
		var r domain.Record
		if err := rows.Scan(&r.ID, &r.LastModified, &r.Deleted, &raw); err != nil {
			return nil, fmt.Errorf("scan object: %w", err)
		}
		if !r.Deleted {
			data, err := decodeData(raw)
			if err != nil {
				return nil, fmt.Errorf("decode object %s: %w", r.ID, err)
			}
			r.Data = data
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeData decodes a jsonb object with json.Number for numbers, as the
// protocol layers do.
func decodeData(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}
