package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Bus is a unit of work that also carries the events of its units to
// listeners. Engines made WithUnits(bus), and the batch endpoint, record
// their changes on the outermost unit; when that unit's work is done the
// bus groups them as Kinto does (one event per resource, parent and
// action, the impacted objects in the order they changed) and
//
//   - calls the in-unit listeners inside the unit, before the commit:
//     their writes join the unit and an error from one undoes it all;
//   - once the unit committed, calls the after-commit listeners, whose
//     errors are only reported to OnError.
//
// A nested unit that fails drops the events it recorded, with its
// changes; a unit that fails drops them all, so after-commit listeners see
// exactly what was committed. Over ports.Unitless nothing is ever undone,
// yet the events of a failed unit are dropped all the same: Unitless is
// only for backends that cannot share a transaction.
type Bus struct {
	units   ports.UnitOfWork
	inUnit  []ports.Listener
	after   []ports.Listener
	reads   bool
	onError func(ctx context.Context, err error)
}

// maxCascade bounds how many rounds of events listeners may cause by
// writing through an engine, so that two listeners feeding each other fail
// the request instead of looping.
const maxCascade = 8

// NewBus returns a bus over units with no listeners. onError receives the
// failures of after-commit listeners (nil ignores them).
func NewBus(units ports.UnitOfWork, onError func(ctx context.Context, err error)) *Bus {
	if onError == nil {
		onError = func(context.Context, error) {}
	}
	return &Bus{units: units, onError: onError}
}

// InUnit adds a listener run inside each unit, before its commit. Not safe
// to call once requests are served.
func (b *Bus) InUnit(l ports.Listener) *Bus {
	b.inUnit = append(b.inUnit, l)
	b.reads = b.reads || wantsReads(l)
	return b
}

// AfterCommit adds a listener run after each unit that committed. Not safe
// to call once requests are served.
func (b *Bus) AfterCommit(l ports.Listener) *Bus {
	b.after = append(b.after, l)
	b.reads = b.reads || wantsReads(l)
	return b
}

// wantsReads reports whether l may care for ResourceRead, so that reads
// record nothing when no listener does.
func wantsReads(l ports.Listener) bool {
	switch l := l.(type) {
	case ports.Filtered:
		for _, a := range l.Actions {
			if a == ports.EventRead {
				return true
			}
		}
		return false
	case ports.ListenerFuncs:
		return l.OnRead != nil
	}
	return true
}

// collector gathers the events of one outermost unit.
type collector struct {
	bus     *Bus
	pending []rawEvent
}

// rawEvent is one change or read as recorded, before grouping.
type rawEvent struct {
	payload  ports.EventPayload
	parent   domain.Parent
	impacted []ports.Impacted
	read     []domain.Record
}

type collectorKey struct{}

func collectorOf(ctx context.Context, b *Bus) *collector {
	c, _ := ctx.Value(collectorKey{}).(*collector)
	if c == nil || c.bus != b {
		return nil
	}
	return c
}

// Atomically runs fn as one unit of the bus's units; see ports.UnitOfWork
// and Bus.
func (b *Bus) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if c := collectorOf(ctx, b); c != nil {
		mark := len(c.pending)
		err := b.units.Atomically(ctx, fn)
		if err != nil && len(c.pending) > mark {
			c.pending = c.pending[:mark]
		}
		return err
	}
	c := &collector{bus: b}
	ctx = context.WithValue(ctx, collectorKey{}, c)
	var done []groupedEvent
	err := b.units.Atomically(ctx, func(ctx context.Context) error {
		done = done[:0]
		c.pending = nil
		if err := fn(ctx); err != nil {
			return err
		}
		var err error
		done, err = b.runInUnit(ctx, c)
		return err
	})
	if err != nil {
		return err
	}
	b.runAfter(context.WithoutCancel(ctx), done)
	return nil
}

// runInUnit hands the unit's events to the in-unit listeners, round after
// round while listeners cause more, and returns every event for the
// after-commit listeners.
func (b *Bus) runInUnit(ctx context.Context, c *collector) ([]groupedEvent, error) {
	var all []groupedEvent
	for round := 0; len(c.pending) > 0; round++ {
		if round == maxCascade {
			return nil, fmt.Errorf("events: listeners caused more than %d rounds of events", maxCascade)
		}
		events := group(c.pending)
		c.pending = nil
		for _, ev := range events {
			for _, l := range b.inUnit {
				if err := ev.send(ctx, l); err != nil {
					return nil, fmt.Errorf("event listener on %s %s: %w", ev.payload.Action, ev.payload.ResourceName, err)
				}
			}
		}
		all = append(all, events...)
	}
	return all, nil
}

