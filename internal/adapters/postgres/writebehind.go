package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// A unit of work holds back the writes it can (the creates of new objects
// in a list it has locked, and granted permissions) and sends them
// together, in one statement, right before its next statement or its
// commit: a batch of creates then costs a few round trips instead of a few
// per create. Every statement of the unit flushes first, so what the unit
// reads always includes what it wrote.
//
// Nested units follow: a nested unit opens its savepoint only when it
// sends a statement (after flushing what came before it), and one that
// fails before that just drops the writes it held back.

// heldObject is a create held back: the object, stamped, and its list.
type heldObject struct {
	seq  int
	p    domain.Parent
	id   string
	ts   int64
	data string
}

// heldGrant is a granted permission held back.
type heldGrant struct {
	seq                     int
	object, perm, principal string
}

// level is one open nested unit.
type level struct {
	mark   int  // sequence number of the first write held back inside it
	n      int  // its savepoint's number, once opened
	opened bool // its SAVEPOINT went out
}

// hold returns the next sequence number of a held-back write.
func (u *txUnit) hold() int {
	u.seq++
	return u.seq
}

// holdCreate holds back the create of rec, a new object of the locked list
// p, stamped after the list's timestamp, and returns it stamped.
func (u *txUnit) holdCreate(p domain.Parent, rec domain.Record, raw []byte, now int64) domain.Record {
	ts := domain.NextTimestamp(u.lists[p], now)
	u.lists[p] = ts
	u.objects = append(u.objects, heldObject{seq: u.hold(), p: p, id: rec.ID, ts: ts, data: string(raw)})
	rec.LastModified = ts
	return rec
}

// holdGrant holds back granting perm on object to principal.
func (u *txUnit) holdGrant(object, perm, principal string) {
	u.grants = append(u.grants, heldGrant{seq: u.hold(), object: object, perm: perm, principal: principal})
}

// ready opens the savepoints of the nested units that have none yet and
// sends every write held back, so that a statement can follow: it must
// run before anything is sent on the unit's transaction.
func (u *txUnit) ready(ctx context.Context) error {
	for _, lv := range u.levels {
		if lv.opened {
			continue
		}
		// What came before the nested unit goes out before its savepoint,
		// so that rolling back to the savepoint keeps it.
		if err := u.flush(ctx, lv.mark); err != nil {
			return err
		}
		u.savepoints++
		lv.n = u.savepoints
		stmt := "SAVEPOINT " + savepointName(lv.n)
		if u.released != 0 {
			// A batch opens a savepoint per subrequest that sends
			// anything: the previous one is released in the same simple
			// query, so that each costs one round trip and they never
			// pile up.
			stmt = "RELEASE SAVEPOINT " + savepointName(u.released) + "; " + stmt
			u.released = 0
		}
		if _, err := u.tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		lv.opened = true
	}
	return u.flush(ctx, u.seq+1)
}

// flushSQL writes held-back objects (over a tombstone or nothing), their
// lists' timestamps and held-back grants in one statement, and counts the
// objects written: fewer than sent means an id was live.
const flushSQL = `WITH objs AS (
		INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
		SELECT v.parent_id, v.resource_name, v.id, v.ts, FALSE, v.data::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]) AS v (parent_id, resource_name, id, ts, data)
		ON CONFLICT (parent_id, resource_name, id) DO UPDATE
		SET last_modified = EXCLUDED.last_modified, deleted = FALSE, data = EXCLUDED.data
		WHERE objects.deleted
		RETURNING 1
	), lists AS (
		UPDATE timestamps t SET last_modified = v.ts
		FROM unnest($6::text[], $7::text[], $8::bigint[]) AS v (parent_id, resource_name, ts)
		WHERE t.parent_id = v.parent_id AND t.resource_name = v.resource_name
	), grants AS (
		INSERT INTO access_control_entries (object_id, permission, principal)
		SELECT * FROM unnest($9::text[], $10::text[], $11::text[])
		ON CONFLICT DO NOTHING
	)
	SELECT count(*) FROM objs`

