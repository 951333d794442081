package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestTooManyFiltersIsInvalid(t *testing.T) {
	s := postgres.NewStorage(newDB(t), nil)
	var filters []domain.Filter
	for i := range 1100 {
		filters = append(filters, domain.Filter{Field: fmt.Sprintf("a.b.c.d.e.f%d", i), Op: domain.OpNot, Value: "x"})
	}
	ctx := context.Background()
	if _, err := s.List(ctx, parent, domain.Query{Filters: filters}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("List(1,100 deep filters): %v (kind %v), want Invalid", err, domain.KindOf(err))
	}
	filters = filters[:0]
	for i := range 33000 {
		filters = append(filters, domain.Filter{Field: fmt.Sprintf("f%d", i), Op: domain.OpEq, Value: "x"})
	}
	if _, err := s.Count(ctx, parent, filters); domain.KindOf(err) != domain.Invalid {
		t.Errorf("Count(33,000 filters): %v (kind %v), want Invalid", err, domain.KindOf(err))
	}
}
