package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestStorageContract(t *testing.T) {
	testURL(t)
	portstest.RunStorage(t, func(t *testing.T, clock domain.Clock) ports.Storage {
		return postgres.NewStorage(newDB(t), clock)
	})
}

var parent = domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}

func TestStoragePurgeTakesPrefixesLiterally(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewStorage(newDB(t), nil)
	// LIKE metacharacters in the prefix are literal.
	for _, p := range []domain.Parent{{Resource: "record", ID: "/buckets/b_1"}, {Resource: "record", ID: "/buckets/b%/x"}, {Resource: "record", ID: "/buckets/bx1"}} {
		if _, err := s.Create(ctx, p, domain.Record{ID: "r"}, nil); err != nil {
			t.Fatalf("Create(%v): %v", p, err)
		}
	}
	if n, err := s.Purge(ctx, "/buckets/b%"); err != nil || n != 1 {
		t.Errorf("Purge(/buckets/b%%) = %d, %v; want 1, the list under the literal prefix", n, err)
	}
	if n, err := s.Purge(ctx, "/buckets/b_1"); err != nil || n != 1 {
		t.Errorf("Purge(/buckets/b_1) = %d, %v; want 1, not /buckets/bx1", n, err)
	}
}

// storageCalls calls every method of s once.
func storageCalls(s *postgres.Storage, ctx context.Context) map[string]func() error {
	return map[string]func() error{
		"Healthy":   func() error { return s.Healthy(ctx) },
		"Timestamp": func() error { _, err := s.Timestamp(ctx, parent); return err },
		"Create":    func() error { _, err := s.Create(ctx, parent, domain.Record{ID: "a"}, nil); return err },
		"Get":       func() error { _, err := s.Get(ctx, parent, "a"); return err },
		"Update":    func() error { _, err := s.Update(ctx, parent, domain.Record{ID: "a"}, nil); return err },
		"Delete":    func() error { _, err := s.Delete(ctx, parent, "a", 0); return err },
		"List":      func() error { _, err := s.List(ctx, parent, domain.Query{}); return err },
		"Count":     func() error { _, err := s.Count(ctx, parent, nil); return err },
		"DeleteMany": func() error {
			_, err := s.DeleteMany(ctx, parent, domain.Query{})
			return err
		},
		"Purge": func() error { _, err := s.Purge(ctx, ""); return err },
	}
}

// unreachableDB returns a pool on a port where nothing listens; it needs
// no server.
func unreachableDB(t *testing.T) *sqlx.DB {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now refused
	db, err := sqlx.Open("postgres", "postgres://nobody@"+addr+"/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStorageRefusedConnectionIsUnavailable(t *testing.T) {
	s := postgres.NewStorage(unreachableDB(t), nil)
	for name, call := range storageCalls(s, context.Background()) {
		err := call()
		if domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s(refused): %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("%s(refused): %v, want the driver's *net.OpError kept as the cause", name, err)
		}
	}
}

func TestStorageClosedPoolIsUnavailable(t *testing.T) {
	db := newDB(t)
	s := postgres.NewStorage(db, nil)
	db.Close()
	for name, call := range storageCalls(s, context.Background()) {
		if err := call(); domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s(closed pool): %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
	}
}

