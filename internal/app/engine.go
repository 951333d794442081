package app

import (
	"context"
	"fmt"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Engine runs the protocol's actions for any declared Resource over a
// Storage. One method per protocol action; the http adapter maps requests
// onto them.
type Engine struct {
	store ports.Storage
	guard *Guard
	units ports.UnitOfWork
	bus   *Bus         // set when units is a Bus: writes record events
	clock domain.Clock // bounds proposed timestamps; see WithClock
}

// NewEngine builds an engine over store. guard enforces ACLs on resources
// that declare Permissions; nil leaves shared resources open to everyone
// (per-user resources always require authentication).
func NewEngine(store ports.Storage, guard *Guard) *Engine {
	return &Engine{store: store, guard: guard, units: ports.Unitless{S: store}}
}

// WithUnits makes every write action one unit of work of units, which must
// be the store of the engine's storage and of its guard's permission
// backend: what a write checks (preconditions, unique fields, rights) and
// what it writes (the object, its ACL, cascades, hooks) then commit
// together or not at all. Without it, each call commits on its own.
// When units is a *Bus, every change (and read, if a listener wants
// reads) becomes an event of the unit.
func (e *Engine) WithUnits(units ports.UnitOfWork) *Engine {
	e.units = units
	e.bus, _ = units.(*Bus)
	return e
}

// Atomically runs fn as one unit of the engine's store; actions called
// with the ctx it hands fn join that unit (a batch is one unit).
func (e *Engine) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return e.units.Atomically(ctx, fn)
}

// lockList makes what a write reads of p current until its unit ends.
func (e *Engine) lockList(ctx context.Context, p domain.Parent) error {
	if err := e.store.LockList(ctx, p); err != nil {
		return fmt.Errorf("lock %s: %w", p, err)
	}
	return nil
}

// guarded reports whether req's resource is subject to ACLs.
func (e *Engine) guarded(req *Request) bool {
	return e.guard != nil && !req.Resource.PerUser && len(req.Resource.Permissions) > 0
}

// Object is the result of an action on one object.
type Object struct {
	Record domain.Record
	// Permissions is the object's own ACL as shown to the caller; empty when
	// the resource has no ACLs.
	Permissions map[string][]string
	// Created is true when a write created the object (201).
	Created bool
	// NotModified is true for a GET whose If-None-Match matched (304).
	NotModified bool
}

// Page is the result of listing.
type Page struct {
	Records []domain.Record
	// Timestamp is the list timestamp T (the ETag), whatever the filters.
	Timestamp int64
	// Next is the cursor of the next page, nil on the last page.
	Next []domain.SortValue
	// NotModified is true for a GET whose If-None-Match matched T.
	NotModified bool
}

// Body is a decoded write request: {"data": …, "permissions": …}.
type Body struct {
	// Data is nil when the body had no "data".
	Data map[string]any
	// ACL is the change the body's "permissions" asks for.
	ACL ACLChange
}

// scope resolves the storage parent of req's resource, checking
// authentication for per-user resources and the existence of the parent
// object.
func (e *Engine) scope(ctx context.Context, req *Request) (domain.Parent, error) {
	p, err := listOf(req)
	if err != nil {
		return p, err
	}
	return p, e.checkParent(ctx, req)
}

// listOf returns the storage parent of req's resource, checking only
// authentication for per-user resources.
func listOf(req *Request) (domain.Parent, error) {
	res := req.Resource
	if res.PerUser {
		if !req.Caller.Authenticated() {
			return domain.Parent{}, &Error{Kind: domain.Unauthenticated, Op: "app.scope", Message: "Please authenticate yourself to use this endpoint."}
		}
		return domain.Parent{Resource: res.storageName(), ID: req.Caller.UserID}, nil
	}
	return domain.Parent{Resource: res.storageName(), ID: req.parentURIOf()}, nil
}

// checkParent fails with MissingParent when the object owning req's list
// is not live. A request reads it once: a parent found live is kept on req
// for its later steps. (As in Kinto, the parent is not locked: a child
// written while its parent is deleted concurrently can outlive it.)
func (e *Engine) checkParent(ctx context.Context, req *Request) error {
	res := req.Resource
	if res.PerUser || res.Parent == nil || req.parentChecked {
		return nil
	}
	pres := res.Parent
	pid := req.Vars[pres.idVar()]
	_, err := e.store.Get(ctx, domain.Parent{Resource: pres.storageName(), ID: req.grandparentURI()}, pid)
	if domain.KindOf(err) == domain.NotFound {
		return &Error{Kind: domain.MissingParent, Op: "app.scope", Resource: pres.Name, ID: pid}
	}
	if err != nil {
		return fmt.Errorf("load parent %s %q: %w", pres.Name, pid, err)
	}
	req.parentChecked = true
	return nil
}

// checkID refuses object ids outside the resource's pattern.
func checkID(res *Resource, id string) error {
	if res.IDs != nil && !res.IDs.Valid(id) {
		return invalidID()
	}
	return nil
}

// invalidID is Kinto's answer to an id outside the pattern, in the URL or
// in a POSTed data.id alike.
func invalidID() error {
	return &Error{Kind: domain.Invalid, Op: "app.checkID", Issues: []domain.Issue{{Location: domain.InPath, Description: "Invalid object id"}}}
}

// lookup returns the live object id, or exists=false.
func (e *Engine) lookup(ctx context.Context, p domain.Parent, id string) (domain.Record, bool, error) {
	rec, err := e.store.Get(ctx, p, id)
	switch domain.KindOf(err) {
	case domain.NotFound:
		return domain.Record{}, false, nil
	case domain.Internal:
		if err != nil {
			return domain.Record{}, false, fmt.Errorf("load %s %q: %w", p.Resource, id, err)
		}
	default:
		return domain.Record{}, false, err
	}
	return rec, true, nil
}

func (e *Engine) present(ctx context.Context, req *Request, rec domain.Record) domain.Record {
	if req.Resource.AfterRead != nil && !rec.Deleted {
		return req.Resource.AfterRead(ctx, req, rec)
	}
	return rec
}

func notFound(req *Request, id string) error {
	return domain.NotFoundError("app.Engine", req.Resource.Name, id)
}

func preconditionFailed(err error, existing *domain.Record) error {
	if e := domain.AsError(err); e != nil && existing != nil {
		rec := existing.Clone()
		e.Existing = &rec
	}
	return err
}

// object builds an action's result, with the ACL the caller may see.
func (e *Engine) object(ctx context.Context, req *Request, rec domain.Record, created, notModified bool) (Object, error) {
	out := Object{Record: e.present(ctx, req, rec), Permissions: map[string][]string{}, Created: created, NotModified: notModified}
	if e.guarded(req) {
		acl, err := e.guard.shownACL(ctx, req, rec.ID)
		if err != nil {
			return Object{}, err
		}
		out.Permissions = acl
	}
	return out, nil
}
