package ports

import "context"

// Incident is the request context of a failure worth reporting: what an
// operator needs to find the request in the logs, and nothing a client
// sent in its body or credentials.
type Incident struct {
	Method    string // "GET"
	Path      string // "/v1/buckets/b", without the query string
	Status    int    // the status answered, 500 to 599
	UserID    string // the authenticated user id; "" when anonymous
	RequestID string // the rid of the request's log lines
}

// ErrorReporter receives the cause of every 5xx answer (an error tracker
// such as Sentry). Implementations must be safe for concurrent use and
// must not block: a report is sent, if at all, in the background.
type ErrorReporter interface {
	Report(ctx context.Context, cause error, in Incident)
}
