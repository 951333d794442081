package memory

import (
	"context"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Storage = (*Storage)(nil)

// Storage is an in-memory ports.Storage. One lock guards everything, so
// every write (timestamp rule, unique fields, id checks) is atomic. Objects
// go in and out as deep copies: callers never share maps with the store.
//
// Each list keeps its objects by id (Get is O(1)) and a slice of (timestamp,
// id) slots in increasing timestamp order, which writes append to because
// timestamps only grow (a client-proposed past timestamp is inserted in
// place). A list in timestamp order, the protocol's default, reads its page
// from the cursor by binary search instead of scanning from the start, so
// page 100 costs what page 1 costs. Other orders filter and sort the list.
//
// A query whose filters include id eq or id in (the engine adds one to every
// list read by a caller who may read only some objects) looks those ids up
// and applies the rest of the query to them alone, so its cost follows the
// number of ids, not the size of the list. Count without filters reads a
// live count kept by every write, and a unique field with a string value is
// checked in an index of that field.
type Storage struct {
	clock domain.Clock

	lk    *lock
	lists map[domain.Parent]*objectList
	// reclaim returns the memory of bulk deletions to the OS.
	reclaim *reclaimer
}

// objectList is the state of one domain.Parent.
type objectList struct {
	ts    int64 // the list timestamp T, once stored
	hasTS bool
	byID  map[string]domain.Record // live objects and tombstones
	// slots holds one entry per write, in increasing ts order; a slot is
	// stale once its object was rewritten (its ts no longer matches).
	slots []slot
	stale int
	live  int // live objects in byID, for Count without filters
	// unique indexes the live objects by the string value of each field
	// ever checked for uniqueness (field → value → ids), so that a write
	// checks a unique field in O(1). An index is built on the first check
	// of its field and kept in step by put from then on.
	unique map[string]map[string]set
}

type slot struct {
	ts int64
	id string
}

// NewStorage returns an empty Storage that stamps writes with clock.
func NewStorage(clock domain.Clock) *Storage {
	return newStorage(clock, &lock{})
}

func newStorage(clock domain.Clock, lk *lock) *Storage {
	return &Storage{clock: clock, lk: lk, lists: map[domain.Parent]*objectList{}, reclaim: newReclaimer()}
}

// LockList does nothing: a unit of work already holds the store's only
// lock for its whole length.
func (s *Storage) LockList(ctx context.Context, _ domain.Parent) error {
	return ctxErr(ctx, "memory.Storage.LockList")
}

// Healthy returns nil: memory is always there. It returns the context's
// error once ctx is done, as every checker must.
func (s *Storage) Healthy(ctx context.Context) error {
	return ctxErr(ctx, "memory.Storage.Healthy")
}

func ctxErr(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	return nil
}

// Timestamp returns the list timestamp of p, storing the current time for a
// list never seen before.
func (s *Storage) Timestamp(ctx context.Context, p domain.Parent) (int64, error) {
	const op = "memory.Storage.Timestamp"
	if err := ctxErr(ctx, op); err != nil {
		return 0, err
	}
	release := s.lk.read(ctx)
	l := s.lists[p]
	if l != nil && l.hasTS {
		ts := l.ts
		release.done()
		return ts, nil
	}
	release.done()

	defer s.lk.write(ctx).done()
	l = s.list(p)
	if !l.hasTS {
		l.ts, l.hasTS = s.clock.NowMillis(), true
	}
	return l.ts, nil
}

// Create stores rec as a new live object; see ports.Storage.
func (s *Storage) Create(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "memory.Storage.Create"
	if err := ctxErr(ctx, op); err != nil {
		return domain.Record{}, err
	}
	if rec.ID == "" {
		return domain.Record{}, domain.Errorf(domain.Internal, op, "object without id")
	}
	callers := rec.Data
	rec = normalize(rec)

	defer s.lk.write(ctx).done()
	l := s.list(p)
	if old, ok := l.byID[rec.ID]; ok && !old.Deleted {
		existing := old.Clone()
		return domain.Record{}, &domain.Error{Kind: domain.Conflict, Op: op, Message: "id already exists", Existing: &existing}
	}
	if err := l.checkUnique(op, rec, unique); err != nil {
		return domain.Record{}, err
	}
	if err := s.stamp(op, l, &rec, 0, rec.LastModified); err != nil {
		return domain.Record{}, err
	}
	l.put(rec)
	// The store keeps its own copy (normalize); the answer can give the
	// caller back its own data, deep-equal to what is stored, rather than
	// a second copy: changing either changes nothing stored.
	out := rec
	if callers != nil {
		out.Data = callers
	} else {
		out.Data = map[string]any{}
	}
	return out, nil
}

// Get returns the live object id of p; see ports.Storage.
func (s *Storage) Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error) {
	const op = "memory.Storage.Get"
	if err := ctxErr(ctx, op); err != nil {
		return domain.Record{}, err
	}
	defer s.lk.read(ctx).done()
	if l := s.lists[p]; l != nil {
		if r, ok := l.byID[id]; ok && !r.Deleted {
			return r.Clone(), nil
		}
	}
	return domain.Record{}, domain.NotFoundError(op, p.Resource, id)
}