// flush sends the writes held back with a sequence number below upTo.
func (u *txUnit) flush(ctx context.Context, upTo int) error {
	objs := u.objects[:0:0]
	for len(u.objects) > 0 && u.objects[0].seq < upTo {
		objs = append(objs, u.objects[0])
		u.objects = u.objects[1:]
	}
	var grants []heldGrant
	for len(u.grants) > 0 && u.grants[0].seq < upTo {
		grants = append(grants, u.grants[0])
		u.grants = u.grants[1:]
	}
	if len(objs) == 0 && len(grants) == 0 {
		return nil
	}
	var parents, resources, ids, data []string
	var stamps []int64
	last := map[domain.Parent]int64{}
	for _, o := range objs {
		parents, resources, ids, data = append(parents, o.p.ID), append(resources, o.p.Resource), append(ids, o.id), append(data, o.data)
		stamps = append(stamps, o.ts)
		last[o.p] = max(last[o.p], o.ts)
	}
	var listIDs, listResources []string
	var listStamps []int64
	for _, p := range slices.SortedFunc(maps.Keys(last), func(a, b domain.Parent) int {
		if a.ID != b.ID {
			return compareStrings(a.ID, b.ID)
		}
		return compareStrings(a.Resource, b.Resource)
	}) {
		listIDs, listResources, listStamps = append(listIDs, p.ID), append(listResources, p.Resource), append(listStamps, last[p])
	}
	var objects, perms, principals []string
	for _, g := range grants {
		objects, perms, principals = append(objects, g.object), append(perms, g.perm), append(principals, g.principal)
	}
	var written int
	err := u.tx.QueryRowContext(ctx, flushSQL,
		pq.Array(parents), pq.Array(resources), pq.Array(ids), pq.Array(stamps), pq.Array(data),
		pq.Array(listIDs), pq.Array(listResources), pq.Array(listStamps),
		pq.Array(objects), pq.Array(perms), pq.Array(principals)).Scan(&written)
	if err != nil {
		return fmt.Errorf("write %d objects and %d grants held back: %w", len(objs), len(grants), err)
	}
	if written != len(objs) {
		return &domain.Error{Kind: domain.Conflict, Op: "postgres.flush",
			Message: fmt.Sprintf("%d of %d new objects had the id of a live object", len(objs)-written, len(objs))}
	}
	return nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// drop forgets the writes held back from sequence number from on: their
// nested unit failed.
func (u *txUnit) drop(from int) {
	u.objects = slices.DeleteFunc(u.objects, func(o heldObject) bool { return o.seq >= from })
	u.grants = slices.DeleteFunc(u.grants, func(g heldGrant) bool { return g.seq >= from })
}

// readyTx is the unit's transaction for a statement: ready first. A
// failure to get ready is the statement's failure.
func (u *txUnit) readyTx(ctx context.Context) querier {
	if u.err != nil {
		return failing{u, u.err}
	}
	if err := u.ready(ctx); err != nil {
		u.err = err
		return failing{u, err}
	}
	return u.tx
}

// failing is a querier whose every statement fails with err, for a unit
// that could not get ready. *sql.Row cannot carry an error of ours: a row
// fails as a request on an ended context does (Unavailable), and the unit
// keeps err for its commit to return.
type failing struct {
	u   *txUnit
	err error
}

var _ querier = failing{}

func (f failing) ExecContext(context.Context, string, ...any) (sql.Result, error) {
	return nil, f.err
}

func (f failing) QueryContext(context.Context, string, ...any) (*sql.Rows, error) {
	return nil, f.err
}

func (f failing) QueryxContext(context.Context, string, ...any) (*sqlx.Rows, error) {
	return nil, f.err
}

func (f failing) SelectContext(context.Context, any, string, ...any) error { return f.err }

func (f failing) QueryRowContext(ctx context.Context, _ string, _ ...any) *sql.Row {
	return failedRow(ctx, f.u.db)
}

func (f failing) QueryRowxContext(ctx context.Context, _ string, _ ...any) *sqlx.Row {
	return f.u.db.QueryRowxContext(expired(ctx), "")
}
