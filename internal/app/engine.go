package app

import (
	"context"
	"fmt"
	"reflect"

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
func (e *Engine) WithUnits(units ports.UnitOfWork) *Engine {
	e.units = units
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

// Store returns the storage the engine works on, for custom views.
func (e *Engine) Store() ports.Storage { return e.store }

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
		return domain.Parent{Resource: res.Name, ID: req.Caller.UserID}, nil
	}
	return domain.Parent{Resource: res.Name, ID: res.ParentURI(req.Vars)}, nil
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
	_, err := e.store.Get(ctx, domain.Parent{Resource: pres.Name, ID: pres.ParentURI(req.Vars)}, pid)
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

// Get returns one live object (GET and HEAD on an object).
//
// It costs three reads: the permission check with the object's ACL, then
// the object; its parent is read only when the object is missing (a live
// object implies a live parent), to tell which one is.
func (e *Engine) Get(ctx context.Context, req *Request, id string) (Object, error) {
	shown := map[string][]string{}
	if e.guarded(req) {
		acl, err := e.guard.authorizeObject(ctx, req, id, needAttributes)
		if err != nil {
			return Object{}, err
		}
		shown = acl
	}
	// Kinto checks the id after authorization: an outsider learns nothing,
	// an allowed caller gets 400 rather than a 404 for an impossible id.
	if err := checkID(req.Resource, id); err != nil {
		return Object{}, err
	}
	p, err := listOf(req)
	if err != nil {
		return Object{}, err
	}
	rec, ok, err := e.lookup(ctx, p, id)
	if err != nil {
		return Object{}, err
	}
	if !ok {
		if err := e.checkParent(ctx, req); err != nil {
			return Object{}, err
		}
		return Object{}, notFound(req, id)
	}
	nm, err := domain.CheckPreconditions(req.Pre, true, rec.LastModified, true)
	if err != nil {
		return Object{}, preconditionFailed(err, &rec)
	}
	return Object{Record: e.present(ctx, req, rec), Permissions: shown, NotModified: nm}, nil
}

// object builds an action's result, with the ACL the caller may see.
func (e *Engine) object(ctx context.Context, req *Request, rec domain.Record, created, notModified bool) (Object, error) {
	out := Object{Record: e.present(ctx, req, rec), Permissions: map[string][]string{}, Created: created, NotModified: notModified}
	if e.guarded(req) {
		acl, err := e.guard.shownACL(ctx, req, req.Resource.URI(req.Vars, rec.ID))
		if err != nil {
			return Object{}, err
		}
		out.Permissions = acl
	}
	return out, nil
}

// visibility applies the guard to a list request: nil filters when the
// caller sees the whole list, an id filter otherwise.
func (e *Engine) visibility(ctx context.Context, req *Request, n need) ([]domain.Filter, error) {
	if !e.guarded(req) {
		return nil, nil
	}
	ids, all, err := e.guard.listScope(ctx, req, n)
	if err != nil || all {
		return nil, err
	}
	in := make([]any, len(ids))
	for i, id := range ids {
		in[i] = id
	}
	return []domain.Filter{{Field: "id", Op: domain.OpIn, Value: in}}, nil
}

// Timestamp returns the list timestamp of req's list.
func (e *Engine) Timestamp(ctx context.Context, req *Request) (int64, error) {
	p, err := e.scope(ctx, req)
	if err != nil {
		return 0, err
	}
	return e.store.Timestamp(ctx, p)
}

// openList is the common start of the list actions: the caller's
// visibility (n: read or write) prepended to filters, the parent resolved,
// the list timestamp read.
func (e *Engine) openList(ctx context.Context, req *Request, n need, filters []domain.Filter) (domain.Parent, []domain.Filter, int64, error) {
	visible, err := e.visibility(ctx, req, n)
	if err != nil {
		return domain.Parent{}, nil, 0, err
	}
	p, err := e.scope(ctx, req)
	if err != nil {
		return p, nil, 0, err
	}
	if n == needWrite {
		// DELETE on the list: its If-Match must hold until the deletes.
		if err := e.lockList(ctx, p); err != nil {
			return p, nil, 0, err
		}
	}
	ts, err := e.store.Timestamp(ctx, p)
	if err != nil {
		return p, nil, 0, fmt.Errorf("list timestamp: %w", err)
	}
	return p, append(visible, filters...), ts, nil
}

// List returns one page of req's list (GET on a list). q.Limit is the page
// size; q.Sort the complete order.
func (e *Engine) List(ctx context.Context, req *Request, q domain.Query) (Page, error) {
	p, filters, ts, err := e.openList(ctx, req, needRead, q.Filters)
	if err != nil {
		return Page{}, err
	}
	q.Filters = filters
	nm, err := domain.CheckPreconditions(req.Pre, true, ts, true)
	if err != nil {
		return Page{}, err
	}
	if nm {
		return Page{Timestamp: ts, NotModified: true}, nil
	}
	pageSize := q.Limit
	if pageSize > 0 {
		q.Limit = pageSize + 1
	}
	recs, err := e.store.List(ctx, p, q)
	if err != nil {
		return Page{}, fmt.Errorf("list %s: %w", p, err)
	}
	page := Page{Timestamp: ts}
	if pageSize > 0 && len(recs) > pageSize {
		recs = recs[:pageSize]
		page.Next = domain.CursorOf(recs[len(recs)-1], q.Sort)
	}
	for i := range recs {
		recs[i] = e.present(ctx, req, recs[i])
	}
	page.Records = recs
	return page, nil
}

// Count returns the list timestamp and how many live objects match filters
// (HEAD on a list).
func (e *Engine) Count(ctx context.Context, req *Request, filters []domain.Filter) (int64, int, bool, error) {
	p, filters, ts, err := e.openList(ctx, req, needRead, filters)
	if err != nil {
		return 0, 0, false, err
	}
	nm, err := domain.CheckPreconditions(req.Pre, true, ts, true)
	if err != nil || nm {
		return ts, 0, nm, err
	}
	n, err := e.store.Count(ctx, p, filters)
	if err != nil {
		return 0, 0, false, fmt.Errorf("count %s: %w", p, err)
	}
	return ts, n, false, nil
}

// Create handles POST on a list: a new object (201), or the existing live
// object when data.id names one (200, posted data ignored).
func (e *Engine) Create(ctx context.Context, req *Request, body Body) (out Object, err error) {
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		out, err = e.create(ctx, req, body)
		return err
	})
	return out, err
}

