package app

import (
	"context"
	"fmt"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// The read actions: one object, a list page, a count, a list timestamp.

// Get returns one live object (GET and HEAD on an object).
//
// It costs three reads: the permission check with the object's ACL, then
// the object; its parent is read only when the object is missing (a live
// object implies a live parent), to tell which one is.
func (e *Engine) Get(ctx context.Context, req *Request, id string) (Object, error) {
	uri := req.Resource.URI(req.Vars, id) // the guard's and the read event's
	var shown map[string][]string
	if e.guarded(req) {
		acl, err := e.guard.authorizeObject(ctx, req, uri, id, needAttributes)
		if err != nil {
			return Object{}, err
		}
		shown = acl
	} else {
		shown = map[string][]string{} // built only when the guard gives none
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
	if !ok || !inView(req.Resource, rec) {
		if err := e.checkParent(ctx, req); err != nil {
			return Object{}, err
		}
		return Object{}, notFound(req, id)
	}
	nm, err := domain.CheckPreconditions(req.Pre, true, rec.LastModified, true)
	if err != nil {
		return Object{}, preconditionFailed(err, &rec)
	}
	out := Object{Record: e.present(ctx, req, rec), Permissions: shown, NotModified: nm}
	if e.bus != nil && e.bus.reads { // the record's list only for read listeners
		if err := e.emitRead(ctx, req, uri, p, rec.LastModified, id, []domain.Record{out.Record}); err != nil {
			return Object{}, err
		}
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
// visibility (n: read or write) and the resource's fixed filters
// prepended to filters, the parent resolved,
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
	return p, viewFilters(req.Resource, visible, filters), ts, nil
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
	if err := e.emitRead(ctx, req, req.listURIOf(), p, ts, "", recs); err != nil {
		return Page{}, err
	}
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
