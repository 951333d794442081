package portstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// RunStorage runs the contract of ports.Storage against the adapter that
// newStorage builds; newStorage must return an empty store reading time from
// clock each time it is called (once per subtest). The suite uses only the
// port, so every adapter runs exactly the same cases:
//
//   - the timestamp rule when the clock stalls or goes backwards;
//   - CRUD and error kinds, isolation of parents, deep copies;
//   - unique fields on Create and Update;
//   - list timestamps: stored on first read, moved only by writes, never
//     decreasing, client proposals (PROTOCOL-core §5.3), uniqueness under 8
//     concurrent writers;
//   - tombstones;
//   - every filter operator, on top-level and nested fields, through List and
//     Count;
//   - sorts on several fields, descending, mixed types and missing fields;
//   - keyset paging over 1,000 objects with every page size from 1 to 50,
//     and paging while writes happen between pages;
//   - id eq / id in filters (what the engine adds to the lists of a caller
//     who may read only some objects) combined with other filters, sorts,
//     cursors, tombstones and DeleteMany;
//   - DeleteMany, Purge, Flush and PurgeDeleted.
func RunStorage(t *testing.T, newStorage func(t *testing.T, clock domain.Clock) ports.Storage) {
	cases := []struct {
		name string
		run  func(t *testing.T, s ports.Storage)
	}{
		{"Healthy", storageHealthy},
		{"CRUD", storageCRUD},
		{"ParentsAreIsolated", storageParentsIsolated},
		{"UniqueFields", storageUnique},
		{"UniqueFieldsFollowWrites", storageUniqueFollowsWrites},
		{"DeepCopies", storageDeepCopies},
		{"Timestamp", storageTimestamp},
		{"ProposedTimestamps", storageProposedTimestamps},
		{"ConcurrentWriters", storageConcurrentWriters},
		{"Tombstones", storageTombstones},
		{"Filters", storageFilters},
		{"Sorts", storageSorts},
		{"Paging", storagePaging},
		{"PagingWithWrites", storagePagingWithWrites},
		{"DeleteMany", storageDeleteMany},
		{"IDFilters", storageIDFilters},
		{"IDFilterPaging", storageIDFilterPaging},
		{"CountWithoutFilters", storageCountWithoutFilters},
		{"Purge", storagePurge},
		{"PurgeKeepsTimestamp", storagePurgeKeepsTimestamp},
		{"Flush", storageFlush},
		{"PurgeDeleted", storagePurgeDeleted},
		{"CursorEdges", storageCursorEdges},
		{"CanceledContext", storageCanceledContext},
		{"RefusesObjectWithoutID", storageRefusesObjectWithoutID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newStorage(t, wallClock{}))
		})
	}
	t.Run("ClockGoesBackwards", func(t *testing.T) {
		clock := &ManualClock{}
		clock.Set(1000)
		storageClockGoesBackwards(t, newStorage(t, clock), clock)
	})
}

// wallClock is the real time, for the cases that do not steer the clock.
type wallClock struct{}

func (wallClock) NowMillis() int64 { return time.Now().UnixMilli() }

// ManualClock is a clock tests set by hand, safe for concurrent use.
type ManualClock struct{ now atomic.Int64 }

// NowMillis returns the time last set.
func (c *ManualClock) NowMillis() int64 { return c.now.Load() }

// Set moves the clock to ms, forwards or backwards.
func (c *ManualClock) Set(ms int64) { c.now.Store(ms) }

// storageClockGoesBackwards proves the timestamp rule when time stalls or
// goes backwards: timestamps keep increasing, and catch up with the clock.
func storageClockGoesBackwards(t *testing.T, s ports.Storage, clock *ManualClock) {
	ctx := context.Background()
	if ts, _ := s.Timestamp(ctx, stParent); ts != 1000 {
		t.Fatalf("Timestamp(new list) = %d, want the clock's 1000", ts)
	}
	a, err := s.Create(ctx, stParent, domain.Record{ID: "a"}, nil)
	if err != nil || a.LastModified != 1001 {
		t.Fatalf("Create at a stalled clock = %d, %v; want 1001", a.LastModified, err)
	}
	clock.Set(500)
	b, err := s.Create(ctx, stParent, domain.Record{ID: "b"}, nil)
	if err != nil || b.LastModified != 1002 {
		t.Errorf("Create with the clock gone back = %d, %v; want 1002", b.LastModified, err)
	}
	clock.Set(5000)
	c, err := s.Update(ctx, stParent, domain.Record{ID: "a"}, nil)
	if err != nil || c.LastModified != 5000 {
		t.Errorf("Update with the clock ahead = %d, %v; want 5000", c.LastModified, err)
	}
	if ts, _ := s.Timestamp(ctx, stParent); ts != 5000 {
		t.Errorf("Timestamp = %d, want 5000", ts)
	}
	// A list written before anyone read its timestamp starts at the clock.
	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/other"}
	clock.Set(7000)
	d, err := s.Create(ctx, other, domain.Record{ID: "d"}, nil)
	if err != nil || d.LastModified != 7000 {
		t.Errorf("first Create in a list never read = %d, %v; want the clock's 7000", d.LastModified, err)
	}
}

var (
	stParent = domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	byNewest = []domain.Sort{{Field: "last_modified", Desc: true}}
)

// stData decodes a JSON object as the protocol layers do (json.Number).
func stData(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func stJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func stCreate(t *testing.T, s ports.Storage, p domain.Parent, id, data string) domain.Record {
	t.Helper()
	r, err := s.Create(context.Background(), p, domain.Record{ID: id, Data: stData(t, data)}, nil)
	if err != nil {
		t.Fatalf("Create(%s): %v", id, err)
	}
	return r
}

func stDelete(t *testing.T, s ports.Storage, p domain.Parent, id string) domain.Record {
	t.Helper()
	r, err := s.Delete(context.Background(), p, id, 0)
	if err != nil {
		t.Fatalf("Delete(%s): %v", id, err)
	}
	return r
}

func stList(t *testing.T, s ports.Storage, p domain.Parent, q domain.Query) []domain.Record {
	t.Helper()
	recs, err := s.List(context.Background(), p, q)
	if err != nil {
		t.Fatalf("List(%+v): %v", q, err)
	}
	return recs
}

func stTimestamp(t *testing.T, s ports.Storage, p domain.Parent) int64 {
	t.Helper()
	ts, err := s.Timestamp(context.Background(), p)
	if err != nil {
		t.Fatalf("Timestamp(%v): %v", p, err)
	}
	return ts
}

func stIDs(recs []domain.Record) string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return strings.Join(out, ",")
}

func stWantKind(t *testing.T, label string, err error, want domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); err == nil || got != want {
		t.Errorf("%s: error %v (kind %v), want %v", label, err, got, want)
	}
}

func storageHealthy(t *testing.T, s ports.Storage) {
	if err := s.Healthy(context.Background()); err != nil {
		t.Errorf("Healthy: %v, want nil", err)
	}
}

