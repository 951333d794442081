package app_test

import (
	"context"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// fakeClock is a clock tests move by hand, backwards too.
type fakeClock struct{ now int64 }

func (c *fakeClock) NowMillis() int64 { return c.now }

func articles() *app.Resource {
	return &app.Resource{
		Name:           "article",
		Plural:         "articles",
		PerUser:        true,
		IDs:            app.UUID4{},
		Schema:         app.MustCompileSchema(`{"type":"object","properties":{"title":{"type":"string"},"url":{"type":"string"}},"required":["url"]}`),
		ReadonlyFields: []string{"url"},
		UniqueFields:   []string{"url"},
	}
}

func alice() app.Caller {
	return app.Caller{UserID: "basicauth:alice", Principals: []string{"basicauth:alice", app.Everyone, app.Authenticated}}
}

func bob() app.Caller {
	return app.Caller{UserID: "basicauth:bob", Principals: []string{"basicauth:bob", app.Everyone, app.Authenticated}}
}

func anonymous() app.Caller { return app.Caller{Principals: []string{app.Everyone}} }

func newEngine(t *testing.T) (*app.Engine, *fakeClock) {
	t.Helper()
	clock := &fakeClock{now: 1000}
	return app.NewEngine(memory.NewStorage(clock), nil), clock
}

func wantKind(t *testing.T, what string, err error, k domain.Kind) {
	t.Helper()
	if got := domain.KindOf(err); err == nil || got != k {
		t.Fatalf("%s: error %v (kind %v), want kind %v", what, err, got, k)
	}
}

func mustCreate(t *testing.T, e *app.Engine, req *app.Request, data map[string]any) app.Object {
	t.Helper()
	obj, err := e.Create(context.Background(), req, app.Body{Data: data})
	if err != nil {
		t.Fatalf("Create(%v): %v", data, err)
	}
	return obj
}

func TestPerUserResourceIsolatesUsers(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	res := articles()
	a := &app.Request{Resource: res, Caller: alice()}
	b := &app.Request{Resource: res, Caller: bob()}
	obj := mustCreate(t, e, a, map[string]any{"url": "http://a", "title": "A"})
	if !obj.Created || obj.Record.ID == "" {
		t.Fatalf("Create: created %v id %q, want a new object", obj.Created, obj.Record.ID)
	}
	if _, err := e.Get(ctx, b, obj.Record.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("Get(other user's object): %v, want NotFound", err)
	}
	page, err := e.List(ctx, b, domain.Query{Sort: []domain.Sort{{Field: "last_modified", Desc: true}}})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("List(bob): %d records, err %v; want none", len(page.Records), err)
	}
	_, err = e.List(ctx, &app.Request{Resource: res, Caller: anonymous()}, domain.Query{})
	wantKind(t, "List(anonymous)", err, domain.Unauthenticated)
}

func TestCreateWithExistingIDReturnsExisting(t *testing.T) {
	e, _ := newEngine(t)
	res := articles()
	req := &app.Request{Resource: res, Caller: alice()}
	first := mustCreate(t, e, req, map[string]any{"url": "http://a"})
	again := mustCreate(t, e, req, map[string]any{"id": first.Record.ID, "url": "http://other"})
	if again.Created || again.Record.Data["url"] != "http://a" {
		t.Fatalf("Create(existing id): created %v data %v, want the existing object", again.Created, again.Record.Data)
	}
	_, err := e.Create(context.Background(), req, app.Body{Data: map[string]any{"id": "not a uuid", "url": "x"}})
	wantKind(t, "Create(bad id)", err, domain.Invalid)
	_, err = e.Create(context.Background(), req, app.Body{Data: map[string]any{"id": 42, "url": "x"}})
	wantKind(t, "Create(numeric id)", err, domain.Invalid)
}

