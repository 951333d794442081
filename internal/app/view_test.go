package app_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

var archivedOnly = domain.Filter{Field: "archived", Op: domain.OpEq, Value: true}

// archiveView shows the archived objects of articles() at its own paths.
func archiveView(readOnly bool) *app.Resource {
	return &app.Resource{
		Name:         "archive",
		Plural:       "archive",
		StorageName:  "article",
		PerUser:      true,
		IDs:          app.UUID4{},
		FixedFilters: []domain.Filter{archivedOnly},
		ReadOnly:     readOnly,
	}
}

// viewFixture is alice's articles, one archived and one not, written
// through articles() on the storage the engine shares with the view.
type viewFixture struct {
	engine               *app.Engine
	clock                *fakeClock
	articles, view       *app.Request
	archived, unarchived string
}

func newViewFixture(t *testing.T, readOnly bool) viewFixture {
	t.Helper()
	e, clock := newEngine(t)
	f := viewFixture{
		engine:   e,
		clock:    clock,
		articles: &app.Request{Resource: articles(), Caller: alice()},
		view:     &app.Request{Resource: archiveView(readOnly), Caller: alice()},
	}
	f.archived = mustCreate(t, e, f.articles, map[string]any{"url": "http://a", "archived": true}).Record.ID
	clock.now++
	f.unarchived = mustCreate(t, e, f.articles, map[string]any{"url": "http://b", "archived": false}).Record.ID
	clock.now++
	return f
}

// ids returns the ids of recs.
func ids(recs []domain.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func wantOnly(t *testing.T, what string, recs []domain.Record, id string) {
	t.Helper()
	if len(recs) != 1 || recs[0].ID != id {
		t.Errorf("%s: %v, want only %s", what, ids(recs), id)
	}
}

func TestFixedFiltersNarrowEveryRead(t *testing.T) {
	f := newViewFixture(t, true)
	ctx := context.Background()
	e := f.engine

	page, err := e.List(ctx, f.view, domain.Query{})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	wantOnly(t, "List", page.Records, f.archived)

	// _since is a filter on last_modified with tombstones: the fixed
	// filter applies to it as to any other.
	since := domain.Query{Filters: []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: json.Number("0")}}, WithDeleted: true}
	page, err = e.List(ctx, f.view, since)
	if err != nil {
		t.Fatalf("List _since: %v", err)
	}
	wantOnly(t, "List _since", page.Records, f.archived)

	// Querystring filters apply on top of the fixed ones.
	page, err = e.List(ctx, f.view, domain.Query{Filters: []domain.Filter{{Field: "url", Op: domain.OpEq, Value: "http://b"}}})
	if err != nil || len(page.Records) != 0 {
		t.Errorf("List url=http://b: %v, err %v; want none (it is not archived)", ids(page.Records), err)
	}

	ts, n, _, err := e.Count(ctx, f.view, nil)
	if err != nil || n != 1 {
		t.Errorf("Count: %d, err %v; want 1", n, err)
	}
	// The view's timestamp is its storage list's: any article write may
	// change what it shows.
	if want, _ := e.Timestamp(ctx, f.articles); ts != want {
		t.Errorf("Count timestamp %d, want the articles' %d", ts, want)
	}

	if obj, err := e.Get(ctx, f.view, f.archived); err != nil || obj.Record.ID != f.archived {
		t.Errorf("Get(archived): %v, err %v; want it", obj.Record.ID, err)
	}
	_, err = e.Get(ctx, f.view, f.unarchived)
	wantKind(t, "Get(unarchived)", err, domain.NotFound)
	if de := domain.AsError(err); de == nil || de.Resource != "archive" {
		t.Errorf("Get(unarchived): %v, want a NotFound naming the view's resource", err)
	}

	p, err := e.OpenChanges(ctx, f.view)
	if err != nil {
		t.Fatalf("OpenChanges: %v", err)
	}
	changes, err := e.ChangesSince(ctx, f.view, p, 0, 10)
	if err != nil {
		t.Fatalf("ChangesSince: %v", err)
	}
	wantOnly(t, "ChangesSince", changes, f.archived)

	// The articles themselves are not narrowed.
	page, err = e.List(ctx, f.articles, domain.Query{})
	if err != nil || len(page.Records) != 2 {
		t.Errorf("List articles: %v, err %v; want both", ids(page.Records), err)
	}
}