func storageCRUD(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	created := stCreate(t, s, stParent, "a1", `{"title":"one","n":12345678901234567890,"nested":{"x":[1,"two",null]}}`)
	if created.ID != "a1" || created.LastModified <= 0 || created.Deleted {
		t.Fatalf("Create = %+v, want live a1 with a timestamp", created)
	}
	want := `{"id":"a1","last_modified":` + fmt.Sprint(created.LastModified) + `,"n":12345678901234567890,"nested":{"x":[1,"two",null]},"title":"one"}`
	if got := stJSON(t, created); got != want {
		t.Errorf("Create = %s, want %s", got, want)
	}
	got, err := s.Get(ctx, stParent, "a1")
	if err != nil || stJSON(t, got) != want {
		t.Errorf("Get(a1) = %s, %v; want %s", stJSON(t, got), err, want)
	}

	_, err = s.Create(ctx, stParent, domain.Record{ID: "a1", Data: stData(t, `{"title":"dup"}`)}, nil)
	stWantKind(t, "Create(duplicate id)", err, domain.Conflict)
	if e := domain.AsError(err); e == nil || e.Existing == nil || e.Existing.ID != "a1" {
		t.Errorf("Create(duplicate id): Existing = %+v, want a1", e)
	}

	_, err = s.Get(ctx, stParent, "missing")
	stWantKind(t, "Get(missing)", err, domain.NotFound)
	_, err = s.Delete(ctx, stParent, "missing", 0)
	stWantKind(t, "Delete(missing)", err, domain.NotFound)

	updated, err := s.Update(ctx, stParent, domain.Record{ID: "a1", Data: stData(t, `{"title":"uno"}`)}, nil)
	if err != nil || updated.LastModified <= created.LastModified || stJSON(t, updated.Data) != `{"title":"uno"}` {
		t.Errorf("Update(a1) = %+v, %v; want replaced data and a newer timestamp", updated, err)
	}
	if got, _ := s.Get(ctx, stParent, "a1"); stJSON(t, got.Data) != `{"title":"uno"}` {
		t.Errorf("Get after Update = %s, want replaced data", stJSON(t, got.Data))
	}

	fresh, err := s.Update(ctx, stParent, domain.Record{ID: "b2", Data: stData(t, `{"title":"two"}`)}, nil)
	if err != nil || fresh.ID != "b2" || fresh.LastModified <= updated.LastModified {
		t.Errorf("Update(absent b2) = %+v, %v; want it created", fresh, err)
	}

	tomb := stDelete(t, s, stParent, "a1")
	if !tomb.Deleted || tomb.ID != "a1" || tomb.LastModified <= fresh.LastModified || len(tomb.Data) != 0 {
		t.Errorf("Delete(a1) = %+v, want a tombstone with a newer timestamp", tomb)
	}
	if got := stJSON(t, tomb); got != `{"deleted":true,"id":"a1","last_modified":`+fmt.Sprint(tomb.LastModified)+`}` {
		t.Errorf("tombstone JSON = %s", got)
	}
	_, err = s.Get(ctx, stParent, "a1")
	stWantKind(t, "Get(deleted)", err, domain.NotFound)
	_, err = s.Delete(ctx, stParent, "a1", 0)
	stWantKind(t, "Delete(deleted)", err, domain.NotFound)

	again, err := s.Update(ctx, stParent, domain.Record{ID: "a1", Data: stData(t, `{"title":"back"}`)}, nil)
	if err != nil || again.Deleted || again.LastModified <= tomb.LastModified {
		t.Errorf("Update(tombstone) = %+v, %v; want a live object", again, err)
	}
	stDelete(t, s, stParent, "b2")
	recreated, err := s.Create(ctx, stParent, domain.Record{ID: "b2", Data: stData(t, `{"title":"deux"}`)}, nil)
	if err != nil || recreated.Deleted {
		t.Errorf("Create(over tombstone) = %+v, %v; want a live object", recreated, err)
	}
	if got, err := s.Get(ctx, stParent, "b2"); err != nil || stJSON(t, got.Data) != `{"title":"deux"}` {
		t.Errorf("Get(recreated) = %+v, %v", got, err)
	}
	if n, err := s.Count(ctx, stParent, nil); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
}

func storageParentsIsolated(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/d"}
	otherRes := domain.Parent{Resource: "group", ID: stParent.ID}
	stCreate(t, s, stParent, "x", `{"v":1}`)
	stCreate(t, s, other, "x", `{"v":2}`)
	stCreate(t, s, otherRes, "x", `{"v":3}`)
	for i, p := range []domain.Parent{stParent, other, otherRes} {
		got, err := s.Get(ctx, p, "x")
		if err != nil || stJSON(t, got.Data) != fmt.Sprintf(`{"v":%d}`, i+1) {
			t.Errorf("Get(%v, x) = %+v, %v; want v=%d", p, got, err, i+1)
		}
		if n, _ := s.Count(ctx, p, nil); n != 1 {
			t.Errorf("Count(%v) = %d, want 1", p, n)
		}
	}
	stDelete(t, s, other, "x")
	if _, err := s.Get(ctx, stParent, "x"); err != nil {
		t.Errorf("Get(x) after deleting a namesake elsewhere: %v", err)
	}
	if _, err := s.Get(ctx, domain.Parent{Resource: "record", ID: "/nowhere"}, "x"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(unknown parent): kind %v, want NotFound", domain.KindOf(err))
	}
	if recs := stList(t, s, domain.Parent{Resource: "record", ID: "/nowhere"}, domain.Query{Sort: byNewest}); len(recs) != 0 {
		t.Errorf("List(unknown parent) = %s, want nothing", stIDs(recs))
	}
}

func storageUnique(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	unique := []string{"url", "meta.key"}
	create := func(id, data string) (domain.Record, error) {
		return s.Create(ctx, stParent, domain.Record{ID: id, Data: stData(t, data)}, unique)
	}
	update := func(id, data string) (domain.Record, error) {
		return s.Update(ctx, stParent, domain.Record{ID: id, Data: stData(t, data)}, unique)
	}
	if _, err := create("a", `{"url":"http://a","meta":{"key":"ka"}}`); err != nil {
		t.Fatalf("Create(a): %v", err)
	}
	if _, err := create("b", `{"url":"http://b"}`); err != nil {
		t.Fatalf("Create(b): %v", err)
	}

	_, err := create("c", `{"url":"http://a"}`)
	stWantKind(t, "Create(taken url)", err, domain.Conflict)
	if e := domain.AsError(err); e == nil || e.Existing == nil || e.Existing.ID != "a" {
		t.Errorf("Create(taken url): Existing = %+v, want a", e)
	}
	_, err = create("c", `{"url":"http://c","meta":{"key":"ka"}}`)
	stWantKind(t, "Create(taken nested meta.key)", err, domain.Conflict)
	_, err = update("b", `{"url":"http://a"}`)
	stWantKind(t, "Update(b takes a's url)", err, domain.Conflict)
	_, err = update("new", `{"url":"http://b"}`)
	stWantKind(t, "Update(absent object with a taken url)", err, domain.Conflict)
	if _, err := s.Get(ctx, stParent, "new"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(new) after a refused Update: kind %v, want NotFound", domain.KindOf(err))
	}

	if _, err := update("a", `{"url":"http://a","title":"same url, same object"}`); err != nil {
		t.Errorf("Update(a keeps its url): %v", err)
	}
	if _, err := create("d", `{"title":"no url"}`); err != nil {
		t.Errorf("Create(d without url): %v", err)
	}
	if _, err := create("e", `{"title":"no url either","meta":{}}`); err != nil {
		t.Errorf("Create(e without url): objects lacking the field conflict: %v", err)
	}
	if _, err := create("f", `{"url":"HTTP://A"}`); err != nil {
		t.Errorf("Create(f, url differing in case): %v", err)
	}
	if _, err := create("g", `{"url":5}`); err != nil {
		t.Errorf("Create(g, url 5): %v", err)
	}
	if _, err := create("h", `{"url":"5"}`); err != nil {
		t.Errorf(`Create(h, url "5" next to 5): values are type-exact: %v`, err)
	}

	stDelete(t, s, stParent, "b")
	if _, err := create("i", `{"url":"http://b"}`); err != nil {
		t.Errorf("Create(url of a deleted object): tombstones conflict: %v", err)
	}
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "j", Data: stData(t, `{"url":"http://a"}`)}, nil); err != nil {
		t.Errorf("Create(taken url, no unique fields declared): %v", err)
	}
}

