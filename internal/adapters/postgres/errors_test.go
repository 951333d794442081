package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestTranslate(t *testing.T) {
	server := func(code string) error {
		return fmt.Errorf("query: %w", &pq.Error{Code: pqerror.Code(code), Message: "m"})
	}
	tests := []struct {
		name string
		err  error
		want domain.Kind
	}{
		{"no rows", fmt.Errorf("get: %w", sql.ErrNoRows), domain.NotFound},
		{"unique violation", server("23505"), domain.Conflict},
		{"serialization failure", server("40001"), domain.Conflict},
		{"deadlock", server("40P01"), domain.Conflict},
		{"connection failure", server("08006"), domain.Unavailable},
		{"admin shutdown", server("57P01"), domain.Unavailable},
		{"cannot connect now", server("57P03"), domain.Unavailable},
		{"too many connections", server("53300"), domain.Unavailable},
		{"read-only standby", server("25006"), domain.Unavailable},
		{"query canceled or statement timeout", server("57014"), domain.Unavailable},
		{"lock timeout", server("55P03"), domain.Unavailable},
		{"number out of range", server("22003"), domain.Invalid},
		{"NUL in jsonb", server("22P05"), domain.Invalid},
		{"NUL in text", server("22021"), domain.Invalid},
		{"statement too complex", server("54001"), domain.Invalid},
		{"too many sort fields (target list)", server("54011"), domain.Invalid},
		{"too many arguments", server("54023"), domain.Invalid},
		{"syntax error", server("42601"), domain.Internal},
		{"refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), domain.Unavailable},
		{"reset", syscall.ECONNRESET, domain.Unavailable},
		{"bad conn", driver.ErrBadConn, domain.Unavailable},
		{"conn done", sql.ErrConnDone, domain.Unavailable},
		{"eof", io.ErrUnexpectedEOF, domain.Unavailable},
		{"canceled", context.Canceled, domain.Unavailable},
		{"deadline", context.DeadlineExceeded, domain.Unavailable},
		{"closed pool", errors.New("sql: database is closed"), domain.Unavailable},
		{"anything else", errors.New("boom"), domain.Internal},
		{"domain error kept", domain.NotFoundError("op", "record", "x"), domain.NotFound},
	}
	for _, tt := range tests {
		err := postgres.Translate("postgres.Test", tt.err)
		if got := domain.KindOf(err); got != tt.want {
			t.Errorf("translate(%s): kind %v, want %v", tt.name, got, tt.want)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("translate(%s) = %v, want the cause kept for errors.Is", tt.name, err)
		}
	}
	if err := postgres.Translate("op", nil); err != nil {
		t.Errorf("translate(nil) = %v, want nil", err)
	}
}
