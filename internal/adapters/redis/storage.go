package redis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Storage = (*Storage)(nil)

// maxWriteAttempts bounds the optimistic retries of one write under
// contention; each attempt is also bounded by the command timeout, and the
// loop stops as soon as the context is done.
const maxWriteAttempts = 200

// scanBatch is how many objects one step of an ordered walk fetches when
// filters may drop some of them.
const scanBatch = 200

// Storage is a ports.Storage on Redis. Each list (one domain.Parent) has:
//
//   - meta: a hash with the list timestamp "ts" and a version "ver" that
//     every write increments;
//   - obj: a hash id → object (live or tombstone), so that Get and id
//     filters are one HGET/HMGET;
//   - all and live: sorted sets of ids scored by last_modified, of every
//     object and of live ones, so that the default order (last_modified,
//     either way), _since/_before cursors and Count without filters read
//     only the page they need (ZRANGEBYSCORE, ZCARD), never the whole list;
//   - its name in one sorted set of every list, ordered by parent id, so
//     that Purge by prefix finds the lists below a parent by ZRANGEBYLEX.
//
// Writes are optimistic: a write reads the list's version first, then what
// it needs (the list timestamp, the previous object, for unique fields the
// live objects), decides in Go with the domain's functions (StampWrite,
// Equal), and sends the result in one Lua script that applies it only if
// the version has not moved, atomically with the timestamp bump. A write
// that lost the race reads again. Timestamps are thus unique and strictly
// increasing per list across every process sharing the server.
//
// Filters and sorts other than the default order, and unique fields, are
// decided in Go by the domain's pure functions over the objects fetched
// (domain.Select, MatchAll, Equal), as in the memory adapter: such a query
// reads the whole list.
type Storage struct {
	pool   *Pool
	prefix string
	clock  domain.Clock
	guard  *Store // the Store this storage belongs to, or nil
}

// NewStorage returns a Storage on pool whose keys start with prefix,
// stamping writes with clock.
func NewStorage(pool *Pool, prefix string, clock domain.Clock) *Storage {
	return &Storage{pool: pool, prefix: prefix, clock: clock}
}

// keys names the Redis keys of one list.
type keys struct {
	meta, obj, all, live, lists string
	member                      string // the list's name in lists
}

func (s *Storage) keysOf(p domain.Parent) keys {
	name := strconv.Quote(p.Resource) + strconv.Quote(p.ID)
	return keys{
		meta:   s.prefix + "meta:" + name,
		obj:    s.prefix + "obj:" + name,
		all:    s.prefix + "all:" + name,
		live:   s.prefix + "live:" + name,
		lists:  s.prefix + "lists",
		member: p.ID + "\x00" + p.Resource,
	}
}

// envelope is the stored form of an object: short names, and Data apart
// from the protocol fields so that no data field can pass for one.
type envelope struct {
	ID           string         `json:"i"`
	LastModified int64          `json:"t"`
	Deleted      bool           `json:"d,omitempty"`
	Data         map[string]any `json:"v,omitempty"`
}

func encode(rec domain.Record) ([]byte, error) {
	return json.Marshal(envelope{ID: rec.ID, LastModified: rec.LastModified, Deleted: rec.Deleted, Data: rec.Data})
}

func decode(op string, b []byte) (domain.Record, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var e envelope
	if err := dec.Decode(&e); err != nil {
		return domain.Record{}, domain.Wrap(domain.Internal, op, fmt.Errorf("decode stored object: %w", err))
	}
	rec := domain.Record{ID: e.ID, LastModified: e.LastModified, Deleted: e.Deleted, Data: e.Data}
	if !rec.Deleted && rec.Data == nil {
		rec.Data = map[string]any{}
	}
	return rec, nil
}