func storageDeepCopies(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	data := stData(t, `{"title":"orig","nested":{"list":[1,{"k":"v"}]}}`)
	in := domain.Record{ID: "a", Data: data}
	out, err := s.Create(ctx, stParent, in, nil)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	const want = `{"nested":{"list":[1,{"k":"v"}]},"title":"orig"}`
	// Mutate what we passed in and what we got back.
	data["title"] = "changed"
	data["nested"].(map[string]any)["list"].([]any)[1].(map[string]any)["k"] = "changed"
	out.Data["title"] = "changed"
	out.Data["nested"].(map[string]any)["extra"] = true

	got, err := s.Get(ctx, stParent, "a")
	if err != nil || stJSON(t, got.Data) != want {
		t.Fatalf("Get after mutating the caller's maps = %s, %v; want %s", stJSON(t, got.Data), err, want)
	}
	got.Data["nested"].(map[string]any)["list"].([]any)[0] = "changed"
	listed := stList(t, s, stParent, domain.Query{Sort: byNewest})
	if len(listed) != 1 || stJSON(t, listed[0].Data) != want {
		t.Fatalf("List after mutating a Get result = %s; want %s", stJSON(t, listed), want)
	}
	listed[0].Data["title"] = "changed"
	upd, err := s.Update(ctx, stParent, domain.Record{ID: "a", Data: stData(t, `{"m":{"k":1}}`)}, nil)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	upd.Data["m"].(map[string]any)["k"] = 2
	if got, _ := s.Get(ctx, stParent, "a"); stJSON(t, got.Data) != `{"m":{"k":1}}` {
		t.Errorf("Get after mutating an Update result = %s, want {\"m\":{\"k\":1}}", stJSON(t, got.Data))
	}
}

func storageTimestamp(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	t0 := stTimestamp(t, s, stParent)
	if t0 <= 0 {
		t.Fatalf("Timestamp(new list) = %d, want the current time", t0)
	}
	time.Sleep(3 * time.Millisecond)
	if got := stTimestamp(t, s, stParent); got != t0 {
		t.Fatalf("Timestamp read twice: %d then %d, want it stored", t0, got)
	}
	// Reads never move it.
	stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	_, _ = s.Count(ctx, stParent, nil)
	_, _ = s.Get(ctx, stParent, "nope")
	if got := stTimestamp(t, s, stParent); got != t0 {
		t.Errorf("Timestamp after reads = %d, want %d", got, t0)
	}

	last := t0
	check := func(label string, want int64) {
		t.Helper()
		got := stTimestamp(t, s, stParent)
		if got != want {
			t.Errorf("Timestamp after %s = %d, want %d", label, got, want)
		}
		if got < last {
			t.Errorf("Timestamp after %s went back from %d to %d", label, last, got)
		}
		last = got
	}
	a := stCreate(t, s, stParent, "a", `{}`)
	if a.LastModified <= t0 {
		t.Errorf("Create stamped %d, want above the list timestamp %d", a.LastModified, t0)
	}
	check("Create", a.LastModified)
	b := stCreate(t, s, stParent, "b", `{}`)
	check("second Create", b.LastModified)
	u, _ := s.Update(ctx, stParent, domain.Record{ID: "a", Data: map[string]any{"v": "x"}}, nil)
	check("Update", u.LastModified)
	d := stDelete(t, s, stParent, "b")
	check("Delete", d.LastModified)
	gone, err := s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest})
	if err != nil || len(gone) != 1 {
		t.Fatalf("DeleteMany = %v, %v; want one tombstone", gone, err)
	}
	check("DeleteMany", gone[0].LastModified)
	none, err := s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest})
	if err != nil || len(none) != 0 {
		t.Errorf("DeleteMany(nothing left) = %v, %v; want nothing", none, err)
	}
	check("an empty DeleteMany", gone[0].LastModified)

	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/other"}
	if got := stTimestamp(t, s, other); got > last+10_000 || got <= 0 {
		t.Errorf("Timestamp(other list) = %d, want its own clock-based value", got)
	}
	check("writes in another list", gone[0].LastModified)
}

func storageProposedTimestamps(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	create := func(id string, proposed int64) (domain.Record, error) {
		return s.Create(ctx, stParent, domain.Record{ID: id, LastModified: proposed, Data: map[string]any{}}, nil)
	}
	first := stCreate(t, s, stParent, "first", `{}`)
	T := first.LastModified

	future := T + 1_000_000
	r, err := create("future", future)
	if err != nil || r.LastModified != future || stTimestamp(t, s, stParent) != future {
		t.Fatalf("Create(proposed above T) = %d, %v; T %d; want both %d", r.LastModified, err, stTimestamp(t, s, stParent), future)
	}
	T = future

	r, err = create("equal", T)
	if err != nil || r.LastModified != T+1 || stTimestamp(t, s, stParent) != T+1 {
		t.Errorf("Create(proposed == T) = %d, %v; want T+1 = %d", r.LastModified, err, T+1)
	}
	T++

	past := T - 500_000
	r, err = create("past", past)
	if err != nil || r.LastModified != past {
		t.Errorf("Create(proposed in the past) = %d, %v; want %d", r.LastModified, err, past)
	}
	if got := stTimestamp(t, s, stParent); got != T {
		t.Errorf("Timestamp after importing a past object = %d, want unchanged %d", got, T)
	}
	got, _ := s.Get(ctx, stParent, "past")
	if got.LastModified != past {
		t.Errorf("Get(past).LastModified = %d, want %d", got.LastModified, past)
	}
	if recs := stList(t, s, stParent, domain.Query{Sort: byNewest}); stIDs(recs) != "equal,future,past,first" {
		t.Errorf("List(newest first) = %s, want equal,future,past,first", stIDs(recs))
	}

	_, err = create("clash", past)
	stWantKind(t, "Create(proposed timestamp of another object)", err, domain.Conflict)

	// On update, a proposal not above the object's timestamp is ignored.
	r, err = s.Update(ctx, stParent, domain.Record{ID: "past", LastModified: past, Data: map[string]any{"v": "1"}}, nil)
	if err != nil || r.LastModified != T+1 {
		t.Errorf("Update(proposal == object ts) = %d, %v; want a normal bump to %d", r.LastModified, err, T+1)
	}
	T++
	r, err = s.Update(ctx, stParent, domain.Record{ID: "first", LastModified: first.LastModified - 10, Data: map[string]any{}}, nil)
	if err != nil || r.LastModified != T+1 {
		t.Errorf("Update(proposal below object ts) = %d, %v; want %d", r.LastModified, err, T+1)
	}
	T++
	r, err = s.Update(ctx, stParent, domain.Record{ID: "first", LastModified: T + 50, Data: map[string]any{}}, nil)
	if err != nil || r.LastModified != T+50 {
		t.Errorf("Update(proposal above T) = %d, %v; want %d", r.LastModified, err, T+50)
	}
	T += 50

	tomb, err := s.Delete(ctx, stParent, "equal", T+7)
	if err != nil || tomb.LastModified != T+7 || stTimestamp(t, s, stParent) != T+7 {
		t.Errorf("Delete(proposal above T) = %d, %v; want %d", tomb.LastModified, err, T+7)
	}
	T += 7
	tomb, err = s.Delete(ctx, stParent, "future", 1)
	if err != nil || tomb.LastModified != T+1 {
		t.Errorf("Delete(proposal below the object) = %d, %v; want a normal bump to %d", tomb.LastModified, err, T+1)
	}
}

func storageConcurrentWriters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	const writers, perWriter = 8, 40
	stamps := make([][]int64, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", w, i)
				r, err := s.Create(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"w": w}}, nil)
				if err != nil {
					errs <- fmt.Errorf("Create(%s): %w", id, err)
					return
				}
				stamps[w] = append(stamps[w], r.LastModified)
				switch i % 4 {
				case 1:
					r, err = s.Update(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"w": w, "u": true}}, nil)
				case 3:
					r, err = s.Delete(ctx, stParent, id, 0)
				default:
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("write %s: %w", id, err)
					return
				}
				stamps[w] = append(stamps[w], r.LastModified)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var maxTS int64
	for w, list := range stamps {
		for i, ts := range list {
			if seen[ts] {
				t.Errorf("timestamp %d given twice", ts)
			}
			seen[ts] = true
			if i > 0 && ts <= list[i-1] {
				t.Errorf("writer %d: timestamp %d after %d, want strictly increasing", w, ts, list[i-1])
			}
			maxTS = max(maxTS, ts)
		}
	}
	if got := stTimestamp(t, s, stParent); got != maxTS {
		t.Errorf("Timestamp after concurrent writes = %d, want the newest write %d", got, maxTS)
	}
	all := stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if len(all) != writers*perWriter {
		t.Errorf("List(with deleted) holds %d objects, want %d", len(all), writers*perWriter)
	}
	if n, _ := s.Count(ctx, stParent, nil); n != writers*perWriter*3/4 {
		t.Errorf("Count = %d, want %d live objects", n, writers*perWriter*3/4)
	}
}

