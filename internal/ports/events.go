package ports

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// EventAction is what happened to a resource: Kinto's ACTIONS.
type EventAction string

// The actions an event reports, spelt as Kinto spells them.
const (
	EventCreate EventAction = "create"
	EventUpdate EventAction = "update"
	EventDelete EventAction = "delete"
	EventRead   EventAction = "read"
)

// EventPayload describes where and when something happened, with the
// fields of Kinto's event payload. Events of one unit grouped together
// share the payload of the first of them.
type EventPayload struct {
	Action EventAction
	// ResourceName is the resource's singular name ("record").
	ResourceName string
	// URI is the path the request named, without the version prefix: the
	// list's for a POST or a DELETE on a list, the object's otherwise.
	URI string
	// Timestamp is the list's timestamp once the change was made.
	Timestamp int64
	// UserID is the prefixed user id of the caller, "" when anonymous.
	UserID string
	// IDs are the URL ids of the request under Kinto's names: bucket_id,
	// collection_id… and "<resource>_id" for the object's own id.
	IDs map[string]string
}

// Impacted is one object a change touched: Old is nil on creation; on
// deletion New is the tombstone.
type Impacted struct {
	Old *domain.Record
	New domain.Record
}

// ResourceChanged reports the objects of one resource, under one parent,
// that one action changed during a unit of work.
type ResourceChanged struct {
	EventPayload
	// Parent is the storage list the objects live in.
	Parent   domain.Parent
	Impacted []Impacted
}

// ResourceRead reports the objects of one resource a request read.
type ResourceRead struct {
	EventPayload
	Parent domain.Parent
	Read   []domain.Record
}

// Listener receives events. The engine calls a listener from one
// goroutine at a time per request, but several requests call it at once:
// implementations must be safe for concurrent use.
//
// A listener runs either inside the unit of work that made the changes
// (its ctx is then the unit's: its writes join the unit, and an error it
// returns fails the request and undoes the whole unit) or after the
// unit committed (its error is logged, the request has already succeeded,
// and it never sees changes that were rolled back).
type Listener interface {
	Changed(ctx context.Context, ev ResourceChanged) error
	Read(ctx context.Context, ev ResourceRead) error
}

// ListenerFuncs makes a Listener of two functions; a nil one ignores its
// events.
type ListenerFuncs struct {
	OnChanged func(ctx context.Context, ev ResourceChanged) error
	OnRead    func(ctx context.Context, ev ResourceRead) error
}

// Changed calls OnChanged.
func (l ListenerFuncs) Changed(ctx context.Context, ev ResourceChanged) error {
	if l.OnChanged == nil {
		return nil
	}
	return l.OnChanged(ctx, ev)
}

// Read calls OnRead.
func (l ListenerFuncs) Read(ctx context.Context, ev ResourceRead) error {
	if l.OnRead == nil {
		return nil
	}
	return l.OnRead(ctx, ev)
}

// Filtered passes on to L only the events of Actions (every write action
// when empty, as Kinto's default) on Resources (every resource when
// empty): Kinto's event_listeners.<name>.actions and .resources.
type Filtered struct {
	L         Listener
	Actions   []EventAction
	Resources []string
}

func (f Filtered) wants(a EventAction, res string) bool {
	ok := len(f.Actions) == 0 && a != EventRead
	for _, x := range f.Actions {
		ok = ok || x == a
	}
	if !ok {
		return false
	}
	if len(f.Resources) == 0 {
		return true
	}
	for _, r := range f.Resources {
		if r == res {
			return true
		}
	}
	return false
}

// Changed passes ev on when the filters want it.
func (f Filtered) Changed(ctx context.Context, ev ResourceChanged) error {
	if !f.wants(ev.Action, ev.ResourceName) {
		return nil
	}
	return f.L.Changed(ctx, ev)
}

// Read passes ev on when the filters want it.
func (f Filtered) Read(ctx context.Context, ev ResourceRead) error {
	if !f.wants(ev.Action, ev.ResourceName) {
		return nil
	}
	return f.L.Read(ctx, ev)
}
