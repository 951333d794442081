package portstest

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
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