// Update replaces or creates the object rec.ID; see ports.Storage.
func (s *Storage) Update(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	const op = "memory.Storage.Update"
	if err := ctxErr(ctx, op); err != nil {
		return domain.Record{}, err
	}
	if rec.ID == "" {
		return domain.Record{}, domain.Errorf(domain.Internal, op, "object without id")
	}
	rec = normalize(rec)

	defer s.lk.write(ctx).done()
	l := s.list(p)
	var previous int64
	if old, ok := l.byID[rec.ID]; ok && !old.Deleted {
		previous = old.LastModified
	}
	if err := l.checkUnique(op, rec, unique); err != nil {
		return domain.Record{}, err
	}
	if err := s.stamp(op, l, &rec, previous, rec.LastModified); err != nil {
		return domain.Record{}, err
	}
	l.put(rec)
	return rec.Clone(), nil
}

// Delete turns the live object id into a tombstone; see ports.Storage.
func (s *Storage) Delete(ctx context.Context, p domain.Parent, id string, lastModified int64) (domain.Record, error) {
	const op = "memory.Storage.Delete"
	if err := ctxErr(ctx, op); err != nil {
		return domain.Record{}, err
	}
	defer s.lk.write(ctx).done()
	l := s.lists[p]
	if l == nil {
		return domain.Record{}, domain.NotFoundError(op, p.Resource, id)
	}
	old, ok := l.byID[id]
	if !ok || old.Deleted {
		return domain.Record{}, domain.NotFoundError(op, p.Resource, id)
	}
	tomb := old.Tombstone(0)
	if err := s.stamp(op, l, &tomb, old.LastModified, lastModified); err != nil {
		return domain.Record{}, err
	}
	l.put(tomb)
	s.reclaim.released(1, l.live)
	return tomb, nil
}

// List returns the objects of p matching q; see ports.Storage.
func (s *Storage) List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	const op = "memory.Storage.List"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	defer s.lk.read(ctx).done()
	l := s.lists[p]
	if l == nil {
		return []domain.Record{}, nil
	}
	found := l.query(q)
	out := make([]domain.Record, len(found))
	for i, r := range found {
		out[i] = r.Clone()
	}
	return out, nil
}

// Count returns how many live objects of p match filters.
func (s *Storage) Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error) {
	const op = "memory.Storage.Count"
	if err := ctxErr(ctx, op); err != nil {
		return 0, err
	}
	defer s.lk.read(ctx).done()
	l := s.lists[p]
	if l == nil {
		return 0, nil
	}
	if len(filters) == 0 {
		return l.live, nil
	}
	recs := maps.Values(l.byID)
	if named, rest, ok := l.byIDs(filters); ok {
		recs, filters = slices.Values(named), rest
	}
	n := 0
	for r := range recs {
		if !r.Deleted && domain.MatchAll(r, filters) {
			n++
		}
	}
	return n, nil
}

