package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// recorder is a listener keeping what it was told, failing on demand.
type recorder struct {
	mu      sync.Mutex
	changed []ports.ResourceChanged
	read    []ports.ResourceRead
	fail    error
}

func (r *recorder) Changed(_ context.Context, ev ports.ResourceChanged) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.changed = append(r.changed, ev)
	return nil
}

func (r *recorder) Read(_ context.Context, ev ports.ResourceRead) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.read = append(r.read, ev)
	return r.fail
}

// newBusEngine is an engine whose writes are units of a memory store
// through a bus with one in-unit and one after-commit recorder.
func newBusEngine(t *testing.T) (*app.Engine, *app.Bus, *recorder, *recorder, []error) {
	t.Helper()
	st := memory.NewStore(&fakeClock{now: 1000})
	var logged []error
	bus := app.NewBus(st, func(_ context.Context, err error) { logged = append(logged, err) })
	in, after := &recorder{}, &recorder{}
	bus.InUnit(in).AfterCommit(after)
	return app.NewEngine(st.Storage(), nil).WithUnits(bus), bus, in, after, logged
}

func TestInUnitListenerFailureRollsBack(t *testing.T) {
	e, _, in, after, _ := newBusEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	boom := errors.New("boom")
	in.fail = boom
	_, err := e.Create(ctx, req, app.Body{Data: map[string]any{"url": "http://a"}})
	if !errors.Is(err, boom) {
		t.Fatalf("Create with a failing in-unit listener: %v, want boom", err)
	}
	in.fail = nil
	page, err := e.List(ctx, req, domain.Query{})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("List after the rollback: %d records, err %v; want none", len(page.Records), err)
	}
	if len(after.changed) != 0 {
		t.Fatalf("after-commit listener saw %d events of a rolled-back unit, want 0", len(after.changed))
	}
}

func TestAfterCommitSeesCommittedChanges(t *testing.T) {
	e, _, in, after, _ := newBusEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	obj := mustCreate(t, e, req, map[string]any{"url": "http://a", "title": "A"})
	id := obj.Record.ID
	upd, err := e.Patch(ctx, req, id, func(cur map[string]any) (map[string]any, error) {
		cur["title"] = "B"
		return cur, nil
	}, app.ACLChange{})
	if err != nil {
		t.Fatalf("Patch: %v", err)
	}
	if _, err := e.Delete(ctx, req, id, 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for name, r := range map[string]*recorder{"in-unit": in, "after-commit": after} {
		if len(r.changed) != 3 {
			t.Fatalf("%s listener: %d events, want 3", name, len(r.changed))
		}
		c, u, d := r.changed[0], r.changed[1], r.changed[2]
		if c.Action != ports.EventCreate || u.Action != ports.EventUpdate || d.Action != ports.EventDelete {
			t.Fatalf("%s: actions %s %s %s, want create update delete", name, c.Action, u.Action, d.Action)
		}
		if c.URI != "/articles" || u.URI != "/articles/"+id || c.UserID != "basicauth:alice" || c.ResourceName != "article" {
			t.Fatalf("%s: create uri %q update uri %q user %q resource %q", name, c.URI, u.URI, c.UserID, c.ResourceName)
		}
		if c.Impacted[0].Old != nil || c.Impacted[0].New.ID != id {
			t.Fatalf("%s: create impacted %+v, want new only", name, c.Impacted[0])
		}
		if u.Impacted[0].Old.Data["title"] != "A" || u.Impacted[0].New.Data["title"] != "B" || u.Timestamp != upd.Record.LastModified {
			t.Fatalf("%s: update impacted %+v at %d", name, u.Impacted[0], u.Timestamp)
		}
		if !d.Impacted[0].New.Deleted || d.Impacted[0].Old.Data["title"] != "B" || d.IDs["article_id"] != id {
			t.Fatalf("%s: delete impacted %+v ids %v", name, d.Impacted[0], d.IDs)
		}
	}
	if len(after.read) != 0 {
		t.Fatalf("reads reported to listeners that want none: %d", len(after.read))
	}
}

// A batch groups its events per resource, parent and action, emits them
// after its one commit, and a nested unit that failed drops its own.
func TestBatchGroupsEventsAndDropsFailedNested(t *testing.T) {
	e, bus, _, after, _ := newBusEngine(t)
	ctx := context.Background()
	a := &app.Request{Resource: articles(), Caller: alice()}
	b := &app.Request{Resource: articles(), Caller: bob()}
	err := bus.Atomically(ctx, func(ctx context.Context) error {
		for _, req := range []*app.Request{a, b, a} {
			if _, err := e.Create(ctx, req, app.Body{Data: map[string]any{"url": "http://" + req.Caller.UserID + "/x"}}); err != nil &&
				domain.KindOf(err) != domain.Conflict {
				return err
			}
			if len(after.changed) != 0 {
				t.Fatalf("after-commit listener called before the batch committed")
			}
		}
		// A failed nested unit: its write and its event are undone.
		_, err := e.Create(ctx, a, app.Body{Data: map[string]any{"title": "no url"}})
		wantKind(t, "Create(invalid)", err, domain.Invalid)
		_, err = e.Create(ctx, a, app.Body{Data: map[string]any{"url": "http://c"}})
		return err
	})
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	if len(after.changed) != 2 {
		t.Fatalf("batch emitted %d events, want 2 (alice's creates, bob's)", len(after.changed))
	}
	if n := len(after.changed[0].Impacted); n != 2 || after.changed[0].UserID != "basicauth:alice" {
		t.Fatalf("first event: %d impacted by %q, want alice's 2 creates", n, after.changed[0].UserID)
	}
	if n := len(after.changed[1].Impacted); n != 1 {
		t.Fatalf("second event: %d impacted, want bob's 1", n)
	}
}

func TestRolledBackBatchEmitsNothing(t *testing.T) {
	e, bus, in, after, _ := newBusEngine(t)
	ctx := context.Background()
	req := &app.Request{Resource: articles(), Caller: alice()}
	abort := errors.New("abort")
	err := bus.Atomically(ctx, func(ctx context.Context) error {
		if _, err := e.Create(ctx, req, app.Body{Data: map[string]any{"url": "http://b"}}); err != nil {
			return err
		}
		return abort
	})
	if !errors.Is(err, abort) {
		t.Fatalf("batch: %v, want abort", err)
	}
	if len(in.changed) != 0 {
		t.Fatalf("in-unit listener ran for a unit that failed first: %d events", len(in.changed))
	}
	if len(after.changed) != 0 {
		t.Fatalf("after-commit events %+v of a rolled-back batch, want none", after.changed)
	}
	page, err := e.List(ctx, req, domain.Query{})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("List after the rolled-back batch: %d, %v; want none", len(page.Records), err)
	}
}