// decodeAll decodes the objects of a multi-bulk reply, skipping nils.
func decodeAll(op string, reply any) ([]domain.Record, error) {
	values, err := redigo.Values(reply, nil)
	if err != nil && !errors.Is(err, redigo.ErrNil) {
		return nil, domain.Wrap(domain.Internal, op, err)
	}
	out := make([]domain.Record, 0, len(values))
	for _, v := range values {
		if v == nil {
			continue
		}
		b, err := redigo.Bytes(v, nil)
		if err != nil {
			return nil, domain.Wrap(domain.Internal, op, err)
		}
		rec, err := decode(op, b)
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// Healthy sends PING.
func (s *Storage) Healthy(ctx context.Context) error {
	_, err := s.pool.do(ctx, "redis.Storage.Healthy", "PING")
	return err
}

// timestampScript returns the list timestamp, storing ARGV[1] (the clock)
// for a list never stamped; storing it moves the version, so that a write
// that read the list before cannot stamp an object at or below it.
var timestampScript = redigo.NewScript(1, unitLib+`
local ts = redis.call('HGET', KEYS[1], 'ts')
if ts then return ts end
u_hset(KEYS[1], 'ts', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'ver', 1)
return ARGV[1]`)

// Timestamp returns the list timestamp of p, storing the current time for
// a list never stamped.
func (s *Storage) Timestamp(ctx context.Context, p domain.Parent) (int64, error) {
	const op = "redis.Storage.Timestamp"
	k := s.keysOf(p)
	// Most lists are stamped already: read first, write only if not.
	reply, err := s.read(ctx, op, "HGET", k.meta, "ts")
	if err != nil {
		return 0, err
	}
	if reply == nil {
		err = s.guard.write(ctx, func(ctx context.Context, uargs []any) error {
			reply, err = s.script(ctx, op, timestampScript, append(append([]any{k.meta}, uargs...), s.clock.NowMillis())...)
			return err
		})
		if err != nil {
			return 0, err
		}
	}
	ts, err := redigo.Int64(reply, nil)
	if err != nil {
		return 0, domain.Wrap(domain.Internal, op, err)
	}
	return ts, nil
}

// read runs one read command, guarded outside a unit of the store.
func (s *Storage) read(ctx context.Context, op, cmd string, args ...any) (any, error) {
	c, err := s.pool.get(ctx, op)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reply, err := redigo.DoContext(s.guard.reader(ctx, op, c), ctx, cmd, args...)
	if err != nil && !errors.Is(err, redigo.ErrNil) {
		return nil, translate(op, ctx, err)
	}
	return reply, nil
}

// script runs a Lua script on a connection of the pool.
func (s *Storage) script(ctx context.Context, op string, sc *redigo.Script, keysAndArgs ...any) (any, error) {
	return s.pool.script(ctx, op, sc, keysAndArgs...)
}

// LockList does nothing: outside a unit, every write is atomic on its own,
// and a unit of a Store holds the whole store's lock already.
func (s *Storage) LockList(ctx context.Context, _ domain.Parent) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "redis.Storage.LockList", err)
	}
	return nil
}

// listState is what a write reads of its list before deciding.
type listState struct {
	ver   string
	ts    int64 // 0 when never stamped
	hasTS bool
}

// readState reads the version and timestamp of a list, version first: the
// write script refuses to apply if the version moved after this read, so
// everything read after it is consistent with it.
func (s *Storage) readState(ctx context.Context, c redigo.Conn, op string, k keys) (listState, error) {
	values, err := redigo.Values(redigo.DoContext(c, ctx, "HMGET", k.meta, "ver", "ts"))
	if err != nil {
		return listState{}, translate(op, ctx, err)
	}
	var st listState
	st.ver = "0"
	if values[0] != nil {
		v, _ := redigo.String(values[0], nil)
		st.ver = v
	}
	if values[1] != nil {
		ts, err := redigo.Int64(values[1], nil)
		if err != nil {
			return listState{}, domain.Wrap(domain.Internal, op, err)
		}
		st.ts, st.hasTS = ts, true
	}
	return st, nil
}

// applyScript writes objects into one list if its version is still
// ARGV[1]: it moves the version and the list timestamp (ARGV[2]), records
// the list in the list of lists (ARGV[3]), then for each group of four
// arguments (id, stored object, last_modified, deleted) stores the object
// and its place in the sorted sets. It returns 0 when the version moved.
// KEYS: meta, obj, all, live, lists.
var applyScript = redigo.NewScript(5, unitLib+`
if (redis.call('HGET', KEYS[1], 'ver') or '0') ~= ARGV[1] then return 0 end
redis.call('HINCRBY', KEYS[1], 'ver', 1)
u_hset(KEYS[1], 'ts', ARGV[2])
u_zadd(KEYS[5], 0, ARGV[3])
for i = 4, #ARGV, 4 do
  local id = ARGV[i]
  u_hset(KEYS[2], id, ARGV[i+1])
  u_zadd(KEYS[3], ARGV[i+2], id)
  if ARGV[i+3] == '1' then
    u_zrem(KEYS[4], id)
  else
    u_zadd(KEYS[4], ARGV[i+2], id)
  end
end
return 1`)