func (e *Engine) create(ctx context.Context, req *Request, body Body) (Object, error) {
	authorize := func() error { return e.guard.checkCreate(ctx, req) }
	p, err := listOf(req)
	if err != nil {
		return Object{}, err
	}
	// A storage that checks the parent as it creates spares its read; any
	// other outcome then reads it, to answer as if it had been read first.
	owned, deferParent := e.store.(ports.OwnedCreator)
	deferParent = deferParent && req.Resource.Parent != nil && !req.Resource.PerUser && !req.parentChecked
	if !deferParent {
		if err := e.checkParent(ctx, req); err != nil {
			return Object{}, e.missingParent(ctx, req, err, authorize)
		}
	}
	if !deferParent {
		owned = nil
	}
	out, err := e.createIn(ctx, req, p, body, owned)
	if err != nil && deferParent && domain.KindOf(err) != domain.MissingParent {
		if perr := e.checkParent(ctx, req); perr != nil {
			err = perr
		}
	}
	if domain.KindOf(err) == domain.MissingParent {
		return Object{}, e.missingParent(ctx, req, err, authorize)
	}
	return out, err
}

// createIn is create once the parent is known live, or left to owned
// (non-nil) to check.
func (e *Engine) createIn(ctx context.Context, req *Request, p domain.Parent, body Body, owned ports.OwnedCreator) (Object, error) {
	res := req.Resource
	data := domain.CloneMap(body.Data)
	if data == nil {
		data = map[string]any{}
	}
	id := ""
	if raw, ok := data["id"]; ok {
		s, isString := raw.(string)
		if !isString {
			return Object{}, invalidID()
		}
		if err := checkID(res, s); err != nil {
			return Object{}, err
		}
		id = s
	}
	if id != "" {
		// What the lookup finds must hold until the create: lock first.
		// A new id needs no lock before the write, which takes it.
		if err := e.lockList(ctx, p); err != nil {
			return Object{}, err
		}
		existing, ok, err := e.lookup(ctx, p, id)
		if err != nil {
			return Object{}, err
		}
		if ok {
			if e.guarded(req) {
				if err := e.guard.checkObject(ctx, req, id, needRead); err != nil {
					return Object{}, err
				}
			}
			if _, err := domain.CheckPreconditions(req.Pre, true, existing.LastModified, false); err != nil {
				return Object{}, preconditionFailed(err, &existing)
			}
			return e.object(ctx, req, existing, false, false)
		}
	}
	if e.guarded(req) {
		if err := e.guard.checkCreate(ctx, req); err != nil {
			return Object{}, err
		}
		if err := body.ACL.validate(res); err != nil {
			return Object{}, err
		}
	}
	if _, err := domain.CheckPreconditions(req.Pre, false, 0, false); err != nil {
		return Object{}, err
	}
	if id == "" {
		id = res.IDs.NewID()
	}
	rec, err := e.newRecord(id, data, 0)
	if err != nil {
		return Object{}, err
	}
	w := &Write{Action: ActionCreate, Request: req, New: rec}
	if err := e.process(ctx, w); err != nil {
		return Object{}, err
	}
	var stored domain.Record
	if owned != nil {
		pres := res.Parent
		owner := ports.ObjectRef{List: domain.Parent{Resource: pres.Name, ID: pres.ParentURI(req.Vars)}, ID: req.Vars[pres.idVar()]}
		stored, err = owned.CreateOwned(ctx, owner, p, w.New, res.UniqueFields)
		if domain.KindOf(err) == domain.NotFound {
			return Object{}, &Error{Kind: domain.MissingParent, Op: "app.create", Resource: pres.Name, ID: owner.ID}
		}
	} else {
		stored, err = e.store.Create(ctx, p, w.New, res.UniqueFields)
	}
	if err != nil {
		return Object{}, writeFailed(err, "create", p, id)
	}
	req.parentChecked = true
	return e.afterWrite(ctx, req, nil, stored, body.ACL, true)
}

