package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// translate turns a driver or database/sql error into a *domain.Error at
// the adapter's boundary, keeping the cause for the logs. Errors that
// already carry a domain kind pass through unchanged.
func translate(op string, err error) error {
	if err == nil {
		return nil
	}
	if domain.AsError(err) != nil {
		return err
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &domain.Error{Kind: domain.NotFound, Op: op, Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "database request interrupted", Err: err}
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return translateServerError(op, pqErr, err)
	}
	if unreachable(err) {
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "database unavailable", Err: err}
	}
	return &domain.Error{Kind: domain.Internal, Op: op, Err: err}
}

// translateServerError maps the SQLSTATE of e, an error the server
// reported, found in err's chain.
func translateServerError(op string, e *pq.Error, err error) error {
	code := string(e.Code)
	switch {
	case code == "23505": // unique_violation
		return &domain.Error{Kind: domain.Conflict, Op: op, Message: "conflicting concurrent write", Err: err}
	case code == "40001", code == "40P01": // serialization failure, deadlock
		return &domain.Error{Kind: domain.Conflict, Op: op, Message: "concurrent write lost a race", Err: err}
	case strings.HasPrefix(code, "08"), // connection exception
		code == "57P01", code == "57P02", code == "57P03", // shutdowns, cannot connect now
		code == "53300", // too many connections
		code == "25006", // read-only transaction (a standby)
		code == "57014", // query canceled: the request's context ended, or statement_timeout
		code == "55P03": // lock_not_available: lock_timeout
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "database unavailable", Err: err}
	case code == "22003", // numeric_value_out_of_range: a number jsonb cannot hold
		code == "22P05", // untranslatable_character: \u0000 in a jsonb string
		code == "22021", // character_not_in_repertoire: NUL or bad UTF-8 in text
		code == "54000": // program_limit_exceeded: a value too large to store
		return &domain.Error{Kind: domain.Invalid, Op: op, Message: "value cannot be stored: " + e.Message, Err: err}
	case code == "54001", // statement_too_complex
		code == "54011", // too_many_columns: "target lists can have at most 1664 entries"
		code == "54023": // too_many_arguments
		// Only the request's filters and sort fields grow a statement
		// that far: the client asked for more than PostgreSQL takes.
		return &domain.Error{Kind: domain.Invalid, Op: op, Err: err, Issues: []domain.Issue{{
			Location: domain.InQuerystring, Description: "Too many filters or sort fields",
		}}}
	}
	return &domain.Error{Kind: domain.Internal, Op: op, Err: err}
}

// unreachable reports whether err says the server could not be reached or
// the connection broke, as opposed to a failing statement.
func unreachable(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &opErr), errors.As(err, &netErr):
		return true
	}
	// database/sql reports a closed *sql.DB with an unexported error.
	return strings.Contains(err.Error(), "sql: database is closed")
}
