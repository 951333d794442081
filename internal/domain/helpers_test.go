package domain_test

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/domain/domaintest"
)

// j decodes one JSON value with json.Number numbers, as every layer does.
func j(t testing.TB, s string) any { t.Helper(); return domaintest.JSON(t, s) }

// rec builds a record from its protocol JSON form; {"id", "last_modified",
// "deleted": true} alone is a tombstone.
func rec(t testing.TB, s string) domain.Record { t.Helper(); return domaintest.Record(t, s) }

// asJSON renders a value for failure messages and comparisons.
func asJSON(t testing.TB, v any) string { t.Helper(); return domaintest.Marshal(t, v) }
