package app

import (
	"context"
	"fmt"
	"reflect"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// The create action (POST on a list) and what every write shares: the
// Process hook and schema, the ACL change and AfterWrite hook, the
// result.

// Create handles POST on a list: a new object (201), or the existing live
// object when data.id names one (200, posted data ignored).
func (e *Engine) Create(ctx context.Context, req *Request, body Body) (out Object, err error) {
	if err := refuseReadOnly(req, "Create"); err != nil {
		return Object{}, err
	}
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
			if !inView(res, existing) {
				return Object{}, outsideView(res, id)
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
	generated := id == ""
	if generated {
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
		owner := ports.ObjectRef{List: domain.Parent{Resource: pres.storageName(), ID: req.grandparentURI()}, ID: req.Vars[pres.idVar()]}
		if fresh, ok := owned.(ports.FreshCreator); ok && generated && len(res.UniqueFields) == 0 {
			stored, err = fresh.CreateFresh(ctx, owner, p, w.New)
		} else {
			stored, err = owned.CreateOwned(ctx, owner, p, w.New, res.UniqueFields)
		}
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
	req.onList = true
	return e.afterWrite(ctx, req, nil, stored, body.ACL, true)
}

// afterWrite saves the ACL change, runs the AfterWrite hook and builds the
// result.
func (e *Engine) afterWrite(ctx context.Context, req *Request, old *domain.Record, stored domain.Record, acl ACLChange, created bool) (Object, error) {
	var uri string // the object's, for its ACL and its event
	if e.guarded(req) || e.bus != nil {
		uri = req.Resource.URI(req.Vars, stored.ID)
	}
	if e.guarded(req) {
		if err := e.guard.apply(ctx, req, uri, stored.ID, acl); err != nil {
			return Object{}, err
		}
	}
	if req.Resource.AfterWrite != nil {
		if err := req.Resource.AfterWrite(ctx, req, old, stored); err != nil {
			return Object{}, err
		}
	}
	if e.bus != nil {
		action := ports.EventUpdate
		if created {
			action = ports.EventCreate
		}
		uri := uri
		if req.onList {
			uri = req.listURIOf()
		}
		defer func() { req.onList = false }()
		if p, err := listOf(req); err == nil {
			e.changed(ctx, req, action, uri, p, old, stored)
		}
	}
	if created && e.guarded(req) && req.Resource.AfterWrite == nil {
		// A created object had no ACL (deleting an object deletes its ACL
		// in the same unit), so its ACL is the change itself: no read back
		// (unless an AfterWrite hook may have changed it).
		return Object{Record: e.present(ctx, req, stored), Created: true,
			Permissions: e.guard.shown(req, stored.ID, e.guard.createdACL(req, stored.ID, acl))}, nil
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

// process validates and runs the resource's Process hook on w.New, then
// checks that the result is one the resource shows.
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
	return checkStaysInView(res, w.New)
}
