package portstest

import (
	"context"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// storageClockGoesBackwards proves the timestamp rule when time stalls or
// goes backwards: timestamps keep increasing, and catch up with the clock.
func storageClockGoesBackwards(t *testing.T, s ports.Storage, clock *ManualClock) {
	ctx := context.Background()
	if ts, _ := s.Timestamp(ctx, stParent); ts != 1000 {
		t.Fatalf("Timestamp(new list) = %d, want the clock's 1000", ts)
	}
	a, err := s.Create(ctx, stParent, domain.Record{ID: "a"}, nil)
	if err != nil || a.LastModified != 1001 {
		t.Fatalf("Create at a stalled clock = %d, %v; want 1001", a.LastModified, err)
	}
	clock.Set(500)
	b, err := s.Create(ctx, stParent, domain.Record{ID: "b"}, nil)
	if err != nil || b.LastModified != 1002 {
		t.Errorf("Create with the clock gone back = %d, %v; want 1002", b.LastModified, err)
	}
	clock.Set(5000)
	c, err := s.Update(ctx, stParent, domain.Record{ID: "a"}, nil)
	if err != nil || c.LastModified != 5000 {
		t.Errorf("Update with the clock ahead = %d, %v; want 5000", c.LastModified, err)
	}
	if ts, _ := s.Timestamp(ctx, stParent); ts != 5000 {
		t.Errorf("Timestamp = %d, want 5000", ts)
	}
	// A list written before anyone read its timestamp starts at the clock.
	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/other"}
	clock.Set(7000)
	d, err := s.Create(ctx, other, domain.Record{ID: "d"}, nil)
	if err != nil || d.LastModified != 7000 {
		t.Errorf("first Create in a list never read = %d, %v; want the clock's 7000", d.LastModified, err)
	}
}

func storageTimestamp(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	t0 := stTimestamp(t, s, stParent)
	if t0 <= 0 {
		t.Fatalf("Timestamp(new list) = %d, want the current time", t0)
	}
	time.Sleep(3 * time.Millisecond)
	if got := stTimestamp(t, s, stParent); got != t0 {
		t.Fatalf("Timestamp read twice: %d then %d, want it stored", t0, got)
	}
	// Reads never move it.
	stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	_, _ = s.Count(ctx, stParent, nil)
	_, _ = s.Get(ctx, stParent, "nope")
	if got := stTimestamp(t, s, stParent); got != t0 {
		t.Errorf("Timestamp after reads = %d, want %d", got, t0)
	}

	last := t0
	check := func(label string, want int64) {
		t.Helper()
		got := stTimestamp(t, s, stParent)
		if got != want {
			t.Errorf("Timestamp after %s = %d, want %d", label, got, want)
		}
		if got < last {
			t.Errorf("Timestamp after %s went back from %d to %d", label, last, got)
		}
		last = got
	}
	a := stCreate(t, s, stParent, "a", `{}`)
	if a.LastModified <= t0 {
		t.Errorf("Create stamped %d, want above the list timestamp %d", a.LastModified, t0)
	}
	check("Create", a.LastModified)
	b := stCreate(t, s, stParent, "b", `{}`)
	check("second Create", b.LastModified)
	u, _ := s.Update(ctx, stParent, domain.Record{ID: "a", Data: map[string]any{"v": "x"}}, nil)
	check("Update", u.LastModified)
	d := stDelete(t, s, stParent, "b")
	check("Delete", d.LastModified)
	gone, err := s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest})
	if err != nil || len(gone) != 1 {
		t.Fatalf("DeleteMany = %v, %v; want one tombstone", gone, err)
	}
	check("DeleteMany", gone[0].LastModified)
	none, err := s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest})
	if err != nil || len(none) != 0 {
		t.Errorf("DeleteMany(nothing left) = %v, %v; want nothing", none, err)
	}
	check("an empty DeleteMany", gone[0].LastModified)

	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/other"}
	if got := stTimestamp(t, s, other); got > last+10_000 || got <= 0 {
		t.Errorf("Timestamp(other list) = %d, want its own clock-based value", got)
	}
	check("writes in another list", gone[0].LastModified)
}

func storageProposedTimestamps(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	create := func(id string, proposed int64) (domain.Record, error) {
		return s.Create(ctx, stParent, domain.Record{ID: id, LastModified: proposed, Data: map[string]any{}}, nil)
	}
	first := stCreate(t, s, stParent, "first", `{}`)
	T := first.LastModified

	future := T + 1_000_000
	r, err := create("future", future)
	if err != nil || r.LastModified != future || stTimestamp(t, s, stParent) != future {
		t.Fatalf("Create(proposed above T) = %d, %v; T %d; want both %d", r.LastModified, err, stTimestamp(t, s, stParent), future)
	}
	T = future

	r, err = create("equal", T)
	if err != nil || r.LastModified != T+1 || stTimestamp(t, s, stParent) != T+1 {
		t.Errorf("Create(proposed == T) = %d, %v; want T+1 = %d", r.LastModified, err, T+1)
	}
	T++

	past := T - 500_000
	r, err = create("past", past)
	if err != nil || r.LastModified != past {
		t.Errorf("Create(proposed in the past) = %d, %v; want %d", r.LastModified, err, past)
	}
	if got := stTimestamp(t, s, stParent); got != T {
		t.Errorf("Timestamp after importing a past object = %d, want unchanged %d", got, T)
	}
	got, _ := s.Get(ctx, stParent, "past")
	if got.LastModified != past {
		t.Errorf("Get(past).LastModified = %d, want %d", got.LastModified, past)
	}
	if recs := stList(t, s, stParent, domain.Query{Sort: byNewest}); stIDs(recs) != "equal,future,past,first" {
		t.Errorf("List(newest first) = %s, want equal,future,past,first", stIDs(recs))
	}

	_, err = create("clash", past)
	stWantKind(t, "Create(proposed timestamp of another object)", err, domain.Conflict)

	// On update, a proposal not above the object's timestamp is ignored.
	r, err = s.Update(ctx, stParent, domain.Record{ID: "past", LastModified: past, Data: map[string]any{"v": "1"}}, nil)
	if err != nil || r.LastModified != T+1 {
		t.Errorf("Update(proposal == object ts) = %d, %v; want a normal bump to %d", r.LastModified, err, T+1)
	}
	T++
	r, err = s.Update(ctx, stParent, domain.Record{ID: "first", LastModified: first.LastModified - 10, Data: map[string]any{}}, nil)
	if err != nil || r.LastModified != T+1 {
		t.Errorf("Update(proposal below object ts) = %d, %v; want %d", r.LastModified, err, T+1)
	}
	T++
	r, err = s.Update(ctx, stParent, domain.Record{ID: "first", LastModified: T + 50, Data: map[string]any{}}, nil)
	if err != nil || r.LastModified != T+50 {
		t.Errorf("Update(proposal above T) = %d, %v; want %d", r.LastModified, err, T+50)
	}
	T += 50

	tomb, err := s.Delete(ctx, stParent, "equal", T+7)
	if err != nil || tomb.LastModified != T+7 || stTimestamp(t, s, stParent) != T+7 {
		t.Errorf("Delete(proposal above T) = %d, %v; want %d", tomb.LastModified, err, T+7)
	}
	T += 7
	tomb, err = s.Delete(ctx, stParent, "future", 1)
	if err != nil || tomb.LastModified != T+1 {
		t.Errorf("Delete(proposal below the object) = %d, %v; want a normal bump to %d", tomb.LastModified, err, T+1)
	}
}