// afterWrite saves the ACL change, runs the AfterWrite hook and builds the
// result.
func (e *Engine) afterWrite(ctx context.Context, req *Request, old *domain.Record, stored domain.Record, acl ACLChange, created bool) (Object, error) {
	if e.guarded(req) {
		if err := e.guard.apply(ctx, req, req.Resource.URI(req.Vars, stored.ID), acl); err != nil {
			return Object{}, err
		}
	}
	if req.Resource.AfterWrite != nil {
		if err := req.Resource.AfterWrite(ctx, req, old, stored); err != nil {
			return Object{}, err
		}
	}
	if created && e.guarded(req) {
		// A created object had no ACL (deleting an object deletes its ACL
		// in the same unit), so its ACL is the change itself: no read back.
		return Object{Record: e.present(ctx, req, stored), Created: true,
			Permissions: e.guard.shown(req, e.guard.createdACL(req, acl))}, nil
	}
	return e.object(ctx, req, stored, created, false)
}

func writeFailed(err error, verb string, p domain.Parent, id string) error {
	switch domain.KindOf(err) {
	case domain.Internal:
		return fmt.Errorf("%s %s %q: %w", verb, p, id, err)
	case domain.Conflict:
		if e := domain.AsError(err); e != nil && e.Message == "" {
			e.Message = "Integrity constraint violated, please retry."
		}
	}
	return err
}