func TestValidationReadonlyAndUnique(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	_, err := e.Create(ctx, req, app.Body{Data: map[string]any{"title": "no url"}})
	wantKind(t, "Create(missing required)", err, domain.Invalid)
	if iss := domain.AsError(err).Issues; len(iss) != 1 || iss[0].Name != "url" || iss[0].Description != "'url' is a required property" {
		t.Fatalf("Create(missing required): issues %+v, want url required", iss)
	}
	_, err = e.Create(ctx, req, app.Body{Data: map[string]any{"url": 42}})
	wantKind(t, "Create(wrong type)", err, domain.Invalid)
	if iss := domain.AsError(err).Issues; iss[0].Name != "url" || iss[0].Description != "42 is not of type 'string'" {
		t.Fatalf("Create(wrong type): issues %+v", iss)
	}
	obj := mustCreate(t, e, req, map[string]any{"url": "http://a"})
	_, err = e.Create(ctx, req, app.Body{Data: map[string]any{"url": "http://a"}})
	wantKind(t, "Create(duplicate unique url)", err, domain.Conflict)
	if ex := domain.AsError(err).Existing; ex == nil || ex.ID != obj.Record.ID {
		t.Fatalf("Create(duplicate unique url): existing %v, want %s", ex, obj.Record.ID)
	}
	_, err = e.Patch(ctx, req, obj.Record.ID, app.ShallowPatch(map[string]any{"url": "http://b"}), app.ACLChange{})
	wantKind(t, "Patch(readonly url)", err, domain.Invalid)
	if d := domain.AsError(err).Issues[0].Description; d != "Cannot modify url" {
		t.Fatalf("Patch(readonly url): %q, want Cannot modify url", d)
	}
	// Sending the readonly field unchanged is fine, and PUT keeps it when omitted.
	put, err := e.Replace(ctx, req, obj.Record.ID, app.Body{Data: map[string]any{"title": "T"}})
	if err != nil || put.Record.Data["url"] != "http://a" || put.Created {
		t.Fatalf("Replace(without readonly field): %v %v, want url kept", put.Record.Data, err)
	}
}

func TestTimestampsAndPreconditions(t *testing.T) {
	e, clock := newEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	o1 := mustCreate(t, e, req, map[string]any{"url": "1"})
	clock.now = 500 // the clock goes backwards
	o2 := mustCreate(t, e, req, map[string]any{"url": "2"})
	if o2.Record.LastModified <= o1.Record.LastModified {
		t.Fatalf("timestamps %d then %d, want strictly increasing", o1.Record.LastModified, o2.Record.LastModified)
	}
	stale := &app.Request{Resource: req.Resource, Caller: alice(), Pre: domain.Preconditions{IfMatch: domain.ETagCondition{Set: true, TS: o1.Record.LastModified - 1}}}
	_, err := e.Patch(ctx, stale, o1.Record.ID, app.ShallowPatch(map[string]any{"title": "x"}), app.ACLChange{})
	wantKind(t, "Patch(stale If-Match)", err, domain.PreconditionFailed)
	if ex := domain.AsError(err).Existing; ex == nil || ex.ID != o1.Record.ID {
		t.Fatalf("Patch(stale If-Match): existing %v, want the current object", ex)
	}
	get := &app.Request{Resource: req.Resource, Caller: alice(), Pre: domain.Preconditions{IfNoneMatch: domain.ETagCondition{Set: true, TS: o1.Record.LastModified}}}
	got, err := e.Get(ctx, get, o1.Record.ID)
	if err != nil || !got.NotModified {
		t.Fatalf("Get(If-None-Match current): notModified %v err %v, want 304", got.NotModified, err)
	}
	tomb, err := e.Delete(ctx, req, o1.Record.ID, 0)
	if err != nil || !tomb.Record.Deleted || tomb.Record.LastModified <= o2.Record.LastModified {
		t.Fatalf("Delete: %+v %v, want a newer tombstone", tomb.Record, err)
	}
	_, err = e.Delete(ctx, req, o1.Record.ID, 0)
	wantKind(t, "Delete(again)", err, domain.NotFound)
	ts, err := e.Timestamp(ctx, req)
	if err != nil || ts != tomb.Record.LastModified {
		t.Fatalf("Timestamp after delete: %d %v, want %d", ts, err, tomb.Record.LastModified)
	}
	since := domain.Query{Filters: []domain.Filter{{Field: "last_modified", Op: domain.OpGt, Value: o1.Record.LastModified}}, Sort: []domain.Sort{{Field: "last_modified", Desc: true}}, WithDeleted: true}
	page, err := e.List(ctx, req, since)
	if err != nil || len(page.Records) != 2 || !page.Records[0].Deleted {
		t.Fatalf("List(_since): %+v %v, want the tombstone then o2", page.Records, err)
	}
}