func storageTombstones(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	stCreate(t, s, stParent, "a", `{"title":"x"}`)
	b := stCreate(t, s, stParent, "b", `{"title":"y"}`)
	stCreate(t, s, stParent, "c", `{"title":"x"}`)
	stDelete(t, s, stParent, "c")
	stDelete(t, s, stParent, "a")

	if got := stIDs(stList(t, s, stParent, domain.Query{Sort: byNewest})); got != "b" {
		t.Errorf("List(live) = %s, want b", got)
	}
	got := stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if stIDs(got) != "a,c,b" || !got[0].Deleted || !got[1].Deleted || got[2].Deleted {
		t.Errorf("List(with deleted) = %s, want tombstones a,c then b", stJSON(t, got))
	}
	since := []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: json.Number(fmt.Sprint(b.LastModified))}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: since, Sort: byNewest, WithDeleted: true})); got != "a,c" {
		t.Errorf("List(_since=b, with deleted) = %s, want a,c", got)
	}
	deleted := append(since, domain.Filter{Field: "deleted", Op: domain.OpEq, Value: true})
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: deleted, Sort: byNewest, WithDeleted: true})); got != "a,c" {
		t.Errorf("List(_since, deleted=true) = %s, want a,c", got)
	}
	titled := []domain.Filter{{Field: "title", Op: domain.OpEq, Value: "x"}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: titled, Sort: byNewest, WithDeleted: true})); got != "" {
		t.Errorf("List(title=x, with deleted) = %s, want nothing: tombstones keep no data", got)
	}
	notTitled := []domain.Filter{{Field: "title", Op: domain.OpNot, Value: "y"}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: notTitled, Sort: byNewest, WithDeleted: true})); got != "a,c" {
		t.Errorf("List(not title=y, with deleted) = %s, want a,c", got)
	}
	if n, _ := s.Count(ctx, stParent, since); n != 0 {
		t.Errorf("Count(_since) = %d, want 0: tombstones are never counted", n)
	}
	stCreate(t, s, stParent, "a", `{"title":"again"}`)
	got = stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if stIDs(got) != "a,c,b" || got[0].Deleted {
		t.Errorf("List after re-creating a = %s, want live a first", stJSON(t, got))
	}
}

// filterFixture creates f1…f6 (in that order) and a tombstone f7.
func filterFixture(t *testing.T, s ports.Storage) []domain.Record {
	recs := []domain.Record{
		stCreate(t, s, stParent, "f1", `{"title":"alpha","n":1,"tags":["a","b"],"meta":{"k":"x","n":10},"flag":true}`),
		stCreate(t, s, stParent, "f2", `{"title":"Beta","n":2.5,"tags":["b"],"meta":{"k":"y","n":20},"flag":false}`),
		stCreate(t, s, stParent, "f3", `{"title":"gamma ray","n":"2","tags":[],"meta":{"k":null}}`),
		stCreate(t, s, stParent, "f4", `{"title":"delta","n":null,"tags":"a","meta":{"n":30}}`),
		stCreate(t, s, stParent, "f5", `{"other":true}`),
		stCreate(t, s, stParent, "f6", `{"title":"ALPHABET","n":10,"tags":["c",{"x":1}],"meta":{"k":"x","n":5}}`),
	}
	stCreate(t, s, stParent, "f7", `{"title":"alpha","n":1}`)
	stDelete(t, s, stParent, "f7")
	return recs
}

func storageFilters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	recs := filterFixture(t, s)
	f3ts := json.Number(fmt.Sprint(recs[2].LastModified))
	v := func(s string) any {
		var x any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			t.Fatalf("decode %s: %v", s, err)
		}
		return x
	}
	type F = domain.Filter
	tests := []struct {
		filters []F
		want    string // live ids in id order
	}{
		{[]F{{Field: "title", Op: domain.OpEq, Value: "alpha"}}, "f1"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: v(`1`)}}, "f1"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: v(`1.0`)}}, "f1"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: "2"}}, "f3"},
		{[]F{{Field: "n", Op: domain.OpEq, Value: v(`2`)}}, ""},
		{[]F{{Field: "n", Op: domain.OpEq, Value: nil}}, "f4"},
		{[]F{{Field: "meta.k", Op: domain.OpEq, Value: "x"}}, "f1,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpEq, Value: nil}}, "f3"},
		{[]F{{Field: "tags", Op: domain.OpEq, Value: v(`["b"]`)}}, "f2"},
		{[]F{{Field: "meta", Op: domain.OpEq, Value: v(`{"n":30}`)}}, "f4"},
		{[]F{{Field: "flag", Op: domain.OpEq, Value: false}}, "f2"},
		{[]F{{Field: "id", Op: domain.OpEq, Value: "f3"}}, "f3"},
		{[]F{{Field: "n", Op: domain.OpNot, Value: v(`1`)}}, "f2,f3,f4,f5,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpNot, Value: "x"}}, "f2,f3,f4,f5"},
		{[]F{{Field: "n", Op: domain.OpLt, Value: v(`2`)}}, "f1,f3,f4"},
		{[]F{{Field: "n", Op: domain.OpMax, Value: v(`2.5`)}}, "f1,f2,f3,f4"},
		{[]F{{Field: "meta.n", Op: domain.OpLt, Value: v(`10`)}}, "f6"},
		{[]F{{Field: "meta.n", Op: domain.OpMax, Value: v(`10`)}}, "f1,f6"},
		{[]F{{Field: "n", Op: domain.OpGt, Value: v(`2`)}}, "f2,f5,f6"},
		{[]F{{Field: "n", Op: domain.OpMin, Value: v(`10`)}}, "f5,f6"},
		{[]F{{Field: "meta.n", Op: domain.OpGt, Value: v(`10`)}}, "f2,f3,f4,f5"},
		{[]F{{Field: "meta.n", Op: domain.OpMin, Value: v(`10`)}}, "f1,f2,f3,f4,f5"},
		{[]F{{Field: "id", Op: domain.OpGt, Value: "f4"}}, "f5,f6"},
		{[]F{{Field: "n", Op: domain.OpIn, Value: v(`[1,"2"]`)}}, "f1,f3"},
		{[]F{{Field: "meta.k", Op: domain.OpIn, Value: v(`["y","z"]`)}}, "f2"},
		{[]F{{Field: "id", Op: domain.OpIn, Value: v(`["f1","f5","zz"]`)}}, "f1,f5"},
		{[]F{{Field: "n", Op: domain.OpExclude, Value: v(`[1,"2"]`)}}, "f2,f4,f5,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpExclude, Value: v(`["x"]`)}}, "f2,f3,f4,f5"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "alpha"}}, "f1,f6"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "*A"}}, "f1,f2,f4"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "a*"}}, "f1,f6"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "g*y"}}, "f3"},
		{[]F{{Field: "title", Op: domain.OpLike, Value: "m*y"}}, ""},
		{[]F{{Field: "meta.k", Op: domain.OpLike, Value: "X"}}, "f1,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpHas, Value: true}}, "f1,f2,f3,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpHas, Value: false}}, "f4,f5"},
		{[]F{{Field: "title", Op: domain.OpHas, Value: false}}, "f5"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`["b"]`)}}, "f1,f2"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`["a","b"]`)}}, "f1"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`[]`)}}, "f1,f2,f3,f6"},
		{[]F{{Field: "tags", Op: domain.OpContains, Value: v(`[{"x":1}]`)}}, "f6"},
		{[]F{{Field: "tags", Op: domain.OpContainsAny, Value: v(`["a","c"]`)}}, "f1,f6"},
		{[]F{{Field: "tags", Op: domain.OpContainsAny, Value: v(`["z"]`)}}, ""},
		{[]F{{Field: "n", Op: domain.OpGt, Value: v(`1`)}, {Field: "title", Op: domain.OpLike, Value: "a"}}, "f2,f6"},
		{[]F{{Field: "last_modified", Op: domain.OpGt, Value: f3ts}}, "f4,f5,f6"},
		{[]F{{Field: "last_modified", Op: domain.OpMax, Value: f3ts}}, "f1,f2,f3"},
		{[]F{{Field: "last_modified", Op: domain.OpIn, Value: []any{}}}, ""},
		{nil, "f1,f2,f3,f4,f5,f6"},
	}
	byID := []domain.Sort{{Field: "id"}}
	for _, tt := range tests {
		got := stIDs(stList(t, s, stParent, domain.Query{Filters: tt.filters, Sort: byID}))
		if got != tt.want {
			t.Errorf("List(%s) = %s, want %s", stJSON(t, tt.filters), got, tt.want)
		}
		n, err := s.Count(ctx, stParent, tt.filters)
		wantN := 0
		if tt.want != "" {
			wantN = strings.Count(tt.want, ",") + 1
		}
		if err != nil || n != wantN {
			t.Errorf("Count(%s) = %d, %v; want %d", stJSON(t, tt.filters), n, err, wantN)
		}
	}
	// Filters apply to tombstones too.
	gotDeleted := stIDs(stList(t, s, stParent, domain.Query{
		Filters:     []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: f3ts}, {Field: "n", Op: domain.OpGt, Value: v(`5`)}},
		Sort:        byID,
		WithDeleted: true,
	}))
	if gotDeleted != "f5,f6,f7" {
		t.Errorf("List(_since f3, gt_n=5, with deleted) = %s, want f5,f6,f7", gotDeleted)
	}
}