// process validates and runs the resource's Process hook on w.New.
func (e *Engine) process(ctx context.Context, w *Write) error {
	res := w.Request.Resource
	if w.Old != nil {
		for _, f := range res.ReadonlyFields {
			oldV, hadOld := w.Old.Field(f)
			newV, hasNew := w.New.Field(f)
			if hasNew && (!hadOld || !reflect.DeepEqual(oldV, newV)) {
				return &Error{Kind: domain.Invalid, Op: "app.process", Issues: []domain.Issue{{Location: domain.InBody, Name: f, Description: "Cannot modify " + f}}}
			}
			if !hasNew && hadOld {
				// A replacement that omits a readonly field keeps it.
				w.New.Data[f] = oldV
			}
		}
	}
	if res.Process != nil {
		if err := res.Process(ctx, w); err != nil {
			return err
		}
	}
	if res.Schema != nil {
		if err := res.Schema.Validate(w.New.Data); err != nil {
			return err
		}
	}
	return nil
}

// Replace handles PUT on an object: create (201) or replace (200).
func (e *Engine) Replace(ctx context.Context, req *Request, id string, body Body) (out Object, err error) {
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		out, err = e.replace(ctx, req, id, body)
		return err
	})
	return out, err
}

func (e *Engine) replace(ctx context.Context, req *Request, id string, body Body) (Object, error) {
	res := req.Resource
	if err := checkID(res, id); err != nil {
		return Object{}, err
	}
	p, err := e.scope(ctx, req)
	if err != nil {
		return Object{}, e.missingParent(ctx, req, err, func() error { return e.guard.checkCreate(ctx, req) })
	}
	if err := e.lockList(ctx, p); err != nil {
		return Object{}, err
	}
	if err := checkBodyID(body.Data, id); err != nil {
		return Object{}, err
	}
	existing, ok, err := e.lookup(ctx, p, id)
	if err != nil {
		return Object{}, err
	}
	if e.guarded(req) {
		// Creating, or create-only (If-None-Match: *), needs the create
		// right on the parent; replacing needs write on the object.
		if !ok || (req.Pre.IfNoneMatch.Set && req.Pre.IfNoneMatch.Any) {
			err = e.guard.checkCreate(ctx, req)
		} else {
			err = e.guard.checkObject(ctx, req, id, needWrite)
		}
		if err != nil {
			return Object{}, err
		}
		if err := body.ACL.validate(res); err != nil {
			return Object{}, err
		}
	}
	if _, err := domain.CheckPreconditions(req.Pre, ok, existing.LastModified, false); err != nil {
		if ok && e.mayRead(ctx, req, id) {
			return Object{}, preconditionFailed(err, &existing)
		}
		// A caller checked for the create right only (If-None-Match: *)
		// must not read the existing object through details.existing.
		return Object{}, err
	}
	data := domain.CloneMap(body.Data)
	switch {
	case data == nil && ok:
		data = domain.CloneMap(existing.Data)
	case data == nil:
		data = map[string]any{}
	}
	rec, err := e.newRecord(id, data, existing.LastModified)
	if err != nil {
		return Object{}, err
	}
	w := &Write{Action: ActionReplace, Request: req, New: rec}
	if ok {
		w.Old = &existing
	} else {
		w.Action = ActionCreate
	}
	if err := e.process(ctx, w); err != nil {
		return Object{}, err
	}
	if ok && w.New.LastModified <= existing.LastModified {
		w.New.LastModified = 0
	}
	stored, err := e.store.Update(ctx, p, w.New, res.UniqueFields)
	if err != nil {
		return Object{}, writeFailed(err, "replace", p, id)
	}
	return e.afterWrite(ctx, req, w.Old, stored, body.ACL, !ok)
}

