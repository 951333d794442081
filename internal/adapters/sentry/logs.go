package sentry

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	sentrygo "github.com/getsentry/sentry-go"
	"github.com/sirupsen/logrus"
)

// LogOptions say which log lines reach Sentry, as Kinto's logging
// integration does: lines at or above EventLevel become events, lines at
// or above BreadcrumbLevel become breadcrumbs of the events of their
// request (or, for lines outside requests, of the events outside
// requests). logrus levels run from Panic (0, most severe) to Trace.
type LogOptions struct {
	BreadcrumbLevel logrus.Level
	NoBreadcrumbs   bool // no line is a breadcrumb
	EventLevel      logrus.Level
	NoEvents        bool // no line is an event
	// Reported tells the lines that the error reporter sends on its own
	// (the cause of a 5xx answer, sent with its stack): they are not sent
	// again as events.
	Reported func(logrus.Fields) bool
}

// The bounds of the breadcrumbs kept: per request (Sentry's own default),
// and of the requests whose breadcrumbs wait for their summary line.
const (
	maxBreadcrumbs     = 100
	maxPendingRequests = 1000
)

// The log fields the hook reads: a line's request id, and the type of the
// request's summary line, its last.
const (
	requestIDField   = "rid"
	typeField        = "type"
	summaryLineType  = "request.summary"
	queryStringField = "querystring" // never sent: it may carry tokens
)

// LogHook is a logrus hook feeding the Reporter's client with log lines.
type LogHook struct {
	r    *Reporter
	opts LogOptions

	mu sync.Mutex
	// crumbs are the breadcrumbs of each request by request id ("" for
	// lines outside requests); order is the request ids in arrival order,
	// to forget the oldest past maxPendingRequests.
	crumbs map[string][]*sentrygo.Breadcrumb
	order  []string
}

// LogHook returns a hook sending log lines to Sentry as opts says. Add it
// to the service's logger; it does nothing once the Reporter is closed.
func (r *Reporter) LogHook(opts LogOptions) *LogHook {
	h := &LogHook{r: r, opts: opts, crumbs: map[string][]*sentrygo.Breadcrumb{}}
	r.logs.Store(h)
	return h
}

// Levels are the levels the hook is called for: the less severe of its
// two thresholds and all those above.
func (h *LogHook) Levels() []logrus.Level {
	if h.opts.NoBreadcrumbs && h.opts.NoEvents {
		return nil
	}
	least := logrus.PanicLevel
	if !h.opts.NoBreadcrumbs {
		least = max(least, h.opts.BreadcrumbLevel)
	}
	if !h.opts.NoEvents {
		least = max(least, h.opts.EventLevel)
	}
	var out []logrus.Level
	for l := logrus.PanicLevel; l <= least; l++ {
		out = append(out, l)
	}
	return out
}

// Fire records e as a breadcrumb, an event, or both.
func (h *LogHook) Fire(e *logrus.Entry) error {
	if h.r.closed.Load() {
		return nil
	}
	rid, _ := e.Data[requestIDField].(string)
	if !h.opts.NoEvents && e.Level <= h.opts.EventLevel && (h.opts.Reported == nil || !h.opts.Reported(e.Data)) {
		ev := h.r.client.EventFromMessage(e.Message, sentryLevel(e.Level))
		ev.Logger = "logrus"
		ev.Contexts = map[string]sentrygo.Context{"log": fieldsOf(e.Data)}
		if rid != "" {
			ev.Tags = map[string]string{"request_id": rid}
		}
		ev.Breadcrumbs = h.breadcrumbs(rid)
		h.r.client.CaptureEvent(ev, nil, nil)
	}
	if !h.opts.NoBreadcrumbs && e.Level <= h.opts.BreadcrumbLevel {
		h.add(rid, &sentrygo.Breadcrumb{
			Type:      "log",
			Category:  "logrus",
			Message:   e.Message,
			Data:      fieldsOf(e.Data),
			Level:     sentryLevel(e.Level),
			Timestamp: e.Time,
		})
	}
	if t, _ := e.Data[typeField].(string); t == summaryLineType && rid != "" {
		h.forget(rid) // the request is over
	}
	return nil
}

// add keeps c among rid's breadcrumbs, the oldest dropped past the bound.
func (h *LogHook) add(rid string, c *sentrygo.Breadcrumb) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs, known := h.crumbs[rid]
	if !known {
		if len(h.order) >= maxPendingRequests {
			delete(h.crumbs, h.order[0])
			h.order = h.order[1:]
		}
		h.order = append(h.order, rid)
	}
	if len(cs) >= maxBreadcrumbs {
		cs = cs[1:]
	}
	h.crumbs[rid] = append(cs, c)
}

// breadcrumbs returns a copy of rid's breadcrumbs.
func (h *LogHook) breadcrumbs(rid string) []*sentrygo.Breadcrumb {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*sentrygo.Breadcrumb(nil), h.crumbs[rid]...)
}

func (h *LogHook) forget(rid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.crumbs[rid]; !ok {
		return
	}
	delete(h.crumbs, rid)
	for i, o := range h.order {
		if o == rid {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
}

// fieldsOf are a line's fields as Sentry data, errors as their text and
// without the query string.
func fieldsOf(data logrus.Fields) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		switch {
		case k == queryStringField:
		case k == logrus.ErrorKey:
			out[k] = fmt.Sprint(v)
		default:
			if t, ok := v.(time.Time); ok {
				v = t.Format(time.RFC3339Nano)
			}
			out[k] = v
		}
	}
	return out
}

func sentryLevel(l logrus.Level) sentrygo.Level {
	switch l {
	case logrus.PanicLevel, logrus.FatalLevel:
		return sentrygo.LevelFatal
	case logrus.ErrorLevel:
		return sentrygo.LevelError
	case logrus.WarnLevel:
		return sentrygo.LevelWarning
	case logrus.InfoLevel:
		return sentrygo.LevelInfo
	}
	return sentrygo.LevelDebug
}

// logHook is the Reporter's hook, if any, for its reports' breadcrumbs.
type logHook = atomic.Pointer[LogHook]
