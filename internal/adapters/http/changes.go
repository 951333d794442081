package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// ChangesOptions tunes the change streams.
type ChangesOptions struct {
	// Heartbeat is the time between two SSE comments sent on an idle
	// stream, so that proxies keep it open and a dead client is noticed.
	Heartbeat time.Duration
	// WriteTimeout bounds each write to the client (an event, a
	// heartbeat); a client that does not take it in time is cut. It
	// replaces the server's write timeout, which would end every stream.
	WriteTimeout time.Duration
	// Buffer is how many change notices a stream holds while it writes to
	// its client; one more closes the stream (event "close") so that a
	// slow client never holds writers back.
	Buffer int
	// PageSize caps the objects read from storage at once.
	PageSize int
	// NoticeWait is how long a live stream holds back an object read
	// from storage before its own notice arrived (notices are sent after
	// commit, so one may trail the read): the notice tells a creation from
	// an update. Past it the object goes out as an update.
	NoticeWait time.Duration
}

// errNoticePending stops a catch-up at an object whose notice has not
// arrived yet.
var errNoticePending = errors.New("notice pending")

// errShuttingDown ends the streams when the server shuts down.
var errShuttingDown = errors.New("server shutting down")

// changesEndpoint serves the change stream of one resource's lists.
type changesEndpoint struct {
	s      *Server
	engine *app.Engine
	res    *app.Resource
	feed   ports.ChangeFeed
	opts   ChangesOptions
}

// MountChanges serves GET <parent>/changes (for records:
// /buckets/{bid}/collections/{cid}/changes), the live change stream of a
// list of res as Server-Sent Events, fed by feed; see README.
func (s *Server) MountChanges(engine *app.Engine, res *app.Resource, feed ports.ChangeFeed, opts ChangesOptions) {
	if opts.Buffer < 1 {
		opts.Buffer = 1
	}
	if opts.Heartbeat <= 0 {
		panic("http: MountChanges needs a heartbeat period") // settings validate it
	}
	if opts.PageSize < 1 {
		opts.PageSize = 1000
	}
	e := &changesEndpoint{s: s, engine: engine, res: res, feed: feed, opts: opts}
	list, _ := resourcePaths(res)
	path := strings.TrimSuffix(list, "/"+res.Plural) + "/changes"
	s.Route(res.Name+"-changes", path, map[string]http.Handler{http.MethodGet: http.HandlerFunc(e.serve)})
	s.Document(path, changesDoc(res))
}

// changesDoc is the OpenAPI path item of a change stream.
func changesDoc(res *app.Resource) PathItem {
	return PathItem{
		Parameters: resourcePathParameters(res),
		Get: &Operation{
			Tags:        []string{exportedName(res.Plural)},
			OperationID: "stream_" + res.Name + "_changes",
			Summary:     "Stream the changes of the " + res.Plural + " of a list as Server-Sent Events.",
			Description: "Each event: id the object's new last_modified; data {action, timestamp, data: object or tombstone}. A last event named close gives the reason when the server ends the stream.",
			Parameters: []Parameter{
				{Name: "_since", In: "query", Description: "Replay the changes after this timestamp first.", Schema: integerSchema("")},
				{Name: "Last-Event-ID", In: "header", Description: "Resume after this event id (a timestamp); wins over _since.", Schema: integerSchema("")},
			},
			Responses: map[string]Response{
				"200": {Description: "The stream of changes.", Content: map[string]MediaType{"text/event-stream": {Schema: stringSchema("")}}},
				"400": ErrorResponse(http.StatusBadRequest),
				"401": ErrorResponse(http.StatusUnauthorized),
				"403": ErrorResponse(http.StatusForbidden),
				"404": ErrorResponse(http.StatusNotFound),
			},
		},
	}
}

// changeEvent is the data of one SSE event: what happened to which object.
type changeEvent struct {
	Action    ports.EventAction `json:"action"`
	Timestamp int64             `json:"timestamp"`
	Data      domain.Record     `json:"data"`
}

// sinceOf reads where the stream resumes: Last-Event-ID (what an
// EventSource sends when it reconnects) wins over ?_since=. ok is false
// when neither is given: the stream then starts from now.
func sinceOf(r *http.Request) (since int64, ok bool, err error) {
	name, raw, where := "Last-Event-ID", r.Header.Get("Last-Event-ID"), domain.InHeader
	if raw == "" {
		name, raw, where = "_since", r.URL.Query().Get("_since"), domain.InQuerystring
	}
	if raw == "" {
		return 0, false, nil
	}
	n, perr := strconv.ParseInt(strings.Trim(strings.TrimSpace(raw), `"`), 10, 64)
	if perr != nil || n < 0 {
		return 0, false, invalidError(http.StatusBadRequest, []detail{{Location: string(where), Name: &name, Description: "Invalid value for " + name}})
	}
	return n, true, nil
}

