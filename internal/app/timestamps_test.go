package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// clockedEngine is an engine whose proposal bound reads the storage's fake
// clock, set at now.
func clockedEngine(t *testing.T, now int64) (*app.Engine, *fakeClock, *app.Request) {
	t.Helper()
	clock := &fakeClock{now: now}
	e := app.NewEngine(memory.NewStorage(clock), nil).WithClock(clock)
	res := &app.Resource{Name: "thing", Plural: "things", PerUser: true, IDs: app.RelaxedUUID4{}}
	return e, clock, &app.Request{Resource: res, Caller: alice()}
}

func wantLastModifiedIssue(t *testing.T, what string, err error, loc domain.Location, contains string) {
	t.Helper()
	e := domain.AsError(err)
	if e == nil || e.Kind != domain.Invalid || len(e.Issues) != 1 || e.Issues[0].Name != "last_modified" ||
		e.Issues[0].Location != loc || !strings.Contains(e.Issues[0].Description, contains) {
		t.Fatalf("%s: %v, want an Invalid issue on last_modified in %s mentioning %q", what, err, loc, contains)
	}
}

func listTimestamp(t *testing.T, e *app.Engine, req *app.Request) int64 {
	t.Helper()
	ts, err := e.Timestamp(context.Background(), req)
	if err != nil {
		t.Fatalf("Timestamp: %v", err)
	}
	return ts
}

// As in Kinto, a last_modified that is not an integer is no proposal.
func TestNonIntegerLastModifiedIsIgnored(t *testing.T) {
	const now = 1_000_000
	e, _, req := clockedEngine(t, now)
	for i, v := range []any{json.Number("5000.5"), json.Number("5000.0"), json.Number("1e30"), json.Number("-1e30"),
		"5000", true, false, nil, []any{json.Number("5000")}, map[string]any{}} {
		obj := mustCreate(t, e, req, map[string]any{"id": fmt.Sprint("r", i), "last_modified": v})
		if obj.Record.LastModified < now || obj.Record.LastModified > now+100 {
			t.Errorf("Create(last_modified %#v) stamped %d, want the clock's %d (bumped)", v, obj.Record.LastModified, now)
		}
		if _, has := obj.Record.Data["last_modified"]; has {
			t.Errorf("Create(last_modified %#v) kept it in the data", v)
		}
	}
}

