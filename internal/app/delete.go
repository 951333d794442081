package app

import (
	"context"
	"fmt"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// The delete actions: one object, or one page of a list.

// Delete handles DELETE on an object; lastModified is the client's proposal
// for the tombstone (0 for none).
func (e *Engine) Delete(ctx context.Context, req *Request, id string, lastModified int64) (out Object, err error) {
	if err := refuseReadOnly(req, "Delete"); err != nil {
		return Object{}, err
	}
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
	e.changed(ctx, req, ports.EventDelete, req.Resource.URI(req.Vars, id), p, &existing, tomb)
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
	if err := refuseReadOnly(req, "DeleteList"); err != nil {
		return Page{}, err
	}
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
	if e.bus != nil && len(tombs) > 0 {
		// The storage deletes without reading the objects first, so the
		// impacted objects of a list deletion have no Old.
		ev := rawEvent{payload: e.payload(req, ports.EventDelete, req.Resource.listURI(req.Vars), page.Timestamp, ""), parent: p}
		for _, t := range tombs {
			ev.impacted = append(ev.impacted, ports.Impacted{New: t.Clone()})
		}
		e.record(ctx, ev)
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