// TestStorageUnstorableValues checks that what jsonb or text cannot hold is
// refused as Invalid, never as a 500, and leaves nothing behind.
func TestStorageUnstorableValues(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewStorage(newDB(t), nil)
	tests := []struct {
		name string
		rec  domain.Record
	}{
		{"NUL in a string", domain.Record{ID: "a", Data: map[string]any{"t": "a\x00b"}}},
		{"NUL in a key", domain.Record{ID: "a", Data: map[string]any{"a\x00": 1}}},
		{"number beyond numeric", domain.Record{ID: "a", Data: map[string]any{"n": json.Number("1e999999")}}},
		{"NUL in the id", domain.Record{ID: "a\x00", Data: map[string]any{}}},
	}
	for _, tt := range tests {
		_, err := s.Create(ctx, parent, tt.rec, nil)
		if domain.KindOf(err) != domain.Invalid {
			t.Errorf("Create(%s): %v (kind %v), want Invalid", tt.name, err, domain.KindOf(err))
		}
		_, err = s.Update(ctx, parent, tt.rec, nil)
		if domain.KindOf(err) != domain.Invalid {
			t.Errorf("Update(%s): %v (kind %v), want Invalid", tt.name, err, domain.KindOf(err))
		}
	}
	if n, err := s.Count(ctx, parent, nil); err != nil || n != 0 {
		t.Errorf("Count after refused writes = %d, %v; want 0", n, err)
	}
	if _, err := s.Get(ctx, parent, "a\x00"); domain.KindOf(err) == domain.Internal {
		t.Errorf("Get(NUL id): %v, want a client error, not Internal", err)
	}
}

// TestStorageTwoNodes runs writers on two pools, as two nodes would, on one
// list: timestamps must stay unique and increasing per writer, and the list
// timestamp must end at the newest write.
func TestStorageTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	first := openDB(t, dsn)
	if err := postgres.Migrate(ctx, first); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	nodes := []*postgres.Storage{postgres.NewStorage(first, nil), postgres.NewStorage(openDB(t, dsn), nil)}
	const writersPerNode, perWriter = 4, 30
	var mu sync.Mutex
	seen := map[int64]string{}
	var maxTS int64
	var wg sync.WaitGroup
	errs := make(chan error, 2*writersPerNode)
	for n, s := range nodes {
		for w := range writersPerNode {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var last int64
				for i := range perWriter {
					id := fmt.Sprintf("n%d-w%d-%d", n, w, i)
					r, err := s.Create(ctx, parent, domain.Record{ID: id}, nil)
					if err == nil && i%3 == 0 {
						r, err = s.Update(ctx, parent, domain.Record{ID: id, Data: map[string]any{"u": true}}, nil)
					}
					if err != nil {
						errs <- fmt.Errorf("write %s: %w", id, err)
						return
					}
					if r.LastModified <= last {
						errs <- fmt.Errorf("writer n%d-w%d: %d after %d, want increasing", n, w, r.LastModified, last)
						return
					}
					last = r.LastModified
					mu.Lock()
					if other, dup := seen[r.LastModified]; dup {
						errs <- fmt.Errorf("timestamp %d given to %s and %s", r.LastModified, other, id)
					}
					seen[r.LastModified] = id
					maxTS = max(maxTS, r.LastModified)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, s := range nodes {
		if ts, err := s.Timestamp(ctx, parent); err != nil || ts != maxTS {
			t.Errorf("node %d: Timestamp = %d, %v; want the newest write %d", i, ts, err, maxTS)
		}
	}
	if n, err := nodes[1].Count(ctx, parent, nil); err != nil || n != 2*writersPerNode*perWriter {
		t.Errorf("Count = %d, %v; want %d", n, err, 2*writersPerNode*perWriter)
	}
}

func TestStorageTimestampFirstReadRace(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	db := openDB(t, dsn)
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	clock := &portstest.ManualClock{}
	var counter atomic.Int64
	stores := []*postgres.Storage{postgres.NewStorage(db, clock), postgres.NewStorage(openDB(t, dsn), clock)}
	got := make([]int64, 16)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every reader sees a different clock: only one value may win.
			clock.Set(1000 + counter.Add(1))
			ts, err := stores[i%2].Timestamp(ctx, parent)
			if err != nil {
				t.Errorf("Timestamp: %v", err)
			}
			got[i] = ts
		}()
	}
	wg.Wait()
	for i, ts := range got {
		if ts != got[0] {
			t.Fatalf("concurrent first reads: Timestamp[%d] = %d, Timestamp[0] = %d; want one stored value", i, ts, got[0])
		}
	}
}

