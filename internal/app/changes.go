package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// FeedPublisher is an after-commit listener that publishes every change
// it sees on feed, so that change streams in every process learn of it.
// Run after commit, it never announces a change that was rolled back.
func FeedPublisher(feed ports.ChangeFeed) ports.Listener {
	return ports.ListenerFuncs{OnChanged: func(ctx context.Context, ev ports.ResourceChanged) error {
		changes := make([]ports.Change, 0, len(ev.Impacted))
		for _, im := range ev.Impacted {
			changes = append(changes, ports.Change{Parent: ev.Parent, ID: im.New.ID, Action: ev.Action, Timestamp: im.New.LastModified})
		}
		if err := feed.Publish(ctx, changes); err != nil {
			return fmt.Errorf("publish %d changes of %s: %w", len(changes), ev.Parent, err)
		}
		return nil
	}}
}

// OpenChanges authorizes a change stream of req's list and returns the
// list's parent. A stream shows every object of the list, tombstones
// included, so it needs the right to read the whole list: a caller who may
// read only some of its objects gets 403 (401 when anonymous), as does one
// who may read none. A missing parent is a 404 for those who may know.
func (e *Engine) OpenChanges(ctx context.Context, req *Request) (domain.Parent, error) {
	if e.guarded(req) {
		_, all, err := e.guard.listScope(ctx, req, needRead)
		if err != nil {
			return domain.Parent{}, err
		}
		if !all {
			return domain.Parent{}, deny(req)
		}
	}
	return e.scope(ctx, req)
}

// ChangesSince returns up to limit objects of p (tombstones included)
// changed after since, oldest first: what a `_since` poll of the list
// returns, in the order a change stream sends it. Callers must have
// authorized req with OpenChanges.
func (e *Engine) ChangesSince(ctx context.Context, req *Request, p domain.Parent, since int64, limit int) ([]domain.Record, error) {
	q := domain.Query{
		Filters:     viewFilters(req.Resource, nil, []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: json.Number(strconv.FormatInt(since, 10))}}),
		Sort:        []domain.Sort{{Field: "last_modified"}},
		Limit:       limit,
		WithDeleted: true,
	}
	recs, err := e.store.List(ctx, p, q)
	if err != nil {
		return nil, fmt.Errorf("changes of %s since %d: %w", p, since, err)
	}
	for i := range recs {
		recs[i] = e.present(ctx, req, recs[i])
	}
	return recs, nil
}