func storageSorts(t *testing.T, s ports.Storage) {
	filterFixture(t, s)
	tests := []struct {
		sorts []domain.Sort
		want  string
	}{
		{[]domain.Sort{{Field: "last_modified", Desc: true}}, "f6,f5,f4,f3,f2,f1"},
		{[]domain.Sort{{Field: "last_modified"}}, "f1,f2,f3,f4,f5,f6"},
		{[]domain.Sort{{Field: "id", Desc: true}}, "f6,f5,f4,f3,f2,f1"},
		// null < string < number < boolean < array < object < missing
		{[]domain.Sort{{Field: "n"}, {Field: "last_modified", Desc: true}}, "f4,f3,f1,f2,f6,f5"},
		{[]domain.Sort{{Field: "n", Desc: true}, {Field: "last_modified", Desc: true}}, "f5,f6,f2,f1,f3,f4"},
		{[]domain.Sort{{Field: "meta.k"}, {Field: "last_modified", Desc: true}}, "f3,f6,f1,f2,f5,f4"},
		{[]domain.Sort{{Field: "meta.k"}, {Field: "last_modified"}}, "f3,f1,f6,f2,f4,f5"},
		{[]domain.Sort{{Field: "flag", Desc: true}, {Field: "id"}}, "f3,f4,f5,f6,f1,f2"},
		{[]domain.Sort{{Field: "flag"}, {Field: "id", Desc: true}}, "f2,f1,f6,f5,f4,f3"},
		{[]domain.Sort{{Field: "meta.n", Desc: true}, {Field: "n"}, {Field: "id"}}, "f3,f5,f4,f2,f1,f6"},
		// arrays order by length first, then element by element
		{[]domain.Sort{{Field: "tags"}, {Field: "last_modified"}}, "f4,f3,f2,f1,f6,f5"},
		{[]domain.Sort{{Field: "other"}, {Field: "id", Desc: true}}, "f5,f6,f4,f3,f2,f1"},
	}
	for _, tt := range tests {
		got := stIDs(stList(t, s, stParent, domain.Query{Sort: tt.sorts}))
		if got != tt.want {
			t.Errorf("List(sort %s) = %s, want %s", stJSON(t, tt.sorts), got, tt.want)
		}
		limited := stIDs(stList(t, s, stParent, domain.Query{Sort: tt.sorts, Limit: 2}))
		if want := strings.Join(strings.Split(tt.want, ",")[:2], ","); limited != want {
			t.Errorf("List(sort %s, limit 2) = %s, want %s", stJSON(t, tt.sorts), limited, want)
		}
	}
}

// pagingOrders are the orders the paging cases walk: the protocol default,
// a custom sort with ties and missing values, and a three-key mixed order.
var pagingOrders = [][]domain.Sort{
	{{Field: "last_modified", Desc: true}},
	{{Field: "title"}, {Field: "last_modified", Desc: true}},
	{{Field: "rank", Desc: true}, {Field: "title"}, {Field: "last_modified"}},
}

// pagingFixture creates n objects with repeated titles (some missing) and
// ranks mixing numbers and strings.
func pagingFixture(t *testing.T, s ports.Storage, n int) {
	for i := range n {
		data := map[string]any{"i": i}
		if i%11 != 0 {
			data["title"] = fmt.Sprintf("t%02d", i%7)
		}
		switch i % 5 {
		case 0:
			data["rank"] = fmt.Sprint(i % 3)
		case 1:
		default:
			data["rank"] = json.Number(fmt.Sprint(i % 13))
		}
		if _, err := s.Create(context.Background(), stParent, domain.Record{ID: fmt.Sprintf("p%04d", i), Data: data}, nil); err != nil {
			t.Fatalf("Create(p%04d): %v", i, err)
		}
	}
}

// walk pages through the list with page size size, calling between after
// each page, and returns everything seen.
func walk(t *testing.T, s ports.Storage, q domain.Query, size int, between func(page int, seen []domain.Record)) []domain.Record {
	t.Helper()
	var seen []domain.Record
	q.Limit = size
	q.After = nil
	for page := 0; ; page++ {
		if page > 5000 {
			t.Fatalf("paging by %d does not end", size)
		}
		recs := stList(t, s, stParent, q)
		if len(recs) > size {
			t.Fatalf("page %d by %d holds %d objects", page, size, len(recs))
		}
		for i := 1; i < len(recs); i++ {
			if !domain.Less(recs[i-1], recs[i], q.Sort) {
				t.Fatalf("page %d by %d out of order: %s before %s", page, size, recs[i-1].ID, recs[i].ID)
			}
		}
		seen = append(seen, recs...)
		if len(recs) < size {
			return seen
		}
		q.After = domain.CursorOf(recs[len(recs)-1], q.Sort)
		if between != nil {
			between(page, seen)
		}
	}
}

func storagePaging(t *testing.T, s ports.Storage) {
	const n = 1000
	pagingFixture(t, s, n)
	for _, sorts := range pagingOrders {
		full := stList(t, s, stParent, domain.Query{Sort: sorts})
		if len(full) != n {
			t.Fatalf("List(sort %s) = %d objects, want %d", stJSON(t, sorts), len(full), n)
		}
		want := stIDs(full)
		for size := 1; size <= 50; size++ {
			got := walk(t, s, domain.Query{Sort: sorts}, size, nil)
			if stIDs(got) != want {
				t.Fatalf("paging sort %s by %d: %d objects, not the full order once each", stJSON(t, sorts), size, len(got))
			}
		}
	}
	// Paging composes with filters.
	filtered := domain.Query{Sort: pagingOrders[1], Filters: []domain.Filter{{Field: "title", Op: domain.OpIn, Value: []any{"t01", "t03"}}}}
	want := stIDs(stList(t, s, stParent, filtered))
	if got := stIDs(walk(t, s, filtered, 7, nil)); got != want || want == "" {
		t.Errorf("paging a filtered list by 7 = %d ids, want the filtered list once each", strings.Count(got, ","))
	}
}