// checkMissingWrite is the guard's answer for PATCH/DELETE on an absent
// object: 404 for callers who may read the list, 401/403 for the others.
func (e *Engine) checkMissingWrite(ctx context.Context, req *Request, id string) error {
	if err := e.checkWriteMissing(ctx, req, id); err != nil {
		return err
	}
	return notFound(req, id)
}

// checkWriteMissing authorizes PATCH/DELETE on an absent object: reading
// the list it would belong to, or writing the object itself, is enough.
func (e *Engine) checkWriteMissing(ctx context.Context, req *Request, id string) error {
	if !e.guarded(req) {
		return nil
	}
	ok, err := e.guard.canReadParentList(ctx, req)
	if err != nil || ok {
		return err
	}
	return e.guard.checkObject(ctx, req, id, needWrite)
}

// AuthorizeWrite checks, before a PUT (replace true), PATCH or DELETE body
// is even read, that the caller may write object id, so that callers
// without rights get 401/403 rather than learning from validation errors,
// as Kinto checks rights first. It answers only Unauthenticated or
// Forbidden; anything else (a missing parent, a bad id, a backend error) is
// left for the action itself to report, which checks again.
func (e *Engine) AuthorizeWrite(ctx context.Context, req *Request, id string, replace bool) error {
	p, err := e.scope(ctx, req)
	if err != nil {
		if k := domain.KindOf(err); k == domain.Unauthenticated || k == domain.Forbidden {
			return err
		}
		if k := domain.KindOf(err); k == domain.MissingParent && e.guarded(req) && !req.Resource.ParentBeforeAuth {
			if replace {
				return e.guard.checkCreate(ctx, req)
			}
			return e.checkWriteMissing(ctx, req, id)
		}
		return nil
	}
	if !e.guarded(req) || (req.Resource.IDs != nil && !req.Resource.IDs.Valid(id)) {
		return nil
	}
	_, exists, err := e.lookup(ctx, p, id)
	switch {
	case err != nil:
		return nil
	case replace && (!exists || (req.Pre.IfNoneMatch.Set && req.Pre.IfNoneMatch.Any)):
		return e.guard.checkCreate(ctx, req)
	case !exists:
		return e.checkWriteMissing(ctx, req, id)
	default:
		return e.guard.checkObject(ctx, req, id, needWrite)
	}
}

// AuthorizeCreate is AuthorizeWrite for POST on a list, before its body
// is validated: id is the body's data.id when one could be read ("" when
// none), since POSTing the id of an existing object asks to read it rather
// than to create. Like AuthorizeWrite it answers only Unauthenticated or
// Forbidden and leaves every other failure to Create.
//
// The parent is not read on the way to a grant: an object under a missing
// parent is never found, and Create reports the missing parent. Resources
// that check their parent first read it before a refusal, which then
// becomes Create's 404.
func (e *Engine) AuthorizeCreate(ctx context.Context, req *Request, id string) error {
	err := e.authorizeCreate(ctx, req, id)
	if err != nil && req.Resource.ParentBeforeAuth {
		if domain.KindOf(e.checkParent(ctx, req)) == domain.MissingParent {
			return nil
		}
	}
	return err
}

func (e *Engine) authorizeCreate(ctx context.Context, req *Request, id string) error {
	p, err := listOf(req)
	if err != nil {
		if k := domain.KindOf(err); k == domain.Unauthenticated || k == domain.Forbidden {
			return err
		}
		return nil
	}
	if !e.guarded(req) {
		return nil
	}
	if id != "" && (req.Resource.IDs == nil || req.Resource.IDs.Valid(id)) {
		if _, exists, err := e.lookup(ctx, p, id); err != nil {
			return nil
		} else if exists {
			return e.guard.checkObject(ctx, req, id, needRead)
		}
	}
	return e.guard.checkCreate(ctx, req)
}