// errRetry tells the write loop that the list moved under the write.
var errRetry = errors.New("list changed, retry")

// write runs decide in an optimistic loop: decide reads what it needs on c
// after the list state, and returns the objects to store and the new list
// timestamp; the loop sends them with applyScript and starts again when
// another write got in between.
func (s *Storage) write(ctx context.Context, op string, p domain.Parent,
	decide func(c redigo.Conn, st listState) (recs []domain.Record, listTS int64, err error)) error {
	return s.guard.write(ctx, func(ctx context.Context, uargs []any) error {
		return s.writeLoop(ctx, op, p, uargs, decide)
	})
}

// writeLoop is write with the unit's arguments for the script.
func (s *Storage) writeLoop(ctx context.Context, op string, p domain.Parent, uargs []any,
	decide func(c redigo.Conn, st listState) (recs []domain.Record, listTS int64, err error)) error {
	k := s.keysOf(p)
	c, err := s.pool.get(ctx, op)
	if err != nil {
		return err
	}
	defer c.Close()
	for attempt := 0; attempt < maxWriteAttempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return translate(op, ctx, err)
		}
		st, err := s.readState(ctx, c, op, k)
		if err != nil {
			return err
		}
		recs, listTS, err := decide(c, st)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		args := append([]any{k.meta, k.obj, k.all, k.live, k.lists}, uargs...)
		args = append(args, st.ver, listTS, k.member)
		for _, r := range recs {
			b, err := encode(r)
			if err != nil {
				return domain.Wrap(domain.Internal, op, err)
			}
			deleted := "0"
			if r.Deleted {
				deleted = "1"
			}
			args = append(args, r.ID, b, r.LastModified, deleted)
		}
		ok, err := redigo.Int(applyScript.DoContext(ctx, c, args...))
		if err != nil {
			return translate(op, ctx, err)
		}
		if ok == 1 {
			return nil
		}
		// Another writer moved the list: back off a little, growing with
		// the attempts, so that contenders spread out.
		time.Sleep(time.Duration(attempt%10) * 100 * time.Microsecond)
	}
	return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "too much contention on one list",
		Err: fmt.Errorf("%w: %d attempts", errRetry, maxWriteAttempts)}
}

// getOn reads one object (live or tombstone) on c.
func getOn(ctx context.Context, c redigo.Conn, op string, k keys, id string) (domain.Record, bool, error) {
	b, err := redigo.Bytes(redigo.DoContext(c, ctx, "HGET", k.obj, id))
	if errors.Is(err, redigo.ErrNil) {
		return domain.Record{}, false, nil
	}
	if err != nil {
		return domain.Record{}, false, translate(op, ctx, err)
	}
	rec, err := decode(op, b)
	return rec, err == nil, err
}

// stamp applies the timestamp rule; a proposal in the past that another
// object of the list already carries is a Conflict, as timestamps are
// unique per list.
func (s *Storage) stamp(ctx context.Context, c redigo.Conn, op string, k keys, st listState, rec *domain.Record, previous, proposed int64) (int64, error) {
	current := st.ts
	obj, listTS := domain.StampWrite(current, previous, proposed, s.clock.NowMillis())
	if obj <= current {
		ids, err := redigo.Strings(redigo.DoContext(c, ctx, "ZRANGEBYSCORE", k.all, obj, obj, "LIMIT", 0, 1))
		if err != nil {
			return 0, translate(op, ctx, err)
		}
		// The object's own previous version is below obj (StampWrite
		// ignores a proposal not above it), so any holder is another.
		if len(ids) > 0 {
			return 0, domain.Errorf(domain.Conflict, op, "timestamp %d is already used in this list", obj)
		}
	}
	rec.LastModified = obj
	return listTS, nil
}

