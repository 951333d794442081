package app

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// MaxProposalAhead is how far ahead of the engine's clock (in milliseconds)
// a client-proposed last_modified may be. Kinto takes any integer, so one
// careless client can pin a list's timestamp years ahead (every later write
// then gets T+1 and the ETag means nothing as a time), and an integer near
// 2**63 overflows the bump. An hour absorbs the clock skew of a server whose
// timestamps are being imported, and stays well below the day of slack the
// querystring allows, so every timestamp the server hands out is still
// accepted by _since, _before and last_modified filters.
const MaxProposalAhead = int64(time.Hour / time.Millisecond)

// WithClock sets the clock the engine bounds proposed timestamps with; it
// should be the storage's. Without it the engine reads the system clock.
func (e *Engine) WithClock(clock domain.Clock) *Engine {
	e.clock = clock
	return e
}

func (e *Engine) nowMillis() int64 {
	if e.clock == nil {
		return time.Now().UnixMilli()
	}
	return e.clock.NowMillis()
}

// newRecord builds a record from request data: id forced, last_modified
// taken out. As in Kinto, a last_modified that is not an integer (a float,
// a string, a boolean, null) is dropped, and so is one not above previous,
// the timestamp of the object being replaced (0 for a creation): clients
// echo the timestamp they read. What remains is the client's proposal,
// checked by checkProposal.
func (e *Engine) newRecord(id string, data map[string]any, previous int64) (domain.Record, error) {
	rec := domain.Record{ID: id}
	if raw, ok := data["last_modified"]; ok {
		ts, err := e.proposedTimestamp(raw, previous)
		if err != nil {
			return domain.Record{}, err
		}
		rec.LastModified = ts
	}
	delete(data, "last_modified")
	delete(data, "id")
	rec.Data = data
	return rec, nil
}

// proposedTimestamp reads a body's last_modified: 0 (no proposal) for a
// non-integer, for one not above previous, and for 0 itself, which the
// storage port reads as none.
func (e *Engine) proposedTimestamp(raw any, previous int64) (int64, error) {
	ts, isInt := domain.AsInt(raw)
	if !isInt {
		if n, isNumber := raw.(json.Number); isNumber && isIntegerLiteral(string(n)) {
			// An integer Kinto would keep, but beyond int64.
			if strings.HasPrefix(string(n), "-") {
				if previous > 0 {
					return 0, nil // below any previous timestamp: dropped
				}
				return 0, badProposal(domain.InBody, fmt.Sprintf("last_modified %s is less than minimum value 0", n))
			}
			return 0, badProposal(domain.InBody, fmt.Sprintf("last_modified %s is out of range", n))
		}
		return 0, nil
	}
	if previous > 0 && ts <= previous {
		return 0, nil
	}
	return ts, e.checkProposal(ts, domain.InBody)
}

// checkProposal refuses a proposed timestamp (from the body, or the
// last_modified querystring of a DELETE) that the timestamp rule cannot
// keep sane: negative, or more than MaxProposalAhead past the clock. Kinto
// stores both; a negative one could never be sent back in an ETag or a
// _since, and a future one pins the list timestamp.
func (e *Engine) checkProposal(ts int64, loc domain.Location) error {
	switch {
	case ts < 0:
		return badProposal(loc, fmt.Sprintf("last_modified %d is less than minimum value 0", ts))
	case ts-MaxProposalAhead > e.nowMillis():
		return badProposal(loc, fmt.Sprintf("last_modified %d is more than one hour ahead of the server clock", ts))
	}
	return nil
}

func badProposal(loc domain.Location, description string) error {
	return &Error{Kind: domain.Invalid, Op: "app.checkProposal", Issues: []domain.Issue{{Location: loc, Name: "last_modified", Description: description}}}
}

// isIntegerLiteral reports whether a JSON number has neither a fraction nor
// an exponent: Python decodes it as an int, anything else as a float.
func isIntegerLiteral(n string) bool {
	return n != "" && !strings.ContainsAny(n, ".eE")
}