// storagePagingWithWrites pages while objects are updated, created and
// deleted between pages. What it asserts, for every order and page size:
//
//   - every object that exists when the walk starts and is not written
//     during the walk is returned exactly once;
//   - no version (id, last_modified) is returned twice;
//   - an object written during the walk may be returned once per version
//     (before and after its update) or not at all after its update, as its
//     new last_modified may move it behind the cursor; a deleted object is
//     never returned after its deletion;
//   - each page is in order.
func storagePagingWithWrites(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	pagingFixture(t, s, 1000)
	next := 0
	for _, sorts := range pagingOrders {
		for _, size := range []int{1, 7, 20, 50} {
			start := stList(t, s, stParent, domain.Query{Sort: sorts})
			touched := map[string]bool{}
			deletedAt := map[string]int{} // id → len(seen) when deleted
			seen := walk(t, s, domain.Query{Sort: sorts}, size, func(page int, seen []domain.Record) {
				// Rewrite one object already seen and one still ahead.
				behind := seen[len(seen)/2]
				ahead := start[len(start)-1-page%len(start)]
				for _, id := range []string{behind.ID, ahead.ID} {
					if touched[id] {
						continue
					}
					touched[id] = true
					if page%3 == 2 && id == ahead.ID {
						if _, err := s.Delete(ctx, stParent, id, 0); err != nil {
							t.Fatalf("Delete(%s) between pages: %v", id, err)
						}
						deletedAt[id] = len(seen)
						continue
					}
					cur, err := s.Get(ctx, stParent, id)
					if err != nil {
						t.Fatalf("Get(%s) between pages: %v", id, err)
					}
					cur.Data["touched"] = page
					if _, err := s.Update(ctx, stParent, cur, nil); err != nil {
						t.Fatalf("Update(%s) between pages: %v", id, err)
					}
				}
				// Now and then a new object, placed before the cursor in
				// every order walked, so that the walk ends.
				if page%10 != 0 {
					return
				}
				next++
				id := fmt.Sprintf("new%05d", next)
				if _, err := s.Create(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"title": "a"}}, nil); err != nil {
					t.Fatalf("Create(%s) between pages: %v", id, err)
				}
			})

			label := fmt.Sprintf("paging sort %s by %d with writes", stJSON(t, sorts), size)
			count := map[string]int{}
			versions := map[string]bool{}
			for i, r := range seen {
				count[r.ID]++
				key := fmt.Sprintf("%s@%d", r.ID, r.LastModified)
				if versions[key] {
					t.Fatalf("%s: %s returned twice", label, key)
				}
				versions[key] = true
				if at, ok := deletedAt[r.ID]; ok && i >= at {
					t.Fatalf("%s: %s returned after its deletion", label, r.ID)
				}
			}
			for _, r := range start {
				switch c := count[r.ID]; {
				case touched[r.ID] && c > 2:
					t.Fatalf("%s: written object %s returned %d times", label, r.ID, c)
				case !touched[r.ID] && c != 1:
					t.Fatalf("%s: unchanged object %s returned %d times, want once", label, r.ID, c)
				}
			}
			// Put the deleted objects back so that later walks see 1,000+.
			for id := range deletedAt {
				if _, err := s.Update(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"title": "t05"}}, nil); err != nil {
					t.Fatalf("Update(%s): %v", id, err)
				}
			}
		}
	}
}

func storageDeleteMany(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	for i := range 10 {
		stCreate(t, s, stParent, fmt.Sprintf("d%d", i), fmt.Sprintf(`{"n":%d,"odd":%v}`, i, i%2 == 1))
	}
	before := stTimestamp(t, s, stParent)
	byN := []domain.Sort{{Field: "n"}, {Field: "last_modified", Desc: true}}
	q := domain.Query{Filters: []domain.Filter{{Field: "n", Op: domain.OpMin, Value: json.Number("3")}}, Sort: byN, Limit: 4}
	gone, err := s.DeleteMany(ctx, stParent, q)
	if err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if stIDs(gone) != "d3,d4,d5,d6" {
		t.Fatalf("DeleteMany(n >= 3, by n, limit 4) = %s, want d3,d4,d5,d6", stIDs(gone))
	}
	for i, r := range gone {
		if !r.Deleted || len(r.Data) != 0 {
			t.Errorf("DeleteMany[%d] = %+v, want a tombstone", i, r)
		}
		if i == 0 && r.LastModified <= before {
			t.Errorf("first tombstone stamped %d, want above %d", r.LastModified, before)
		}
		if i > 0 && r.LastModified != gone[i-1].LastModified+1 {
			t.Errorf("tombstone %s stamped %d, want consecutive %d", r.ID, r.LastModified, gone[i-1].LastModified+1)
		}
	}
	if got := stTimestamp(t, s, stParent); got != gone[3].LastModified {
		t.Errorf("Timestamp after DeleteMany = %d, want the last tombstone %d", got, gone[3].LastModified)
	}
	if got := stIDs(stList(t, s, stParent, domain.Query{Sort: byN})); got != "d0,d1,d2,d7,d8,d9" {
		t.Errorf("List after DeleteMany = %s, want d0,d1,d2,d7,d8,d9", got)
	}

	// The next page of the deletion, from the last deleted object's cursor.
	cursor := []domain.SortValue{{Value: json.Number("6")}, {Value: json.Number("1")}}
	q.After, q.Limit = cursor, 0
	q.Filters = append(q.Filters, domain.Filter{Field: "odd", Op: domain.OpEq, Value: true})
	gone, err = s.DeleteMany(ctx, stParent, q)
	if err != nil || stIDs(gone) != "d7,d9" {
		t.Errorf("DeleteMany(after n=6, odd) = %s, %v; want d7,d9", stIDs(gone), err)
	}
	last := stTimestamp(t, s, stParent)
	gone, err = s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest, Filters: []domain.Filter{{Field: "n", Op: domain.OpGt, Value: json.Number("100")}}})
	if err != nil || len(gone) != 0 {
		t.Errorf("DeleteMany(nothing matches) = %s, %v; want nothing", stIDs(gone), err)
	}
	if got := stTimestamp(t, s, stParent); got != last {
		t.Errorf("Timestamp after an empty DeleteMany = %d, want %d", got, last)
	}
	gone, err = s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest, Limit: 2})
	if err != nil || stIDs(gone) != "d8,d2" {
		t.Errorf("DeleteMany(newest first, limit 2) = %s, %v; want d8,d2", stIDs(gone), err)
	}
	if n, _ := s.Count(ctx, stParent, nil); n != 2 {
		t.Errorf("Count after DeleteMany = %d, want 2", n)
	}
	all := stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if len(all) != 10 {
		t.Errorf("List(with deleted) = %d objects, want 10 (tombstones kept)", len(all))
	}
}

