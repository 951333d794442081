package app

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// The actions that change one object: PUT (replace or create) and PATCH.

// Replace handles PUT on an object: create (201) or replace (200).
func (e *Engine) Replace(ctx context.Context, req *Request, id string, body Body) (out Object, err error) {
	if err := refuseReadOnly(req, "Replace"); err != nil {
		return Object{}, err
	}
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
	if ok && !inView(res, existing) {
		return Object{}, outsideView(res, id)
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
	if err := refuseReadOnly(req, "Patch"); err != nil {
		return Object{}, err
	}
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
	if !ok || !inView(req.Resource, existing) {
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