// DeleteMany turns the live objects of p selected by q into tombstones; see
// ports.Storage.
func (s *Storage) DeleteMany(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	const op = "memory.Storage.DeleteMany"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	defer s.lk.write(ctx).done()
	l := s.lists[p]
	if l == nil {
		return []domain.Record{}, nil
	}
	q.WithDeleted = false
	victims := l.query(q)
	out := make([]domain.Record, 0, len(victims))
	for _, r := range victims {
		tomb := r.Tombstone(0)
		if err := s.stamp(op, l, &tomb, r.LastModified, 0); err != nil {
			return nil, err // cannot happen: no proposal, so no collision
		}
		l.put(tomb)
		out = append(out, tomb)
	}
	if len(out) > 0 {
		// A bulk delete leaves a stale slot per victim: drop them now
		// rather than at the next write, which may never come.
		l.compactIfSparse()
		s.reclaim.released(len(out), l.live)
	}
	return out, nil
}

// Purge removes the objects and tombstones of every list under parentID.
// List timestamps are kept, so that a list recreated later never goes back
// in time.
func (s *Storage) Purge(ctx context.Context, parentID string) (int, error) {
	const op = "memory.Storage.Purge"
	if err := ctxErr(ctx, op); err != nil {
		return 0, err
	}
	defer s.lk.write(ctx).done()
	n := 0
	for p, l := range s.lists {
		if p.ID != parentID && !strings.HasPrefix(p.ID, parentID+"/") {
			continue
		}
		n += len(l.byID)
		if s.lk.inUnit {
			saved := *l
			s.lk.record(func() { *l = saved })
		}
		l.byID = map[string]domain.Record{}
		l.slots, l.stale, l.live = nil, 0, 0
		l.unique = nil
	}
	s.reclaim.released(n, 0)
	return n, nil
}

// list returns the state of p, creating it; the caller holds the write
// lock.
func (s *Storage) list(p domain.Parent) *objectList {
	l := s.lists[p]
	if l == nil {
		l = &objectList{byID: map[string]domain.Record{}}
		s.lists[p] = l
	}
	return l
}