func storagePurge(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	b1 := domain.Parent{Resource: "collection", ID: "/buckets/b1"}
	b1g := domain.Parent{Resource: "group", ID: "/buckets/b1"}
	b1c := domain.Parent{Resource: "record", ID: "/buckets/b1/collections/c"}
	b10 := domain.Parent{Resource: "collection", ID: "/buckets/b10"}
	b10c := domain.Parent{Resource: "record", ID: "/buckets/b10/collections/c"}
	root := domain.Parent{Resource: "bucket", ID: ""}
	stCreate(t, s, b1, "c", `{}`)
	stCreate(t, s, b1, "d", `{}`)
	stDelete(t, s, b1, "d")
	stCreate(t, s, b1g, "g", `{}`)
	stCreate(t, s, b1c, "r1", `{}`)
	stCreate(t, s, b1c, "r2", `{}`)
	stCreate(t, s, b10, "c", `{}`)
	stCreate(t, s, b10c, "r1", `{}`)
	stCreate(t, s, root, "b1", `{}`)

	n, err := s.Purge(ctx, "/buckets/b1")
	if err != nil || n != 5 {
		t.Errorf("Purge(/buckets/b1) = %d, %v; want 5 (objects and tombstones)", n, err)
	}
	for _, p := range []domain.Parent{b1, b1g, b1c} {
		if recs := stList(t, s, p, domain.Query{Sort: byNewest, WithDeleted: true}); len(recs) != 0 {
			t.Errorf("List(%v) after Purge = %s, want nothing", p, stIDs(recs))
		}
	}
	if _, err := s.Get(ctx, b1c, "r1"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(purged r1): kind %v, want NotFound", domain.KindOf(err))
	}
	for _, p := range []domain.Parent{b10, b10c, root} {
		if c, _ := s.Count(ctx, p, nil); c != 1 {
			t.Errorf("Count(%v) after Purge(/buckets/b1) = %d, want 1: siblings sharing a prefix survive", p, c)
		}
	}
	// A purged list can be written again.
	if _, err := s.Create(ctx, b1c, domain.Record{ID: "r1", Data: map[string]any{}}, nil); err != nil {
		t.Errorf("Create in a purged list: %v", err)
	}
	if n, err := s.Purge(ctx, "/buckets/nothing"); err != nil || n != 0 {
		t.Errorf("Purge(nothing) = %d, %v; want 0", n, err)
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for _, p := range []domain.Parent{b10, b10c} {
			for _, r := range stList(t, s, p, domain.Query{Sort: byNewest}) {
				if !yield(p.ID + "/" + r.ID) {
					return
				}
			}
		}
	})
	if strings.Join(got, " ") != "/buckets/b10/c /buckets/b10/collections/c/r1" {
		t.Errorf("survivors = %v", got)
	}
}

// storageIDFilters checks id eq and id in filters, alone and with other
// filters, in List, Count and DeleteMany. An adapter may serve them from
// its id index; the answers must be those of a plain filter.
func storageIDFilters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	recs := filterFixture(t, s)
	type F = domain.Filter
	in := func(ids ...any) F { return F{Field: "id", Op: domain.OpIn, Value: ids} }
	tests := []struct {
		filters []F
		want    string // live ids in id order
	}{
		{[]F{{Field: "id", Op: domain.OpEq, Value: "f7"}}, ""}, // a tombstone
		{[]F{{Field: "id", Op: domain.OpEq, Value: "nope"}}, ""},
		{[]F{{Field: "id", Op: domain.OpEq, Value: json.Number("1")}}, ""},
		{[]F{in()}, ""},
		{[]F{in("f6", "f1", "f6", "zz", json.Number("1"), nil, true)}, "f1,f6"},
		{[]F{in("f1", "f2", "f3", "f6"), {Field: "meta.k", Op: domain.OpEq, Value: "x"}}, "f1,f6"},
		{[]F{{Field: "meta.k", Op: domain.OpEq, Value: "x"}, in("f1", "f2", "f3", "f6")}, "f1,f6"},
		{[]F{in("f1", "f2", "f3"), in("f2", "f3", "f4")}, "f2,f3"},
		{[]F{in("f1", "f2", "f3", "f4"), {Field: "id", Op: domain.OpEq, Value: "f3"}}, "f3"},
		{[]F{in("f1", "f2", "f3"), {Field: "id", Op: domain.OpNot, Value: "f2"}}, "f1,f3"},
		{[]F{in("f1", "f2", "f3", "f7"), {Field: "id", Op: domain.OpExclude, Value: []any{"f1"}}}, "f2,f3"},
		{[]F{in("f1", "f2", "f3", "f4", "f5"), {Field: "n", Op: domain.OpGt, Value: json.Number("2")}}, "f2,f5"},
		{[]F{in("f1", "f5"), {Field: "title", Op: domain.OpHas, Value: false}}, "f5"},
		{[]F{in("f1", "f2"), {Field: "last_modified", Op: domain.OpGt, Value: json.Number(fmt.Sprint(recs[0].LastModified))}}, "f2"},
	}
	byID := []domain.Sort{{Field: "id"}}
	for _, tt := range tests {
		if got := stIDs(stList(t, s, stParent, domain.Query{Filters: tt.filters, Sort: byID})); got != tt.want {
			t.Errorf("List(%s) = %s, want %s", stJSON(t, tt.filters), got, tt.want)
		}
		wantN := 0
		if tt.want != "" {
			wantN = strings.Count(tt.want, ",") + 1
		}
		if n, err := s.Count(ctx, stParent, tt.filters); err != nil || n != wantN {
			t.Errorf("Count(%s) = %d, %v; want %d", stJSON(t, tt.filters), n, err, wantN)
		}
	}

	// Tombstones come with WithDeleted, and are filtered like live objects.
	got := stList(t, s, stParent, domain.Query{Filters: []F{in("f7", "f1")}, Sort: byID, WithDeleted: true})
	if stIDs(got) != "f1,f7" || got[0].Deleted || !got[1].Deleted {
		t.Errorf("List(id in f7,f1, with deleted) = %s, want f1 then the tombstone f7", stJSON(t, got))
	}
	deleted := []F{in("f7", "f1"), {Field: "deleted", Op: domain.OpEq, Value: true}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: deleted, Sort: byID, WithDeleted: true})); got != "f7" {
		t.Errorf("List(id in f7,f1, deleted=true, with deleted) = %s, want f7", got)
	}

	// Sort, limit and cursor apply to the named objects.
	six := []F{in("f3", "f1", "f6", "f2", "f5", "f4", "f7")}
	first := stList(t, s, stParent, domain.Query{Filters: six, Sort: byNewest, Limit: 2})
	if stIDs(first) != "f6,f5" {
		t.Fatalf("List(id in f1…f7, newest first, limit 2) = %s, want f6,f5", stIDs(first))
	}
	after := domain.CursorOf(first[1], byNewest)
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byNewest, Limit: 2, After: after})); got != "f4,f3" {
		t.Errorf("List(id in f1…f7, newest first, limit 2, after f5) = %s, want f4,f3", got)
	}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byNewest, After: after, WithDeleted: true})); got != "f4,f3,f2,f1" {
		t.Errorf("List(id in f1…f7, after f5, with deleted) = %s, want f4,f3,f2,f1 (f7 is newer than f5)", got)
	}
	byTitle := []domain.Sort{{Field: "title"}, {Field: "last_modified", Desc: true}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byTitle})); got != "f6,f2,f1,f4,f3,f5" {
		t.Errorf("List(id in f1…f7, by title) = %s, want f6,f2,f1,f4,f3,f5", got)
	}
	titleCursor := []domain.SortValue{{Value: "alpha"}, {Value: json.Number(fmt.Sprint(recs[0].LastModified))}}
	if got := stIDs(stList(t, s, stParent, domain.Query{Filters: six, Sort: byTitle, Limit: 2, After: titleCursor})); got != "f4,f3" {
		t.Errorf("List(id in f1…f7, by title, after alpha, limit 2) = %s, want f4,f3", got)
	}

	// DeleteMany deletes only the named live objects that match the rest.
	gone, err := s.DeleteMany(ctx, stParent, domain.Query{Filters: []F{in("f1", "f2", "f6", "f7", "zz"), {Field: "n", Op: domain.OpMin, Value: json.Number("2")}}, Sort: byID})
	if err != nil || stIDs(gone) != "f2,f6" {
		t.Fatalf("DeleteMany(id in f1,f2,f6,f7,zz, n >= 2) = %s, %v; want f2,f6", stIDs(gone), err)
	}
	if got := stIDs(stList(t, s, stParent, domain.Query{Sort: byID})); got != "f1,f3,f4,f5" {
		t.Errorf("List after DeleteMany = %s, want f1,f3,f4,f5", got)
	}
	if n, err := s.Count(ctx, stParent, []F{in("f1", "f2", "f6")}); err != nil || n != 1 {
		t.Errorf("Count(id in f1,f2,f6) after DeleteMany = %d, %v; want 1", n, err)
	}
	// A re-created id is found again, live.
	stCreate(t, s, stParent, "f7", `{"title":"back"}`)
	got = stList(t, s, stParent, domain.Query{Filters: []F{{Field: "id", Op: domain.OpEq, Value: "f7"}}, Sort: byID, WithDeleted: true})
	if stIDs(got) != "f7" || got[0].Deleted || got[0].Data["title"] != "back" {
		t.Errorf("List(id=f7) after re-creating it = %s, want the live f7", stJSON(t, got))
	}
}