// TestStorageMatchesDomain compares List and Count with domain.Select and
// domain.MatchAll, the reference model, over objects of every JSON type,
// dotted keys, tombstones, every operator and values that SQL cannot hold
// (which the adapter finishes in Go).
func TestStorageMatchesDomain(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewStorage(newDB(t), nil)
	docs := []string{
		`{"a": 1, "tags": ["x", "y"]}`,
		`{"a": 1.0, "tags": ["y"]}`,
		`{"a": "1", "tags": []}`,
		`{"a": null, "tags": "x"}`,
		`{"a": true}`,
		`{"a": false, "tags": [["x"], {"k": 1}]}`,
		`{"a": [1, 2], "tags": [1, 2.5]}`,
		`{"a": [], "tags": [null]}`,
		`{"a": {"x": 1}}`,
		`{"a": {"x": 2}, "n": 3}`,
		`{"a": {}}`,
		`{}`,
		`{"a": "Zeta"}`,
		`{"a": "alpha"}`,
		`{"a": "été"}`,
		`{"a": "100%_done"}`,
		`{"a": 12345678901234567890}`,
		`{"a": -0.5}`,
		`{"a": 1e3}`,
		`{"a": [1, "b", null]}`,
		`{"a": {"b": {"c": 5}}}`,
		`{"a.b": {"c": 7}, "a": {"b": {"c": 8}}}`,
		`{"a.b": 3, "a": {"b": 4}}`,
		`{"a": {"b": "x"}}`,
		`{"a": {"b": [1]}}`,
		`{"a": "x", "deleted": false}`,
		`{"a": "back\\slash"}`,
	}
	for i, d := range docs {
		var data map[string]any
		dec := json.NewDecoder(strings.NewReader(d))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil {
			t.Fatalf("decode %s: %v", d, err)
		}
		if _, err := s.Create(ctx, parent, domain.Record{ID: fmt.Sprintf("o%02d", i), Data: data}, nil); err != nil {
			t.Fatalf("Create(%s): %v", d, err)
		}
	}
	for _, id := range []string{"o03", "o10", "o16"} {
		if _, err := s.Delete(ctx, parent, id, 0); err != nil {
			t.Fatalf("Delete(%s): %v", id, err)
		}
	}
	// The reference works on what the store holds (jsonb writes 1e3 as 1000).
	all, err := s.List(ctx, parent, domain.Query{WithDeleted: true})
	if err != nil {
		t.Fatalf("List(all): %v", err)
	}
	byID := []domain.Sort{{Field: "id"}}
	num := func(s string) any { return json.Number(s) }
	values := []any{
		nil, "1", "alpha", "Zeta", "", "x", num("1"), num("1.0"), num("-0.5"), num("3"), num("4"),
		num("12345678901234567890"), num("1000"), true, false,
		[]any{num("1"), num("2")}, []any{}, []any{"x"}, []any{num("1"), "1", nil},
		map[string]any{"x": num("1")}, map[string]any{},
		// SQL cannot hold these: the adapter filters in Go.
		"a\x00", num("1e99999"),
	}
	likes := []any{"a", "A", "*a", "a*", "l*a", "%", "_", "100\\%", "%_d", "\\", "back\\\\", "1", "x\x00", 5}
	fields := []string{"a", "a.b", "a.b.c", "a.x", "tags", "id", "last_modified", "deleted", "n", "a.b.c.d.e.f.g.h"}
	ops := []domain.Op{domain.OpEq, domain.OpNot, domain.OpLt, domain.OpMax, domain.OpGt, domain.OpMin,
		domain.OpIn, domain.OpExclude, domain.OpHas, domain.OpContains, domain.OpContainsAny, domain.OpLike}
	check := func(filters []domain.Filter, withDeleted bool) {
		t.Helper()
		q := domain.Query{Filters: filters, Sort: byID, WithDeleted: withDeleted}
		got, err := s.List(ctx, parent, q)
		if err != nil {
			t.Errorf("List(%v): %v", filters, err)
			return
		}
		want := domain.Select(all, q)
		if ids(got) != ids(want) {
			t.Errorf("List(%#v, deleted %v) = %s, want %s", filters, withDeleted, ids(got), ids(want))
		}
		if withDeleted {
			return
		}
		n, err := s.Count(ctx, parent, filters)
		if err != nil || n != len(want) {
			t.Errorf("Count(%#v) = %d, %v; want %d", filters, n, err, len(want))
		}
	}
	for _, f := range fields {
		for _, op := range ops {
			vals := values
			switch op {
			case domain.OpLike:
				vals = likes
			case domain.OpIn, domain.OpExclude:
				vals = []any{[]any{}, []any{num("1"), "1"}, []any{nil, true}, []any{"o01", "o05", num("1000")},
					[]any{map[string]any{"x": num("1")}, []any{}}, []any{"a\x00"}}
			}
			for _, v := range vals {
				check([]domain.Filter{{Field: f, Op: op, Value: v}}, op == domain.OpNot || op == domain.OpGt)
			}
		}
	}
	check([]domain.Filter{{Field: "deleted", Op: domain.OpEq, Value: true}}, true)
	check([]domain.Filter{{Field: "a", Op: domain.OpGt, Value: "a"}, {Field: "a", Op: domain.OpLt, Value: num("1")}}, false)

	// Every order, whole and paged by 4 through keyset cursors.
	for _, f := range fields {
		for _, desc := range []bool{false, true} {
			sorts := []domain.Sort{{Field: f, Desc: desc}, {Field: "last_modified", Desc: true}}
			q := domain.Query{Sort: sorts, WithDeleted: true}
			got, err := s.List(ctx, parent, q)
			if err != nil {
				t.Fatalf("List(sort %v): %v", sorts, err)
			}
			want := domain.Select(all, q)
			if ids(got) != ids(want) {
				t.Errorf("List(sort %v) = %s, want %s", sorts, ids(got), ids(want))
				continue
			}
			var paged []domain.Record
			q.Limit = 4
			for range 20 {
				page, err := s.List(ctx, parent, q)
				if err != nil {
					t.Fatalf("List(sort %v, after %v): %v", sorts, q.After, err)
				}
				paged = append(paged, page...)
				if len(page) < q.Limit {
					break
				}
				q.After = domain.CursorOf(page[len(page)-1], sorts)
			}
			if ids(paged) != ids(want) {
				t.Errorf("paging sort %v by 4 = %s, want %s", sorts, ids(paged), ids(want))
			}
		}
	}
	// Cursors holding values SQL cannot hold.
	for _, v := range []any{"a\x00", num("1e99999"), num("-1e99999")} {
		sorts := []domain.Sort{{Field: "a"}, {Field: "id"}}
		q := domain.Query{Sort: sorts, After: []domain.SortValue{{Value: v}, {Value: "o00"}}}
		got, err := s.List(ctx, parent, q)
		if want := domain.Select(all, q); err != nil || ids(got) != ids(want) {
			t.Errorf("List(after %q) = %s, %v; want %s", v, ids(got), err, ids(want))
		}
	}
}

func ids(recs []domain.Record) string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return strings.Join(out, ",")
}

func TestUnitOfWorkContract(t *testing.T) {
	testURL(t)
	portstest.RunUnitOfWork(t, func(t *testing.T) ports.Store {
		return postgres.NewStore(newDB(t), nil)
	})
}

func TestStorageOwnedCreator(t *testing.T) {
	testURL(t)
	portstest.RunOwnedCreator(t, func(t *testing.T) ports.Storage {
		return postgres.NewStorage(newDB(t), nil)
	})
}

func TestStoreFreshCreator(t *testing.T) {
	testURL(t)
	portstest.RunFreshCreator(t, func(t *testing.T) ports.Store {
		return postgres.NewStore(newDB(t), nil)
	})
}