func TestFixedFiltersBoundWrites(t *testing.T) {
	f := newViewFixture(t, false)
	ctx := context.Background()
	e := f.engine

	// An object outside the view is missing for PATCH and DELETE…
	_, err := e.Patch(ctx, f.view, f.unarchived, app.ShallowPatch(map[string]any{"title": "x"}), app.ACLChange{})
	wantKind(t, "Patch(unarchived)", err, domain.NotFound)
	_, err = e.Delete(ctx, f.view, f.unarchived, 0)
	wantKind(t, "Delete(unarchived)", err, domain.NotFound)
	// …and PUT or POST of its id may not overwrite it.
	_, err = e.Replace(ctx, f.view, f.unarchived, app.Body{Data: map[string]any{"url": "http://b", "archived": true}})
	wantKind(t, "Replace(unarchived)", err, domain.Forbidden)
	_, err = e.Create(ctx, f.view, app.Body{Data: map[string]any{"id": f.unarchived, "url": "http://b", "archived": true}})
	wantKind(t, "Create(id of unarchived)", err, domain.Forbidden)

	// A write whose result leaves the view is refused, naming the field.
	for name, write := range map[string]func() error{
		"Create": func() error {
			_, err := e.Create(ctx, f.view, app.Body{Data: map[string]any{"url": "http://c", "archived": false}})
			return err
		},
		"Create without the field": func() error {
			_, err := e.Create(ctx, f.view, app.Body{Data: map[string]any{"url": "http://c"}})
			return err
		},
		"Patch": func() error {
			_, err := e.Patch(ctx, f.view, f.archived, app.ShallowPatch(map[string]any{"archived": false}), app.ACLChange{})
			return err
		},
		"Replace": func() error {
			_, err := e.Replace(ctx, f.view, f.archived, app.Body{Data: map[string]any{"url": "http://a"}})
			return err
		},
	} {
		err := write()
		wantKind(t, name+" leaving the view", err, domain.Invalid)
		if de := domain.AsError(err); len(de.Issues) != 1 || de.Issues[0].Name != "archived" || de.Issues[0].Location != domain.InBody {
			t.Errorf("%s leaving the view: issues %v, want one on body field archived", name, de.Issues)
		}
	}

	// Writes inside the view go through, to the shared storage.
	created := mustCreate(t, e, f.view, map[string]any{"url": "http://c", "archived": true})
	f.clock.now++
	if _, err := e.Get(ctx, f.articles, created.Record.ID); err != nil {
		t.Errorf("Get through articles of an object created through the view: %v", err)
	}
	if _, err := e.Patch(ctx, f.view, f.archived, app.ShallowPatch(map[string]any{"title": "kept"}), app.ACLChange{}); err != nil {
		t.Errorf("Patch inside the view: %v", err)
	}
	f.clock.now++

	// Deleting the view's list deletes what it shows, nothing else.
	page, err := e.DeleteList(ctx, f.view, domain.Query{})
	if err != nil {
		t.Fatalf("DeleteList: %v", err)
	}
	if got := ids(page.Records); len(got) != 2 {
		t.Errorf("DeleteList deleted %v, want the two archived articles", got)
	}
	left, err := e.List(ctx, f.articles, domain.Query{})
	if err != nil {
		t.Fatalf("List articles: %v", err)
	}
	wantOnly(t, "articles after DeleteList of the view", left.Records, f.unarchived)
}

func TestReadOnlyRefusesEveryWrite(t *testing.T) {
	f := newViewFixture(t, true)
	ctx := context.Background()
	e := f.engine
	before, err := e.Timestamp(ctx, f.articles)
	if err != nil {
		t.Fatalf("Timestamp: %v", err)
	}
	body := func() (app.Body, error) {
		return app.Body{Data: map[string]any{"url": "http://z", "archived": true}}, nil
	}
	patch := func() (app.Patcher, app.ACLChange, error) {
		return app.ShallowPatch(map[string]any{"title": "x"}), app.ACLChange{}, nil
	}
	// Anonymous callers are refused the same way: the method is what is
	// wrong, whoever asks (as the http routes answer 405 before 401).
	for _, caller := range []app.Caller{alice(), anonymous()} {
		req := &app.Request{Resource: f.view.Resource, Caller: caller}
		writes := map[string]func() error{
			"Create": func() error {
				_, err := e.Create(ctx, req, app.Body{Data: map[string]any{"url": "http://z", "archived": true}})
				return err
			},
			"Replace": func() error {
				_, err := e.Replace(ctx, req, f.archived, app.Body{Data: map[string]any{"url": "http://a", "archived": true}})
				return err
			},
			"Patch": func() error {
				_, err := e.Patch(ctx, req, f.archived, app.ShallowPatch(map[string]any{"title": "x"}), app.ACLChange{})
				return err
			},
			"Delete":      func() error { _, err := e.Delete(ctx, req, f.archived, 0); return err },
			"DeleteList":  func() error { _, err := e.DeleteList(ctx, req, domain.Query{}); return err },
			"CreateFrom":  func() error { _, err := e.CreateFrom(ctx, req, "", body); return err },
			"ReplaceFrom": func() error { _, err := e.ReplaceFrom(ctx, req, f.archived, body); return err },
			"PatchFrom":   func() error { _, err := e.PatchFrom(ctx, req, f.archived, patch); return err },
		}
		for name, write := range writes {
			wantKind(t, name+" as "+caller.UserID, write(), domain.MethodNotAllowed)
		}
	}
	after, err := e.Timestamp(ctx, f.articles)
	if err != nil || after != before {
		t.Errorf("articles timestamp %d after refused writes (err %v), want %d unchanged", after, err, before)
	}
	// Reads still work.
	if _, err := e.Get(ctx, f.view, f.archived); err != nil {
		t.Errorf("Get on the read-only view: %v", err)
	}
	// Only the view is read-only: its storage's own resource writes.
	if _, err := e.Patch(ctx, f.articles, f.archived, app.ShallowPatch(map[string]any{"archived": false}), app.ACLChange{}); err != nil {
		t.Errorf("Patch through articles: %v", err)
	}
	if _, err := e.Get(ctx, f.view, f.archived); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get on the view after unarchiving: %v, want NotFound", err)
	}
}
