package domain

import (
	"encoding/json"
	"iter"
	"slices"
	"sort"
	"strconv"
)

// compareSortValues orders two sort values ascending, a missing value above
// every present one.
func compareSortValues(a, b SortValue) int {
	switch {
	case a.Missing && b.Missing:
		return 0
	case a.Missing:
		return 1
	case b.Missing:
		return -1
	}
	return Compare(a.Value, b.Value)
}

// compareCursors orders two cursors of the same sort.
func compareCursors(a, b []SortValue, sorts []Sort) int {
	for i, s := range sorts {
		if i >= len(a) || i >= len(b) {
			break
		}
		c := compareSortValues(a[i], b[i])
		if s.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// CursorOf returns rec's position in the order sorts: one SortValue per
// Sort, Missing when rec lacks the field. It is what a page token stores
// about the last object of a page.
func CursorOf(rec Record, sorts []Sort) []SortValue {
	out := make([]SortValue, len(sorts))
	for i, s := range sorts {
		v, ok := fieldOf(rec, s.Field)
		out[i] = SortValue{Value: v, Missing: !ok}
	}
	return out
}

// CompareRecords orders a and b by sorts (lexicographically) and returns
// -1, 0 or +1. Values follow Compare; a missing field sorts after every
// value ascending and before every value descending (PROTOCOL-core §7.3).
func CompareRecords(a, b Record, sorts []Sort) int {
	return compareCursors(CursorOf(a, sorts), CursorOf(b, sorts), sorts)
}

// Less reports whether a comes strictly before b in the order sorts.
func Less(a, b Record, sorts []Sort) bool { return CompareRecords(a, b, sorts) < 0 }

// After reports whether rec comes strictly after the cursor position in the
// order sorts, which is the keyset pagination rule of PROTOCOL-core §7.4
// ("k1 = v1 ∧ … ∧ kn op vn" or a shorter prefix). An empty cursor puts
// every record after it.
func After(rec Record, sorts []Sort, cursor []SortValue) bool {
	if len(cursor) == 0 {
		return true
	}
	return compareCursors(CursorOf(rec, sorts), cursor, sorts) > 0
}

// SortRecords sorts recs in place by sorts, stably.
func SortRecords(recs []Record, sorts []Sort) {
	keys := make([][]SortValue, len(recs))
	for i := range recs {
		keys[i] = CursorOf(recs[i], sorts)
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		return compareCursors(keys[idx[i]], keys[idx[j]], sorts) < 0
	})
	sorted := make([]Record, len(recs))
	for i, k := range idx {
		sorted[i] = recs[k]
	}
	copy(recs, sorted)
}

// Select applies q to recs the way every storage adapter must: it keeps the
// records matching q.Filters (tombstones only with q.WithDeleted), sorts
// them by q.Sort, drops those not strictly after q.After and keeps at most
// q.Limit (0: all). recs is not modified; the result shares the records.
// It is the reference model of ports.Storage.List, for adapters that hold
// their data in memory and for tests. It costs O(n log Limit) comparisons.
func Select(recs []Record, q Query) []Record {
	return SelectSeq(slices.Values(recs), q)
}

// SelectSeq is Select over a sequence, so that an adapter can run a query
// over its own container (a map's values) without copying it first.
func SelectSeq(recs iter.Seq[Record], q Query) []Record {
	after := fastKey(q.After)
	var cands []keyed
	// Keys are carved from shared chunks: one allocation per 256 records.
	n := len(q.Sort)
	var backing []SortValue
	for r := range recs {
		if r.Deleted && !q.WithDeleted {
			continue
		}
		if !MatchAll(r, q.Filters) {
			continue
		}
		if len(backing) < n {
			backing = make([]SortValue, 256*n)
		}
		k := backing[:n:n]
		fillSortKey(k, r, q.Sort)
		if len(after) > 0 && compareCursors(k, after, q.Sort) <= 0 {
			continue
		}
		cands = append(cands, keyed{rec: r, key: k})
		backing = backing[n:]
	}
	less := func(a, b keyed) int { return compareCursors(a.key, b.key, q.Sort) }
	if q.Limit > 0 && q.Limit < len(cands) {
		cands = smallest(cands, q.Limit, less)
	}
	slices.SortStableFunc(cands, less)
	out := make([]Record, len(cands))
	for i, c := range cands {
		out[i] = c.rec
	}
	return out
}

type keyed struct {
	rec Record
	key []SortValue
}

// fillSortKey is CursorOf with integers as int64, which Compare orders
// without parsing: Select computes it once per record instead of once per
// comparison.
func fillSortKey(out []SortValue, rec Record, sorts []Sort) {
	for i, s := range sorts {
		if s.Field == "last_modified" {
			out[i] = SortValue{Value: rec.LastModified}
			continue
		}
		v, ok := rec.Field(s.Field)
		out[i] = SortValue{Value: fastValue(v), Missing: !ok}
	}
}

func fastKey(key []SortValue) []SortValue {
	if len(key) == 0 {
		return nil
	}
	out := make([]SortValue, len(key))
	for i, v := range key {
		out[i] = SortValue{Value: fastValue(v.Value), Missing: v.Missing}
	}
	return out
}

func fastValue(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i
		}
	}
	return v
}

// smallest returns the k first elements of cands in the order cmp (in no
// particular order), with a bounded max-heap.
func smallest(cands []keyed, k int, cmp func(a, b keyed) int) []keyed {
	h := slices.Clone(cands[:k])
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && cmp(h[r], h[l]) > 0 {
				m = r
			}
			if cmp(h[m], h[i]) <= 0 {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, c := range cands[k:] {
		if cmp(c, h[0]) < 0 {
			h[0] = c
			down(0)
		}
	}
	return h
}