// checkUnique fails with Conflict when another live object of the list has
// the same value as rec for one of the unique fields. It reads the list's
// objects, and only when rec has one of the fields.
func checkUnique(ctx context.Context, c redigo.Conn, op string, k keys, rec domain.Record, unique []string) error {
	var fields []string
	for _, f := range unique {
		if _, ok := rec.Field(f); ok {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		return nil
	}
	reply, err := redigo.DoContext(c, ctx, "HVALS", k.obj)
	if err != nil {
		return translate(op, ctx, err)
	}
	others, err := decodeAll(op, reply)
	if err != nil {
		return err
	}
	for _, field := range fields {
		v, _ := rec.Field(field)
		for _, other := range others {
			if other.ID == rec.ID || other.Deleted {
				continue
			}
			if ov, ok := other.Field(field); ok && domain.Equal(v, ov) {
				existing := other
				return &domain.Error{Kind: domain.Conflict, Op: op, Message: "unique field " + field + " already taken", Existing: &existing}
			}
		}
	}
	return nil
}

// normalize deep-copies an incoming object and gives it the live shape.
func normalize(rec domain.Record) domain.Record {
	rec = rec.Clone()
	rec.Deleted = false
	if rec.Data == nil {
		rec.Data = map[string]any{}
	}
	return rec
}

// Create stores rec as a new live object; see ports.Storage.
func (s *Storage) Create(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "redis.Storage.Create"
	return s.put(ctx, op, p, rec, unique, true)
}

// Update replaces or creates the object rec.ID; see ports.Storage.
func (s *Storage) Update(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "redis.Storage.Update"
	return s.put(ctx, op, p, rec, unique, false)
}

func (s *Storage) put(ctx context.Context, op string, p domain.Parent, rec domain.Record, unique []string, create bool) (domain.Record, error) {
	if rec.ID == "" {
		return domain.Record{}, domain.Errorf(domain.Internal, op, "object without id")
	}
	in := normalize(rec)
	k := s.keysOf(p)
	var out domain.Record
	err := s.write(ctx, op, p, func(c redigo.Conn, st listState) ([]domain.Record, int64, error) {
		out = in.Clone()
		old, had, err := getOn(ctx, c, op, k, in.ID)
		if err != nil {
			return nil, 0, err
		}
		var previous int64
		if had && !old.Deleted {
			if create {
				return nil, 0, &domain.Error{Kind: domain.Conflict, Op: op, Message: "id already exists", Existing: &old}
			}
			previous = old.LastModified
		}
		if err := checkUnique(ctx, c, op, k, out, unique); err != nil {
			return nil, 0, err
		}
		listTS, err := s.stamp(ctx, c, op, k, st, &out, previous, in.LastModified)
		if err != nil {
			return nil, 0, err
		}
		return []domain.Record{out}, listTS, nil
	})
	if err != nil {
		return domain.Record{}, err
	}
	return out, nil
}

// Get returns the live object id of p; see ports.Storage.
func (s *Storage) Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error) {
	const op = "redis.Storage.Get"
	reply, err := s.read(ctx, op, "HGET", s.keysOf(p).obj, id)
	if err != nil {
		return domain.Record{}, err
	}
	if reply != nil {
		b, err := redigo.Bytes(reply, nil)
		if err != nil {
			return domain.Record{}, domain.Wrap(domain.Internal, op, err)
		}
		rec, err := decode(op, b)
		if err != nil {
			return domain.Record{}, err
		}
		if !rec.Deleted {
			return rec, nil
		}
	}
	return domain.Record{}, domain.NotFoundError(op, p.Resource, id)
}

// Delete turns the live object id into a tombstone; see ports.Storage.
func (s *Storage) Delete(ctx context.Context, p domain.Parent, id string, lastModified int64) (domain.Record, error) {
	const op = "redis.Storage.Delete"
	k := s.keysOf(p)
	var tomb domain.Record
	err := s.write(ctx, op, p, func(c redigo.Conn, st listState) ([]domain.Record, int64, error) {
		old, had, err := getOn(ctx, c, op, k, id)
		if err != nil {
			return nil, 0, err
		}
		if !had || old.Deleted {
			return nil, 0, domain.NotFoundError(op, p.Resource, id)
		}
		tomb = old.Tombstone(0)
		listTS, err := s.stamp(ctx, c, op, k, st, &tomb, old.LastModified, lastModified)
		if err != nil {
			return nil, 0, err
		}
		return []domain.Record{tomb}, listTS, nil
	})
	if err != nil {
		return domain.Record{}, err
	}
	return tomb, nil
}

// List returns the objects of p matching q; see ports.Storage.
func (s *Storage) List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	const op = "redis.Storage.List"
	c, err := s.pool.get(ctx, op)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return s.query(ctx, s.guard.reader(ctx, op, c), op, s.keysOf(p), q)
}