// stamp applies the timestamp rule to rec and moves the list timestamp. A
// proposed timestamp from the past that another object of the list already
// carries is a Conflict: timestamps are unique per list.
func (s *Storage) stamp(op string, l *objectList, rec *domain.Record, previous, proposed int64) error {
	current := l.ts
	if !l.hasTS {
		current = 0
	}
	obj, listTS := domain.StampWrite(current, previous, proposed, s.clock.NowMillis())
	if obj <= current && l.taken(obj) {
		return domain.Errorf(domain.Conflict, op, "timestamp %d is already used in this list", obj)
	}
	if s.lk.inUnit {
		old, had := l.byID[rec.ID]
		ts, hasTS := l.ts, l.hasTS
		id := rec.ID
		s.lk.record(func() {
			l.unput(id, obj, old, had)
			l.ts, l.hasTS = ts, hasTS
		})
	}
	rec.LastModified = obj
	l.ts, l.hasTS = listTS, true
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

// checkUnique fails with Conflict when another live object has the same
// value as rec for one of the unique fields. A string value, the usual case
// (urls, names), is looked up in the field's index: strings equal only
// strings, byte for byte (domain.Compare), so the index is exact. Other
// values (numbers, where 1 equals 1.0, arrays, objects) scan the list.
func (l *objectList) checkUnique(op string, rec domain.Record, unique []string) error {
	for _, field := range unique {
		v, ok := rec.Field(field)
		if !ok {
			continue
		}
		if str, isString := v.(string); isString {
			for id := range l.uniqueIndex(field)[str] {
				if id != rec.ID {
					return conflictOn(op, field, l.byID[id])
				}
			}
			continue
		}
		for id, other := range l.byID {
			if id == rec.ID || other.Deleted {
				continue
			}
			if ov, ok := other.Field(field); ok && domain.Equal(v, ov) {
				return conflictOn(op, field, other)
			}
		}
	}
	return nil
}

// conflictOn is the Conflict of a unique field taken by other.
func conflictOn(op, field string, other domain.Record) error {
	existing := other.Clone()
	return &domain.Error{Kind: domain.Conflict, Op: op, Message: "unique field " + field + " already taken", Existing: &existing}
}

// uniqueIndex returns the index of field, building it from the live
// objects on first use.
func (l *objectList) uniqueIndex(field string) map[string]set {
	if idx, ok := l.unique[field]; ok {
		return idx
	}
	idx := map[string]set{}
	for id, r := range l.byID {
		if str, ok := stringField(r, field); ok {
			addTo(idx, str, id)
		}
	}
	if l.unique == nil {
		l.unique = map[string]map[string]set{}
	}
	l.unique[field] = idx
	return idx
}

// stringField returns the string value of a live object's field.
func stringField(r domain.Record, field string) (string, bool) {
	if r.Deleted {
		return "", false
	}
	v, ok := r.Field(field)
	str, isString := v.(string)
	return str, ok && isString
}

// put stores rec (already stamped) and records its slot.
func (l *objectList) put(rec domain.Record) {
	old, had := l.byID[rec.ID]
	if had {
		l.stale++
		if !old.Deleted {
			l.live--
		}
	}
	for field, idx := range l.unique {
		if str, ok := stringField(old, field); had && ok {
			removeFrom(idx, str, rec.ID)
		}
		if str, ok := stringField(rec, field); ok {
			addTo(idx, str, rec.ID)
		}
	}
	if !rec.Deleted {
		l.live++
	}
	l.byID[rec.ID] = rec
	sl := slot{ts: rec.LastModified, id: rec.ID}
	if n := len(l.slots); n == 0 || l.slots[n-1].ts < sl.ts {
		l.slots = append(l.slots, sl)
	} else {
		i := sort.Search(n, func(i int) bool { return l.slots[i].ts >= sl.ts })
		l.slots = append(l.slots, slot{})
		copy(l.slots[i+1:], l.slots[i:])
		l.slots[i] = sl
	}
	if l.stale > 64 && l.stale > len(l.slots)/2 {
		l.compact()
	}
}

// unput undoes the put of the version of id stamped ts, which must be
// the current one: old (when had) becomes current again, with a slot of
// its own (compaction may have dropped it), or the object disappears.
func (l *objectList) unput(id string, ts int64, old domain.Record, had bool) {
	cur := l.byID[id]
	i := sort.Search(len(l.slots), func(i int) bool { return l.slots[i].ts >= ts })
	for ; i < len(l.slots) && l.slots[i].ts == ts; i++ {
		if l.slots[i].id == id {
			l.slots = slices.Delete(l.slots, i, i+1)
			break
		}
	}
	if !cur.Deleted {
		l.live--
	}
	for field, idx := range l.unique {
		if str, ok := stringField(cur, field); ok {
			removeFrom(idx, str, id)
		}
		if str, ok := stringField(old, field); had && ok {
			addTo(idx, str, id)
		}
	}
	if !had {
		delete(l.byID, id)
		return
	}
	l.byID[id] = old
	if !old.Deleted {
		l.live++
	}
	if l.stale > 0 {
		l.stale--
	}
	j := sort.Search(len(l.slots), func(i int) bool { return l.slots[i].ts >= old.LastModified })
	for k := j; k < len(l.slots) && l.slots[k].ts == old.LastModified; k++ {
		if l.slots[k].id == id {
			return
		}
	}
	l.slots = slices.Insert(l.slots, j, slot{ts: old.LastModified, id: id})
}

// compact drops stale slots. When most of the array is then unused, the
// slots move to an array of their size: a slice never gives back its
// capacity, which would keep the memory of a list's peak size.
func (l *objectList) compact() {
	kept := l.slots[:0]
	for _, sl := range l.slots {
		if l.current(sl) {
			kept = append(kept, sl)
		}
	}
	clear(l.slots[len(kept):])
	if cap(kept) > 64 && cap(kept) >= 2*len(kept) {
		kept = slices.Clone(kept)
	}
	l.slots, l.stale = kept, 0
}

// compactIfSparse compacts once at least a quarter of the slots are stale.
func (l *objectList) compactIfSparse() {
	if l.stale > 64 && l.stale >= len(l.slots)/4 {
		l.compact()
	}
}

// current reports whether sl is the slot of its object's current version.
func (l *objectList) current(sl slot) bool {
	r, ok := l.byID[sl.id]
	return ok && r.LastModified == sl.ts
}

// taken reports whether an object of the list has timestamp ts.
func (l *objectList) taken(ts int64) bool {
	i := sort.Search(len(l.slots), func(i int) bool { return l.slots[i].ts >= ts })
	for ; i < len(l.slots) && l.slots[i].ts == ts; i++ {
		if l.current(l.slots[i]) {
			return true
		}
	}
	return false
}

// query selects the objects of q, without copying them.
func (l *objectList) query(q domain.Query) []domain.Record {
	if named, rest, ok := l.byIDs(q.Filters); ok {
		q.Filters = rest
		return domain.Select(named, q)
	}
	if len(q.Sort) > 0 && q.Sort[0].Field == "last_modified" {
		// Timestamps are unique in a list, so the first sort key decides
		// alone and the slots are already in that order.
		var cursor int64
		hasCursor := len(q.After) > 0
		if hasCursor {
			ts, ok := domain.AsInt(q.After[0].Value)
			if q.After[0].Missing || !ok {
				// Every object has a last_modified; the general path
				// orders a missing or non-integer cursor against them.
				return l.scan(q)
			}
			cursor = ts
		}
		return l.byTimestamp(q, q.Sort[0].Desc, hasCursor, cursor)
	}
	return l.scan(q)
}

// byTimestamp walks the slots from the cursor in the wanted direction.
func (l *objectList) byTimestamp(q domain.Query, desc, hasCursor bool, cursor int64) []domain.Record {
	// Sized for a full page at once, rather than grown by doubling.
	size := len(l.slots)
	if q.Limit > 0 && q.Limit < size {
		size = q.Limit
	}
	out := make([]domain.Record, 0, size)
	keep := func(sl slot) bool {
		if !l.current(sl) {
			return true
		}
		r := l.byID[sl.id]
		if (r.Deleted && !q.WithDeleted) || !domain.MatchAll(r, q.Filters) {
			return true
		}
		out = append(out, r)
		return q.Limit <= 0 || len(out) < q.Limit
	}
	n := len(l.slots)
	if desc {
		start := n
		if hasCursor {
			start = sort.Search(n, func(i int) bool { return l.slots[i].ts >= cursor })
		}
		for i := start - 1; i >= 0; i-- {
			if !keep(l.slots[i]) {
				break
			}
		}
		return out
	}
	start := 0
	if hasCursor {
		start = sort.Search(n, func(i int) bool { return l.slots[i].ts > cursor })
	}
	for i := start; i < n; i++ {
		if !keep(l.slots[i]) {
			break
		}
	}
	return out
}

// scan filters and sorts the whole list: any order, any cursor.
func (l *objectList) scan(q domain.Query) []domain.Record {
	return domain.SelectSeq(maps.Values(l.byID), q)
}

// byIDs serves filters naming ids from the id index. It picks the id eq or
// id in filter with the fewest values and returns the objects (live or
// tombstones) it names, each once, with the other filters, which the caller
// still applies; ok is false when no filter names ids. The picked filter is
// fully decided by the lookup: an id is a string, so only string values can
// equal it (domain.Match compares types exactly), and every object returned
// has one of them. Dropping it also spares a linear search of the id list
// per object.
func (l *objectList) byIDs(filters []domain.Filter) (named []domain.Record, rest []domain.Filter, ok bool) {
	ids, rest, ok := domain.IDLookup(filters)
	if !ok {
		return nil, nil, false
	}
	for _, id := range ids {
		if r, found := l.byID[id]; found {
			named = append(named, r)
		}
	}
	return named, rest, true
}