func TestAfterCommitFailureIsLoggedOnly(t *testing.T) {
	st := memory.NewStore(&fakeClock{now: 1000})
	var logged []error
	bus := app.NewBus(st, func(_ context.Context, err error) { logged = append(logged, err) })
	boom := errors.New("boom")
	bus.AfterCommit(&recorder{fail: boom})
	e := app.NewEngine(st.Storage(), nil).WithUnits(bus)
	mustCreate(t, e, &app.Request{Resource: articles(), Caller: alice()}, map[string]any{"url": "http://a"})
	if len(logged) != 1 || !errors.Is(logged[0], boom) {
		t.Fatalf("logged %v, want the listener's error once", logged)
	}
}

func TestReadEventsOnlyWhenWanted(t *testing.T) {
	st := memory.NewStore(&fakeClock{now: 1000})
	r := &recorder{}
	bus := app.NewBus(st, nil).AfterCommit(ports.Filtered{L: r, Actions: []ports.EventAction{ports.EventRead}})
	e := app.NewEngine(st.Storage(), nil).WithUnits(bus)
	req := &app.Request{Resource: articles(), Caller: alice()}
	obj := mustCreate(t, e, req, map[string]any{"url": "http://a"})
	if _, err := e.Get(context.Background(), req, obj.Record.ID); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(r.changed) != 0 || len(r.read) != 1 || r.read[0].Read[0].ID != obj.Record.ID || r.read[0].Action != ports.EventRead {
		t.Fatalf("read-only listener: %d changes, reads %+v", len(r.changed), r.read)
	}
}

// Over Unitless nothing is undone, but a failed unit's events are dropped.
func TestBusOverUnitless(t *testing.T) {
	s := memory.NewStorage(&fakeClock{now: 1000})
	r := &recorder{}
	bus := app.NewBus(ports.Unitless{S: s}, nil).AfterCommit(r)
	e := app.NewEngine(s, nil).WithUnits(bus)
	mustCreate(t, e, &app.Request{Resource: articles(), Caller: alice()}, map[string]any{"url": "http://a"})
	if len(r.changed) != 1 {
		t.Fatalf("Unitless: %d events, want 1", len(r.changed))
	}
}