// storageIDFilterPaging pages, in every paging order, through a list
// restricted by a long id in filter (every third object, plus unknown and
// repeated ids), alone and with another filter: each named object that
// matches comes exactly once, in the order of the whole list.
func storageIDFilterPaging(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	const n = 1000
	pagingFixture(t, s, n)
	var ids []any
	named := map[string]bool{}
	for i := 0; i < n; i += 3 {
		id := fmt.Sprintf("p%04d", i)
		ids = append(ids, id)
		named[id] = true
		if i%30 == 0 {
			ids = append(ids, id, fmt.Sprintf("x%04d", i))
		}
	}
	slices.Reverse(ids) // the filter's order must not matter
	// Tombstones among the named objects, for the WithDeleted walk.
	for _, id := range []string{"p0000", "p0300", "p0999"} {
		stDelete(t, s, stParent, id)
	}
	idIn := domain.Filter{Field: "id", Op: domain.OpIn, Value: ids}
	titled := domain.Filter{Field: "title", Op: domain.OpIn, Value: []any{"t01", "t03"}}
	for _, sorts := range pagingOrders {
		for _, other := range [][]domain.Filter{nil, {titled}} {
			for _, withDeleted := range []bool{false, true} {
				whole := stList(t, s, stParent, domain.Query{Sort: sorts, Filters: other, WithDeleted: withDeleted})
				var want []domain.Record
				for _, r := range whole {
					if named[r.ID] {
						want = append(want, r)
					}
				}
				q := domain.Query{Sort: sorts, Filters: append([]domain.Filter{idIn}, other...), WithDeleted: withDeleted}
				label := fmt.Sprintf("id in %d ids, filters %s, sort %s, with deleted %v", len(ids), stJSON(t, other), stJSON(t, sorts), withDeleted)
				if len(want) == 0 {
					t.Fatalf("%s: the fixture selects nothing", label)
				}
				if got := stIDs(stList(t, s, stParent, q)); got != stIDs(want) {
					t.Fatalf("List(%s) = %d ids, want the %d named ids in the list's order", label, strings.Count(got, ",")+1, len(want))
				}
				for _, size := range []int{1, 7, 50} {
					if got := stIDs(walk(t, s, q, size, nil)); got != stIDs(want) {
						t.Fatalf("paging %s by %d: not each named object once, in order", label, size)
					}
				}
				if !withDeleted {
					if c, err := s.Count(ctx, stParent, q.Filters); err != nil || c != len(want) {
						t.Errorf("Count(%s) = %d, %v; want %d", label, c, err, len(want))
					}
				}
			}
		}
	}
}

// storageCountWithoutFilters follows the number of live objects through
// every kind of write.
func storageCountWithoutFilters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	want := func(label string, n int) {
		t.Helper()
		if got, err := s.Count(ctx, stParent, nil); err != nil || got != n {
			t.Errorf("Count after %s = %d, %v; want %d", label, got, err, n)
		}
	}
	want("nothing", 0)
	for i := range 5 {
		stCreate(t, s, stParent, fmt.Sprintf("c%d", i), `{}`)
	}
	want("5 creates", 5)
	if _, err := s.Update(ctx, stParent, domain.Record{ID: "c0", Data: map[string]any{"x": true}}, nil); err != nil {
		t.Fatalf("Update(c0): %v", err)
	}
	want("replacing c0", 5)
	if _, err := s.Update(ctx, stParent, domain.Record{ID: "c5"}, nil); err != nil {
		t.Fatalf("Update(c5): %v", err)
	}
	want("creating c5 by Update", 6)
	stDelete(t, s, stParent, "c1")
	want("deleting c1", 5)
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "c2"}, nil); domain.KindOf(err) != domain.Conflict {
		t.Errorf("Create(existing c2): kind %v, want Conflict", domain.KindOf(err))
	}
	want("a refused Create", 5)
	stCreate(t, s, stParent, "c1", `{}`)
	want("re-creating c1", 6)
	if _, err := s.Update(ctx, stParent, domain.Record{ID: "c1"}, nil); err != nil {
		t.Fatalf("Update(c1): %v", err)
	}
	want("replacing c1", 6)
	if _, err := s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest, Limit: 2}); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	want("deleting 2 with DeleteMany", 4)
	if _, err := s.Purge(ctx, stParent.ID); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	want("Purge", 0)
	stCreate(t, s, stParent, "c1", `{}`)
	want("a create after Purge", 1)
}

// storageUniqueFollowsWrites checks that unique fields see every write: a
// value is free again once its object changes it, is deleted or purged,
// and values equal by type-exact comparison (1 and 1.0) conflict.
func storageUniqueFollowsWrites(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	unique := []string{"url"}
	write := func(label string, update bool, id, data string, want domain.Kind, wantExisting string) {
		t.Helper()
		rec := domain.Record{ID: id, Data: stData(t, data)}
		var err error
		if update {
			_, err = s.Update(ctx, stParent, rec, unique)
		} else {
			_, err = s.Create(ctx, stParent, rec, unique)
		}
		if want == domain.Internal { // success wanted
			if err != nil {
				t.Errorf("%s: %v", label, err)
			}
			return
		}
		stWantKind(t, label, err, want)
		if e := domain.AsError(err); e == nil || e.Existing == nil || e.Existing.ID != wantExisting {
			t.Errorf("%s: Existing = %+v, want %s", label, e, wantExisting)
		}
	}
	const ok = domain.Internal
	write("Create(a)", false, "a", `{"url":"u1"}`, ok, "")
	write("Create(b, a's url)", false, "b", `{"url":"u1"}`, domain.Conflict, "a")
	write("Update(a to u2)", true, "a", `{"url":"u2"}`, ok, "")
	write("Create(b, u1 freed by a)", false, "b", `{"url":"u1"}`, ok, "")
	write("Create(c, a's new url)", false, "c", `{"url":"u2"}`, domain.Conflict, "a")
	write("Update(a, url removed)", true, "a", `{"title":"no url"}`, ok, "")
	write("Create(c, u2 freed by a)", false, "c", `{"url":"u2"}`, ok, "")
	stDelete(t, s, stParent, "c")
	write("Create(d, u2 of deleted c)", false, "d", `{"url":"u2"}`, ok, "")
	write("Create(c again, u2 of d)", false, "c", `{"url":"u2"}`, domain.Conflict, "d")
	write("Create(n1, url 1)", false, "n1", `{"url":1}`, ok, "")
	write("Create(n2, url 1.0)", false, "n2", `{"url":1.0}`, domain.Conflict, "n1")
	write("Create(n3, url \"1\")", false, "n3", `{"url":"1"}`, ok, "")
	// A value written without the constraint may be shared; the next
	// checked write of that value still conflicts.
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "e", Data: stData(t, `{"url":"u1"}`)}, nil); err != nil {
		t.Fatalf("Create(e, b's url, no unique fields): %v", err)
	}
	stDelete(t, s, stParent, "b")
	write("Create(f, u1 still held by e)", false, "f", `{"url":"u1"}`, domain.Conflict, "e")
	write("Update(e keeps u1)", true, "e", `{"url":"u1","title":"kept"}`, ok, "")
	if _, err := s.Purge(ctx, stParent.ID); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	write("Create(f, u1 after Purge)", false, "f", `{"url":"u1"}`, ok, "")
	write("Create(g, u1 of f)", false, "g", `{"url":"u1"}`, domain.Conflict, "f")
}
