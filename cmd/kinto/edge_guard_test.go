package main

import (
	"net/http"
	"testing"
)

// The allocation budgets of issue 15, per request through the whole
// service with JSON logs on (see BenchmarkEdge). The targets are
// 50 allocations and 6 KB for GET of a record and 100 allocations for a
// POST. The edge now takes 37 allocations and ~3.6 KB for GET of a record
// (from 107 and 7.7 KB), 94 for a POST (from 226), 29 for hello (from 94)
// and 91 for a list of 10 (from 200); the budgets below leave a little
// headroom, and POST's is the ceiling. Lower them as the path gets
// leaner; a change that raises them needs a reason.
const (
	budgetGetAllocs   = 42
	budgetGetBytes    = 4608
	budgetPostAllocs  = 100
	budgetHelloAllocs = 34
	budgetListAllocs  = 100
)

func TestEdgeAllocationBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations; skipped with -short")
	}
	e := newEdgeService(t)
	get := e.request(http.MethodGet, "/v1/buckets/b/collections/c/records/r3", "")
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			e.serve(b, get, "", http.StatusOK)
		}
	})
	if a, by := res.AllocsPerOp(), res.AllocedBytesPerOp(); a > budgetGetAllocs || by > budgetGetBytes {
		t.Errorf("GET record: %d allocs, %d B per request; budget %d allocs, %d B", a, by, budgetGetAllocs, budgetGetBytes)
	}
	for _, c := range []struct {
		edgeCase
		budget int
	}{
		{edgeCases[0], budgetHelloAllocs},
		{edgeCases[2], budgetListAllocs},
		{edgeCases[3], budgetPostAllocs},
	} {
		r := e.request(c.method, c.target, c.body)
		allocs := testing.AllocsPerRun(200, func() { e.serve(t, r, c.body, c.want) })
		if allocs > float64(c.budget) {
			t.Errorf("%s: %.0f allocs per request; budget %d", c.name, allocs, c.budget)
		}
	}
}
