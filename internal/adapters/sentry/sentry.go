// Package sentry is the Sentry adapter of ports.ErrorReporter: it sends the
// cause of each 5xx answer to a Sentry project, with the request's method,
// path, user id and request id, and nothing else of the request (no
// headers, body or query string, which may carry credentials).
package sentry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.ErrorReporter = (*Reporter)(nil)

// Options configure a Reporter.
type Options struct {
	// DSN is the project's Sentry DSN (sentry_dsn). It carries a key:
	// never log it.
	DSN string
	// Environment names the deployment in Sentry (sentry_env); "" leaves
	// Sentry's default.
	Environment string
	// Release is the service's version.
	Release string
	// Timeout bounds each send to Sentry and the flush on Close.
	Timeout time.Duration
}

// Reporter sends reports to Sentry in the background, through its own
// client (never the SDK's process-wide hub), so that two services in one
// process stay apart.
type Reporter struct {
	client  *sentrygo.Client
	timeout time.Duration
	logs    logHook // set by LogHook: the reports carry its breadcrumbs
	closed  atomic.Bool
}

// NewReporter builds a client for opts.DSN. It fails when the DSN does not
// parse or the timeout is not positive; the error never quotes the DSN.
func NewReporter(opts Options) (*Reporter, error) {
	if opts.Timeout <= 0 {
		return nil, fmt.Errorf("sentry timeout %v: must be positive", opts.Timeout)
	}
	transport := sentrygo.NewHTTPTransport()
	transport.Timeout = opts.Timeout
	client, err := sentrygo.NewClient(sentrygo.ClientOptions{
		Dsn:         opts.DSN,
		Environment: opts.Environment,
		Release:     opts.Release,
		Transport:   transport,
		// Nothing about the user beyond the id given, no client reports
		// or metrics of the SDK's own: only the error events.
		SendDefaultPII:       false,
		DisableClientReports: true,
		DisableMetrics:       true,
		Integrations:         withoutSourceContext,
	})
	if err != nil {
		var dsnErr *sentrygo.DsnParseError
		if errors.As(err, &dsnErr) {
			return nil, errors.New("sentry dsn does not parse as a Sentry DSN")
		}
		return nil, fmt.Errorf("sentry client: %w", err)
	}
	return &Reporter{client: client, timeout: opts.Timeout}, nil
}

// Report queues an error event for cause with the incident's context. It
// returns at once; the transport drops events when its buffer is full.
func (r *Reporter) Report(_ context.Context, cause error, in ports.Incident) {
	ev := r.client.EventFromException(cause, sentrygo.LevelError)
	ev.Request = &sentrygo.Request{Method: in.Method, URL: in.Path}
	if in.UserID != "" {
		ev.User = sentrygo.User{ID: in.UserID}
	}
	ev.Tags = map[string]string{
		"request_id": in.RequestID,
		"status":     strconv.Itoa(in.Status),
	}
	ev.Transaction = in.Method + " " + in.Path
	if h := r.logs.Load(); h != nil {
		ev.Breadcrumbs = h.breadcrumbs(in.RequestID)
	}
	r.client.CaptureEvent(ev, nil, nil)
}

// Close sends the queued events, waiting at most the timeout, and reports
// whether all were sent.
func (r *Reporter) Close() bool {
	r.closed.Store(true)
	ok := r.client.Flush(r.timeout)
	r.client.Close()
	return ok
}

// withoutSourceContext drops the integration that ships the source lines
// around each stack frame: a report carries the frames, and only the
// context the port hands over, never text read from the disk at runtime.
func withoutSourceContext(in []sentrygo.Integration) []sentrygo.Integration {
	out := in[:0]
	for _, i := range in {
		if i.Name() != "ContextifyFrames" {
			out = append(out, i)
		}
	}
	return out
}