// missingParent decides what a write under a missing parent answers: the
// scope's error as is for unguarded resources and those checking their
// parent first; otherwise the caller must first pass authorize, so that
// outsiders get 401/403 and cannot probe which parents exist.
func (e *Engine) missingParent(ctx context.Context, req *Request, err error, authorize func() error) error {
	if domain.KindOf(err) != domain.MissingParent || !e.guarded(req) || req.Resource.ParentBeforeAuth {
		return err
	}
	if denied := authorize(); denied != nil {
		return denied
	}
	return err
}

// mayRead reports whether the caller may read object id (always on
// unguarded resources).
func (e *Engine) mayRead(ctx context.Context, req *Request, id string) bool {
	return !e.guarded(req) || e.guard.checkObject(ctx, req, id, needRead) == nil
}

// checkBodyID refuses a body whose data.id differs from the URL id.
func checkBodyID(data map[string]any, id string) error {
	raw, ok := data["id"]
	if !ok {
		return nil
	}
	if s, isString := raw.(string); isString && s == id {
		return nil
	}
	return &Error{Kind: domain.Invalid, Op: "app.checkBodyID", Issues: []domain.Issue{{Location: domain.InBody, Name: "id", Description: "Object id does not match existing object"}}}
}

// Patcher turns the current data of an object into the patched data. The
// http adapter builds one per PATCH flavour (merge, merge-patch, JSON-Patch).
type Patcher func(current map[string]any) (map[string]any, error)

// Patch handles PATCH on an object.
func (e *Engine) Patch(ctx context.Context, req *Request, id string, patch Patcher, acl ACLChange) (out Object, err error) {
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		out, err = e.patch(ctx, req, id, patch, acl)
		return err
	})
	return out, err
}

func (e *Engine) patch(ctx context.Context, req *Request, id string, patch Patcher, acl ACLChange) (Object, error) {
	res := req.Resource
	p, existing, err := e.loadForWrite(ctx, req, id)
	if err != nil {
		return Object{}, err
	}
	if e.guarded(req) {
		if err := acl.validate(res); err != nil {
			return Object{}, err
		}
	}
	current := existing.Map()
	data, err := patch(current)
	if err != nil {
		return Object{}, err
	}
	if err := checkBodyID(data, id); err != nil {
		return Object{}, err
	}
	rec, err := e.newRecord(id, data, existing.LastModified)
	if err != nil {
		return Object{}, err
	}
	if rec.LastModified <= existing.LastModified {
		// A PATCH always bumps: an echoed or stale proposal is ignored.
		rec.LastModified = 0
	}
	w := &Write{Action: ActionPatch, Request: req, Old: &existing, New: rec}
	if err := e.process(ctx, w); err != nil {
		return Object{}, err
	}
	stored, err := e.store.Update(ctx, p, w.New, res.UniqueFields)
	if err != nil {
		return Object{}, writeFailed(err, "patch", p, id)
	}
	return e.afterWrite(ctx, req, &existing, stored, acl, false)
}

// loadForWrite is the common start of PATCH and DELETE on an object: the
// id checked, the parent resolved, the live object loaded (404, or 401/403
// for callers who may not know), write permission and preconditions
// checked.
func (e *Engine) loadForWrite(ctx context.Context, req *Request, id string) (domain.Parent, domain.Record, error) {
	if err := checkID(req.Resource, id); err != nil {
		return domain.Parent{}, domain.Record{}, err
	}
	p, err := e.scope(ctx, req)
	if err != nil {
		return p, domain.Record{}, e.missingParent(ctx, req, err, func() error { return e.checkWriteMissing(ctx, req, id) })
	}
	if err := e.lockList(ctx, p); err != nil {
		return p, domain.Record{}, err
	}
	existing, ok, err := e.lookup(ctx, p, id)
	if err != nil {
		return p, domain.Record{}, err
	}
	if !ok {
		return p, domain.Record{}, e.checkMissingWrite(ctx, req, id)
	}
	if e.guarded(req) {
		if err := e.guard.checkObject(ctx, req, id, needWrite); err != nil {
			return p, domain.Record{}, err
		}
	}
	if _, err := domain.CheckPreconditions(req.Pre, true, existing.LastModified, false); err != nil {
		return p, domain.Record{}, preconditionFailed(err, &existing)
	}
	return p, existing, nil
}