func TestListPagingCursor(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	for i := range 7 {
		mustCreate(t, e, req, map[string]any{"url": string(rune('a' + i))})
	}
	q := domain.Query{Sort: []domain.Sort{{Field: "url"}, {Field: "last_modified", Desc: true}}, Limit: 3}
	var urls []any
	for {
		page, err := e.List(ctx, req, q)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, r := range page.Records {
			urls = append(urls, r.Data["url"])
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}
	if len(urls) != 7 || urls[0] != "a" || urls[6] != "g" {
		t.Fatalf("paged urls %v, want a..g in order", urls)
	}
}

func TestPatchFlavours(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	res := &app.Resource{Name: "thing", Plural: "things", PerUser: true, IDs: app.RelaxedUUID4{}}
	req := &app.Request{Resource: res, Caller: alice()}
	obj := mustCreate(t, e, req, map[string]any{"id": "t1", "a": map[string]any{"x": 1, "y": 2}, "b": 1})
	got, err := e.Patch(ctx, req, "t1", app.MergePatch(map[string]any{"a": map[string]any{"x": nil}, "b": nil}), app.ACLChange{})
	if err != nil {
		t.Fatalf("MergePatch: %v", err)
	}
	if _, has := got.Record.Data["b"]; has || len(got.Record.Data["a"].(map[string]any)) != 1 {
		t.Fatalf("MergePatch: %v, want b removed and a.x removed", got.Record.Data)
	}
	if got.Record.LastModified <= obj.Record.LastModified {
		t.Fatalf("Patch did not bump the timestamp")
	}
	patch, err := app.JSONPatch([]app.JSONPatchOp{{Op: "add", Path: "/data/c", Value: []byte(`[1]`)}})
	if err != nil {
		t.Fatalf("JSONPatch: %v", err)
	}
	got, err = e.Patch(ctx, req, "t1", patch, app.ACLChange{})
	if err != nil || got.Record.Data["c"] == nil {
		t.Fatalf("JSONPatch apply: %v %v", got.Record.Data, err)
	}
	bad, err := app.JSONPatch([]app.JSONPatchOp{{Op: "remove", Path: "/data/missing"}})
	if err == nil {
		_, err = e.Patch(ctx, req, "t1", bad, app.ACLChange{})
	}
	wantKind(t, "JSONPatch(remove missing)", err, domain.Invalid)
	_, err = app.JSONPatch([]app.JSONPatchOp{{Op: "frobnicate", Path: "/data/a"}})
	wantKind(t, "JSONPatch(unknown op)", err, domain.Invalid)
	_, err = e.Patch(ctx, req, "t1", app.ShallowPatch(map[string]any{"id": "other"}), app.ACLChange{})
	wantKind(t, "Patch(id change)", err, domain.Invalid)
}

func TestDeleteListPages(t *testing.T) {
	e, _ := newEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	for i := range 5 {
		mustCreate(t, e, req, map[string]any{"url": string(rune('a' + i))})
	}
	q := domain.Query{Sort: []domain.Sort{{Field: "last_modified", Desc: true}}, Limit: 2}
	total := 0
	for range 5 {
		page, err := e.DeleteList(ctx, req, q)
		if err != nil {
			t.Fatalf("DeleteList: %v", err)
		}
		total += len(page.Records)
		if page.Next == nil {
			break
		}
	}
	if total != 5 {
		t.Fatalf("DeleteList deleted %d in all, want 5", total)
	}
}