func (b *Bus) runAfter(ctx context.Context, events []groupedEvent) {
	for _, ev := range events {
		for _, l := range b.after {
			if err := ev.send(ctx, l); err != nil {
				b.onError(ctx, fmt.Errorf("after-commit listener on %s %s: %w", ev.payload.Action, ev.payload.ResourceName, err))
			}
		}
	}
}

// groupedEvent is a ResourceChanged or a ResourceRead.
type groupedEvent = rawEvent

func (ev groupedEvent) send(ctx context.Context, l ports.Listener) error {
	if ev.payload.Action == ports.EventRead {
		return l.Read(ctx, ports.ResourceRead{EventPayload: ev.payload, Parent: ev.parent, Read: ev.read})
	}
	return l.Changed(ctx, ports.ResourceChanged{EventPayload: ev.payload, Parent: ev.parent, Impacted: ev.impacted})
}

// group merges the events of one resource, parent and action, in the
// order their first one happened, keeping the first one's payload (Kinto's
// EventCollector).
func group(raw []rawEvent) []groupedEvent {
	type key struct {
		res    string
		parent domain.Parent
		action ports.EventAction
	}
	index := map[key]int{}
	var out []groupedEvent
	for _, ev := range raw {
		k := key{ev.payload.ResourceName, ev.parent, ev.payload.Action}
		i, ok := index[k]
		if !ok {
			index[k] = len(out)
			out = append(out, rawEvent{payload: ev.payload, parent: ev.parent})
			i = len(out) - 1
		}
		out[i].impacted = append(out[i].impacted, ev.impacted...)
		out[i].read = append(out[i].read, ev.read...)
	}
	return out
}

// record adds an event to ctx's unit. Outside any unit of a bus (an
// engine without one, or a read made on its own) it does nothing and
// returns false.
func (e *Engine) record(ctx context.Context, ev rawEvent) bool {
	if e.bus == nil {
		return false
	}
	c := collectorOf(ctx, e.bus)
	if c == nil {
		return false
	}
	c.pending = append(c.pending, ev)
	return true
}

// payload builds the payload of an event of req on uri.
func (e *Engine) payload(req *Request, action ports.EventAction, uri string, ts int64, id string) ports.EventPayload {
	ids := map[string]string{}
	for r := req.Resource.Parent; r != nil; r = r.Parent {
		if v, ok := req.Vars[r.idVar()]; ok {
			ids[r.Name+"_id"] = v
		}
	}
	if id != "" {
		ids[req.Resource.Name+"_id"] = id
	}
	return ports.EventPayload{Action: action, ResourceName: req.Resource.Name, URI: uri,
		Timestamp: ts, UserID: req.Caller.UserID, IDs: ids}
}

// changed records the change of one object.
func (e *Engine) changed(ctx context.Context, req *Request, action ports.EventAction, uri string, p domain.Parent, old *domain.Record, rec domain.Record) {
	if e.bus == nil {
		return
	}
	id := rec.ID
	if req.onList {
		id = "" // a POST names no object id in its path
	}
	ev := rawEvent{payload: e.payload(req, action, uri, rec.LastModified, id), parent: p}
	var o *domain.Record
	if old != nil {
		c := old.Clone()
		o = &c
	}
	ev.impacted = []ports.Impacted{{Old: o, New: rec.Clone()}}
	e.record(ctx, ev)
}

// emitRead reports what a read returned. Inside a unit of the bus (a
// batch) it joins the unit's events; on its own, the in-unit listeners run
// at once (an error fails the read) and the after-commit ones after them.
func (e *Engine) emitRead(ctx context.Context, req *Request, uri string, p domain.Parent, ts int64, id string, recs []domain.Record) error {
	if e.bus == nil || !e.bus.reads {
		return nil
	}
	ev := rawEvent{payload: e.payload(req, ports.EventRead, uri, ts, id), parent: p, read: recs}
	if e.record(ctx, ev) {
		return nil
	}
	var errs []error
	for _, l := range e.bus.inUnit {
		errs = append(errs, ev.send(ctx, l))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("read listener: %w", err)
	}
	e.bus.runAfter(context.WithoutCancel(ctx), []groupedEvent{ev})
	return nil
}