// query selects the objects of q on c: by id lookups when a filter names
// ids, by walking a sorted set in the default order, or else by reading the
// whole list.
func (s *Storage) query(ctx context.Context, c redigo.Conn, op string, k keys, q domain.Query) ([]domain.Record, error) {
	if named, rest, ok, err := byIDs(ctx, c, op, k, q.Filters); ok || err != nil {
		if err != nil {
			return nil, err
		}
		q.Filters = rest
		return domain.Select(named, q), nil
	}
	if len(q.Sort) > 0 && q.Sort[0].Field == "last_modified" {
		// Timestamps are unique in a list, so the first sort key decides
		// alone and the sorted sets are already in that order.
		if len(q.After) == 0 {
			return walk(ctx, c, op, k, q, false, 0)
		}
		if ts, ok := domain.AsInt(q.After[0].Value); ok && !q.After[0].Missing {
			return walk(ctx, c, op, k, q, true, ts)
		}
		// A missing or non-integer cursor: the general path orders it
		// against the objects.
	}
	reply, err := redigo.DoContext(c, ctx, "HVALS", k.obj)
	if err != nil {
		return nil, translate(op, ctx, err)
	}
	recs, err := decodeAll(op, reply)
	if err != nil {
		return nil, err
	}
	return domain.Select(recs, q), nil
}

// pageScript returns the objects of the ids of a sorted set in a score
// range, in order: ARGV are min, max, offset, count and "1" for descending
// (min and max then swap roles, as ZREVRANGEBYSCORE wants max first).
// KEYS: the sorted set, the objects hash.
var pageScript = redigo.NewScript(2, `
local ids
if ARGV[5] == '1' then
  ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[2], ARGV[1], 'LIMIT', ARGV[3], ARGV[4])
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', ARGV[3], ARGV[4])
end
local out = {}
-- unpack is bounded by Lua's stack (about 8000 values): a page as large
-- as storage_max_fetch_size reads its objects in slices.
for i = 1, #ids, 1000 do
  local part = redis.call('HMGET', KEYS[2], unpack(ids, i, math.min(i + 999, #ids)))
  for j = 1, #part do out[#out + 1] = part[j] end
end
return out`)

// walk reads the objects in last_modified order from the cursor, in
// batches, applying the filters until the limit is reached. Each batch
// starts strictly after the last timestamp seen, so writes between batches
// neither repeat nor skip an object that stayed in place.
func walk(ctx context.Context, c redigo.Conn, op string, k keys, q domain.Query, hasCursor bool, cursor int64) ([]domain.Record, error) {
	desc := q.Sort[0].Desc
	set := k.live
	if q.WithDeleted {
		set = k.all
	}
	batch := scanBatch
	if len(q.Filters) == 0 && q.Limit > 0 {
		batch = q.Limit // nothing dropped: one batch is the page
	}
	lo, hi := "-inf", "+inf"
	if hasCursor {
		if desc {
			hi = "(" + strconv.FormatInt(cursor, 10)
		} else {
			lo = "(" + strconv.FormatInt(cursor, 10)
		}
	}
	out := []domain.Record{}
	for {
		reply, err := pageScript.DoContext(ctx, c, set, k.obj, lo, hi, 0, batch, boolArg(desc))
		if err != nil {
			return nil, translate(op, ctx, err)
		}
		recs, err := decodeAll(op, reply)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if (r.Deleted && !q.WithDeleted) || !domain.MatchAll(r, q.Filters) {
				continue
			}
			out = append(out, r)
			if q.Limit > 0 && len(out) >= q.Limit {
				return out, nil
			}
		}
		values, _ := redigo.Values(reply, nil)
		if len(values) < batch {
			return out, nil
		}
		if len(recs) == 0 {
			// Every id of the batch vanished between the two reads of
			// the script: impossible, as a script is atomic.
			return nil, domain.Errorf(domain.Internal, op, "sorted set out of step with objects")
		}
		last := recs[len(recs)-1].LastModified
		if desc {
			hi = "(" + strconv.FormatInt(last, 10)
		} else {
			lo = "(" + strconv.FormatInt(last, 10)
		}
	}
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// byIDs serves filters naming ids with one HMGET: it picks the id eq or id
// in filter with the fewest values and returns the objects (live or
// tombstones) it names, each once, with the other filters, which the caller
// still applies; ok is false when no filter names ids. An id is a string,
// so only string values can equal it and the picked filter is fully
// decided by the lookup.
func byIDs(ctx context.Context, c redigo.Conn, op string, k keys, filters []domain.Filter) (named []domain.Record, rest []domain.Filter, ok bool, err error) {
	ids, rest, ok := domain.IDLookup(filters)
	if !ok {
		return nil, nil, false, nil
	}
	if len(ids) == 0 {
		return []domain.Record{}, rest, true, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, k.obj)
	for _, id := range ids {
		args = append(args, id)
	}
	reply, err := redigo.DoContext(c, ctx, "HMGET", args...)
	if err != nil {
		return nil, nil, true, translate(op, ctx, err)
	}
	named, err = decodeAll(op, reply)
	return named, rest, true, err
}