func (e *changesEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req := &app.Request{
		Resource: e.res,
		Caller:   app.Caller{UserID: UserID(ctx), Principals: Principals(ctx)},
		Vars:     mux.Vars(r),
		Header:   r.Header.Get,
	}
	p, err := e.engine.OpenChanges(ctx, req)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	since, resume, err := sinceOf(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	// Subscribe before reading anything: a change committed from now on
	// sends a notice, so none falls between the replay and the live part.
	sub, err := e.feed.Subscribe(ctx, p, e.opts.Buffer)
	if err != nil {
		e.s.writeError(w, r, fmt.Errorf("subscribe to %s: %w", p, err))
		return
	}
	defer sub.Close()
	// horizon is the list's timestamp once subscribed: every object
	// changed after it has a notice on its way.
	horizon, err := e.engine.Timestamp(ctx, req)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	if !resume {
		since = horizon
	}

	st := &sseStream{w: w, rc: http.NewResponseController(w), timeout: e.opts.WriteTimeout}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx would hold events back
	w.WriteHeader(http.StatusOK)
	if err := st.send(": stream of " + p.ID + "\n\n"); err != nil {
		return
	}

	// actions remembers what the notices said of the versions not sent
	// yet: storage knows a tombstone from a live object, not a creation
	// from an update.
	actions := map[string]ports.EventAction{}
	last := since
	// catchUp sends what storage holds after last. With wait, it stops
	// before a live object changed since the subscription whose notice is
	// still to come.
	stopping := e.s.stopping.done()
	catchUp := func(wait bool) error {
		for {
			select {
			case <-stopping: // a long replay too ends at shutdown
				return errShuttingDown
			default:
			}
			recs, err := e.engine.ChangesSince(ctx, req, p, last, e.opts.PageSize)
			if err != nil {
				return err
			}
			for _, rec := range recs {
				key := rec.ID + "@" + strconv.FormatInt(rec.LastModified, 10)
				action, known := actions[key]
				switch {
				case rec.Deleted:
					action = ports.EventDelete
				case !known && wait && rec.LastModified > horizon:
					return errNoticePending
				case !known:
					action = ports.EventUpdate
				}
				delete(actions, key)
				if err := st.event(rec.LastModified, changeEvent{Action: action, Timestamp: rec.LastModified, Data: rec}); err != nil {
					return err
				}
				last = rec.LastModified
			}
			if len(recs) < e.opts.PageSize {
				return nil
			}
		}
	}
	note := func(c ports.Change) {
		if c.Timestamp > last && c.ID != "" {
			actions[c.ID+"@"+strconv.FormatInt(c.Timestamp, 10)] = c.Action
		}
	}

	beat := time.NewTicker(e.opts.Heartbeat)
	defer beat.Stop()
	grace := time.NewTimer(e.opts.NoticeWait)
	grace.Stop()
	defer grace.Stop()
	// settle runs a live catch-up; an object still waiting for its notice
	// arms the grace timer.
	settle := func(wait bool) error {
		err := catchUp(wait)
		if errors.Is(err, errNoticePending) {
			grace.Reset(e.opts.NoticeWait)
			return nil
		}
		return err
	}
	if err := settle(true); err != nil {
		e.closeStream(st, r, err)
		return
	}
	for {
		select {
		case <-stopping:
			e.closeStream(st, r, errShuttingDown)
			return
		case <-grace.C:
			if err := settle(false); err != nil {
				e.closeStream(st, r, err)
				return
			}
		case <-ctx.Done():
			return
		case <-beat.C:
			if st.send(": heartbeat\n\n") != nil {
				return
			}
		case c, ok := <-sub.C:
			if !ok {
				e.closeStream(st, r, sub.Err())
				return
			}
			note(c)
			// Take every notice already there, then read once.
		drain:
			for {
				select {
				case c, ok := <-sub.C:
					if !ok {
						break drain
					}
					note(c)
				default:
					break drain
				}
			}
			if err := settle(true); err != nil {
				e.closeStream(st, r, err)
				return
			}
			if len(actions) > 10*e.opts.Buffer {
				clear(actions) // notices of versions overwritten since: never sent
			}
		}
	}
}

// closeStream ends a stream with a final "close" event giving the reason,
// so that the client knows to resume with its Last-Event-ID. A lost client
// gets nothing.
func (e *changesEndpoint) closeStream(st *sseStream, r *http.Request, err error) {
	if st.broken != nil || r.Context().Err() != nil {
		return
	}
	reason := "change feed closed"
	switch {
	case errors.Is(err, ports.ErrSlowSubscriber):
		reason = "client too slow: reconnect with Last-Event-ID"
	case errors.Is(err, errShuttingDown):
		reason = "server shutting down: reconnect with Last-Event-ID"
	case err != nil && domain.KindOf(err) != domain.Internal:
		reason = domain.AsError(err).Message
	case err != nil:
		e.s.log.WithError(err).Error("change stream failed")
		reason = "internal error: reconnect with Last-Event-ID"
	}
	body, _ := json.Marshal(map[string]string{"reason": reason})
	_ = st.send("event: close\ndata: " + string(body) + "\n\n")
}

// sseStream writes Server-Sent Events, each flushed at once and bounded by
// its own write deadline.
type sseStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	broken  error
}

func (st *sseStream) event(id int64, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode change: %w", err)
	}
	return st.send("id: " + strconv.FormatInt(id, 10) + "\ndata: " + string(body) + "\n\n")
}

func (st *sseStream) send(s string) error {
	if st.broken != nil {
		return st.broken
	}
	// The server's write timeout counts from the request's start; a
	// stream lives longer, so each write gets its own deadline instead.
	deadline := time.Time{} // none: the setting is 0
	if st.timeout > 0 {
		deadline = time.Now().Add(st.timeout)
	}
	if err := st.rc.SetWriteDeadline(deadline); err != nil && !errors.Is(err, http.ErrNotSupported) {
		st.broken = err
		return err
	}
	if _, err := st.w.Write([]byte(s)); err != nil {
		st.broken = err
		return err
	}
	if err := st.rc.Flush(); err != nil {
		st.broken = err
		return err
	}
	return nil
}