// Delete handles DELETE on an object; lastModified is the client's proposal
// for the tombstone (0 for none).
func (e *Engine) Delete(ctx context.Context, req *Request, id string, lastModified int64) (out Object, err error) {
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		out, err = e.delete(ctx, req, id, lastModified)
		return err
	})
	return out, err
}

func (e *Engine) delete(ctx context.Context, req *Request, id string, lastModified int64) (Object, error) {
	p, existing, err := e.loadForWrite(ctx, req, id)
	if err != nil {
		return Object{}, err
	}
	if lastModified <= existing.LastModified {
		lastModified = 0
	}
	if err := e.checkProposal(lastModified, domain.InQuerystring); err != nil {
		return Object{}, err
	}
	tomb, err := e.store.Delete(ctx, p, id, lastModified)
	if err != nil {
		return Object{}, writeFailed(err, "delete", p, id)
	}
	if err := e.afterDelete(ctx, req, existing); err != nil {
		return Object{}, err
	}
	return Object{Record: tomb}, nil
}

// afterDelete cascades a deletion: children purged, ACLs dropped, hook run.
func (e *Engine) afterDelete(ctx context.Context, req *Request, old domain.Record) error {
	uri := req.Resource.URI(req.Vars, old.ID)
	if req.Resource.Cascade {
		if _, err := e.store.Purge(ctx, uri); err != nil {
			return fmt.Errorf("purge children of %s: %w", uri, err)
		}
	}
	if e.guarded(req) {
		if err := e.guard.forget(ctx, uri); err != nil {
			return err
		}
	}
	if req.Resource.AfterDelete != nil {
		return req.Resource.AfterDelete(ctx, req, old)
	}
	return nil
}

// DeleteList handles DELETE on a list: the matching live objects of one page
// become tombstones. The returned page's Timestamp is the newest tombstone's,
// or T when nothing matched; Next is set when more objects remain (the
// cursor is empty: deleted objects no longer match, so the same query
// continues where this one stopped).
func (e *Engine) DeleteList(ctx context.Context, req *Request, q domain.Query) (out Page, err error) {
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		out, err = e.deleteList(ctx, req, q)
		return err
	})
	return out, err
}

func (e *Engine) deleteList(ctx context.Context, req *Request, q domain.Query) (Page, error) {
	p, filters, ts, err := e.openList(ctx, req, needWrite, q.Filters)
	if err != nil {
		return Page{}, err
	}
	q.Filters = filters
	if _, err := domain.CheckPreconditions(req.Pre, true, ts, false); err != nil {
		return Page{}, err
	}
	q.After = nil
	q.WithDeleted = false
	tombs, err := e.store.DeleteMany(ctx, p, q)
	if err != nil {
		return Page{}, fmt.Errorf("delete %s: %w", p, err)
	}
	page := Page{Records: tombs, Timestamp: ts}
	for _, t := range tombs {
		if t.LastModified > page.Timestamp {
			page.Timestamp = t.LastModified
		}
		if err := e.afterDelete(ctx, req, t); err != nil {
			return Page{}, err
		}
	}
	if q.Limit > 0 && len(tombs) == q.Limit {
		rest, err := e.store.Count(ctx, p, q.Filters)
		if err != nil {
			return Page{}, fmt.Errorf("count remaining %s: %w", p, err)
		}
		if rest > 0 {
			page.Next = []domain.SortValue{}
		}
	}
	return page, nil
}