// Count returns how many live objects of p match filters.
func (s *Storage) Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error) {
	const op = "redis.Storage.Count"
	k := s.keysOf(p)
	if len(filters) == 0 {
		reply, err := s.read(ctx, op, "ZCARD", k.live)
		if err != nil {
			return 0, err
		}
		n, err := redigo.Int(reply, nil)
		if err != nil {
			return 0, domain.Wrap(domain.Internal, op, err)
		}
		return n, nil
	}
	c, err := s.pool.get(ctx, op)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	recs, err := s.query(ctx, s.guard.reader(ctx, op, c), op, k, domain.Query{Filters: filters})
	if err != nil {
		return 0, err
	}
	return len(recs), nil
}

// DeleteMany turns the live objects of p selected by q into tombstones, in
// one write; see ports.Storage.
func (s *Storage) DeleteMany(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	const op = "redis.Storage.DeleteMany"
	k := s.keysOf(p)
	q.WithDeleted = false
	var out []domain.Record
	err := s.write(ctx, op, p, func(c redigo.Conn, st listState) ([]domain.Record, int64, error) {
		victims, err := s.query(ctx, c, op, k, q)
		if err != nil {
			return nil, 0, err
		}
		out = make([]domain.Record, 0, len(victims))
		now := s.clock.NowMillis()
		current := st.ts
		for _, r := range victims {
			tomb := r.Tombstone(0)
			tomb.LastModified, current = domain.StampWrite(current, r.LastModified, 0, now)
			out = append(out, tomb)
		}
		return out, current, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// purgeScript removes the objects of one list, keeping its timestamp (a
// list recreated later never goes back in time) and moving its version, and
// returns how many objects it removed. KEYS: meta, obj, all, live, lists;
// ARGV: the list's name in lists.
var purgeScript = redigo.NewScript(5, unitLib+`
local n = redis.call('HLEN', KEYS[2])
u_del(KEYS[2])
u_del(KEYS[3])
u_del(KEYS[4])
redis.call('HINCRBY', KEYS[1], 'ver', 1)
u_zrem(KEYS[5], ARGV[1])
return n`)

// Purge removes the objects and tombstones of every list under parentID,
// one list at a time (each atomically).
func (s *Storage) Purge(ctx context.Context, parentID string) (total int, err error) {
	const op = "redis.Storage.Purge"
	err = s.guard.write(ctx, func(ctx context.Context, uargs []any) error {
		total, err = s.purge(ctx, op, parentID, uargs)
		return err
	})
	return total, err
}

func (s *Storage) purge(ctx context.Context, op, parentID string, uargs []any) (int, error) {
	c, err := s.pool.get(ctx, op)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	lists := s.prefix + "lists"
	// Members are "<parent id>\x00<resource>": the parent itself sorts in
	// ["id\x00", "id\x01"), the parents below it in ["id/", "id0").
	var members []string
	for _, r := range [][2]string{{"[" + parentID + "\x00", "(" + parentID + "\x01"}, {"[" + parentID + "/", "(" + parentID + "0"}} {
		m, err := redigo.Strings(redigo.DoContext(c, ctx, "ZRANGEBYLEX", lists, r[0], r[1]))
		if err != nil {
			return 0, translate(op, ctx, err)
		}
		members = append(members, m...)
	}
	total := 0
	for _, m := range members {
		id, resource, found := strings.Cut(m, "\x00")
		if !found {
			return total, domain.Errorf(domain.Internal, op, "malformed list name %q", m)
		}
		k := s.keysOf(domain.Parent{Resource: resource, ID: id})
		args := append([]any{k.meta, k.obj, k.all, k.live, k.lists}, uargs...)
		n, err := redigo.Int(purgeScript.DoContext(ctx, c, append(args, k.member)...))
		if err != nil {
			return total, translate(op, ctx, err)
		}
		total += n
	}
	return total, nil
}