func TestProposedLastModifiedOnCreate(t *testing.T) {
	const now = 1_000_000
	ctx := context.Background()
	cases := []struct {
		value    json.Number
		contains string // "" when accepted
	}{
		{"-1", "less than minimum value 0"},
		{"-99999999999999999999", "less than minimum value 0"},
		{json.Number(fmt.Sprint(now + app.MaxProposalAhead + 1)), "more than one hour ahead"},
		{"9223372036854775807", "more than one hour ahead"},
		{"9223372036854775808", "out of range"},
		{"1000000000000000000000000000000", "out of range"},
		{json.Number(fmt.Sprint(now + app.MaxProposalAhead)), ""},
		{"500", ""}, // importing old data: kept, the list timestamp unmoved
		{"0", ""},   // no proposal
	}
	for _, c := range cases {
		e, _, req := clockedEngine(t, now)
		before := listTimestamp(t, e, req)
		obj, err := e.Create(ctx, req, app.Body{Data: map[string]any{"id": "r", "last_modified": c.value}})
		if c.contains != "" {
			wantLastModifiedIssue(t, fmt.Sprintf("Create(last_modified %s)", c.value), err, domain.InBody, c.contains)
			if page, err := e.List(ctx, req, domain.Query{}); err != nil || len(page.Records) != 0 || page.Timestamp != before {
				t.Errorf("refused Create(last_modified %s) left %d records, timestamp %d (was %d), %v", c.value, len(page.Records), page.Timestamp, before, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Create(last_modified %s): %v", c.value, err)
		}
		want, _ := c.value.Int64()
		if want == 0 {
			want = before + 1
		}
		if obj.Record.LastModified != want {
			t.Errorf("Create(last_modified %s) stamped %d, want %d", c.value, obj.Record.LastModified, want)
		}
		if ts := listTimestamp(t, e, req); ts > now+app.MaxProposalAhead {
			t.Errorf("Create(last_modified %s) pinned the list at %d, beyond the bound", c.value, ts)
		}
	}
}

func TestProposedLastModifiedOnUpdates(t *testing.T) {
	const now = 1_000_000
	ctx := context.Background()
	e, clock, req := clockedEngine(t, now)
	obj := mustCreate(t, e, req, map[string]any{"id": "r", "last_modified": json.Number(fmt.Sprint(now + app.MaxProposalAhead))})
	ts := obj.Record.LastModified
	// The clock goes back: the object's own timestamp is now more than an
	// hour ahead, yet echoing it (as clients do) is no proposal at all.
	clock.now = now - 10_000
	far := json.Number(fmt.Sprint(clock.now + app.MaxProposalAhead + 1))
	if far == json.Number(fmt.Sprint(ts)) {
		t.Fatal("test setup: the echo must differ from the refused value")
	}
	got, err := e.Replace(ctx, req, "r", app.Body{Data: map[string]any{"last_modified": json.Number(fmt.Sprint(ts))}})
	if err != nil || got.Record.LastModified != ts+1 {
		t.Fatalf("Replace(echoed last_modified) = %d, %v; want a bump to %d", got.Record.LastModified, err, ts+1)
	}
	ts = got.Record.LastModified
	got, err = e.Patch(ctx, req, "r", app.ShallowPatch(map[string]any{"a": json.Number("1")}), app.ACLChange{})
	if err != nil || got.Record.LastModified != ts+1 {
		t.Fatalf("Patch (current last_modified in the data) = %d, %v; want a bump to %d", got.Record.LastModified, err, ts+1)
	}
	ts = got.Record.LastModified
	// A negative proposal on an update is below the object's: dropped.
	got, err = e.Patch(ctx, req, "r", app.ShallowPatch(map[string]any{"last_modified": json.Number("-5")}), app.ACLChange{})
	if err != nil || got.Record.LastModified != ts+1 {
		t.Fatalf("Patch(last_modified -5) = %d, %v; want a bump to %d", got.Record.LastModified, err, ts+1)
	}
	ts = got.Record.LastModified

	clock.now = now
	tooFar := json.Number(fmt.Sprint(now + app.MaxProposalAhead + 1_000))
	_, err = e.Replace(ctx, req, "r", app.Body{Data: map[string]any{"last_modified": tooFar}})
	wantLastModifiedIssue(t, "Replace(last_modified too far)", err, domain.InBody, "more than one hour ahead")
	_, err = e.Patch(ctx, req, "r", app.ShallowPatch(map[string]any{"last_modified": json.Number("99999999999999999999")}), app.ACLChange{})
	wantLastModifiedIssue(t, "Patch(last_modified beyond int64)", err, domain.InBody, "out of range")
	patch, err := app.JSONPatch([]app.JSONPatchOp{{Op: "replace", Path: "/data/last_modified", Value: []byte(tooFar)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Patch(ctx, req, "r", patch, app.ACLChange{})
	wantLastModifiedIssue(t, "JSONPatch(last_modified too far)", err, domain.InBody, "more than one hour ahead")
	_, err = e.Delete(ctx, req, "r", math.MaxInt64)
	wantLastModifiedIssue(t, "Delete(last_modified MaxInt64)", err, domain.InQuerystring, "more than one hour ahead")
	if listTimestamp(t, e, req) != ts {
		t.Fatalf("refused writes moved the list timestamp")
	}
	clock.now = ts
	tomb, err := e.Delete(ctx, req, "r", ts+5)
	if err != nil || tomb.Record.LastModified != ts+5 {
		t.Fatalf("Delete(last_modified T+5) = %d, %v; want %d", tomb.Record.LastModified, err, ts+5)
	}
}
