package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// The querystring caps must leave every request they allow within what
// PostgreSQL takes: the most sort fields, on deep paths, with the most
// filters, still run.
func TestQueryAtTheCapsRuns(t *testing.T) {
	s := postgres.NewStorage(newDB(t), nil)
	ctx := context.Background()
	if _, err := s.Create(ctx, parent, domain.Record{ID: "a", Data: map[string]any{"x": 1}}, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	var q domain.Query
	for i := range domain.MaxSortFields {
		q.Sort = append(q.Sort, domain.Sort{Field: fmt.Sprintf("a%d.b.c.d.e.f.g.h", i), Desc: i%2 == 0})
	}
	q.Sort = append(q.Sort, domain.Sort{Field: "last_modified", Desc: true})
	for i := range domain.MaxFilters {
		q.Filters = append(q.Filters, domain.Filter{Field: fmt.Sprintf("f%d.b.c.d.e.f.g.h", i), Op: domain.OpNot, Value: "x"})
	}
	recs, err := s.List(ctx, parent, q)
	if err != nil {
		t.Fatalf("List(%d sort fields, %d filters): %v", domain.MaxSortFields, domain.MaxFilters, err)
	}
	if len(recs) != 1 {
		t.Errorf("List at the caps: %d records, want 1", len(recs))
	}
}
