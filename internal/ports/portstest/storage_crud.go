package portstest

import (
	"context"
	"fmt"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

func storageHealthy(t *testing.T, s ports.Storage) {
	if err := s.Healthy(context.Background()); err != nil {
		t.Errorf("Healthy: %v, want nil", err)
	}
}

func storageCRUD(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	created := stCreate(t, s, stParent, "a1", `{"title":"one","n":12345678901234567890,"nested":{"x":[1,"two",null]}}`)
	if created.ID != "a1" || created.LastModified <= 0 || created.Deleted {
		t.Fatalf("Create = %+v, want live a1 with a timestamp", created)
	}
	want := `{"id":"a1","last_modified":` + fmt.Sprint(created.LastModified) + `,"n":12345678901234567890,"nested":{"x":[1,"two",null]},"title":"one"}`
	if got := stJSON(t, created); got != want {
		t.Errorf("Create = %s, want %s", got, want)
	}
	got, err := s.Get(ctx, stParent, "a1")
	if err != nil || stJSON(t, got) != want {
		t.Errorf("Get(a1) = %s, %v; want %s", stJSON(t, got), err, want)
	}

	_, err = s.Create(ctx, stParent, domain.Record{ID: "a1", Data: stData(t, `{"title":"dup"}`)}, nil)
	stWantKind(t, "Create(duplicate id)", err, domain.Conflict)
	if e := domain.AsError(err); e == nil || e.Existing == nil || e.Existing.ID != "a1" {
		t.Errorf("Create(duplicate id): Existing = %+v, want a1", e)
	}

	_, err = s.Get(ctx, stParent, "missing")
	stWantKind(t, "Get(missing)", err, domain.NotFound)
	_, err = s.Delete(ctx, stParent, "missing", 0)
	stWantKind(t, "Delete(missing)", err, domain.NotFound)

	updated, err := s.Update(ctx, stParent, domain.Record{ID: "a1", Data: stData(t, `{"title":"uno"}`)}, nil)
	if err != nil || updated.LastModified <= created.LastModified || stJSON(t, updated.Data) != `{"title":"uno"}` {
		t.Errorf("Update(a1) = %+v, %v; want replaced data and a newer timestamp", updated, err)
	}
	if got, _ := s.Get(ctx, stParent, "a1"); stJSON(t, got.Data) != `{"title":"uno"}` {
		t.Errorf("Get after Update = %s, want replaced data", stJSON(t, got.Data))
	}

	fresh, err := s.Update(ctx, stParent, domain.Record{ID: "b2", Data: stData(t, `{"title":"two"}`)}, nil)
	if err != nil || fresh.ID != "b2" || fresh.LastModified <= updated.LastModified {
		t.Errorf("Update(absent b2) = %+v, %v; want it created", fresh, err)
	}

	tomb := stDelete(t, s, stParent, "a1")
	if !tomb.Deleted || tomb.ID != "a1" || tomb.LastModified <= fresh.LastModified || len(tomb.Data) != 0 {
		t.Errorf("Delete(a1) = %+v, want a tombstone with a newer timestamp", tomb)
	}
	if got := stJSON(t, tomb); got != `{"deleted":true,"id":"a1","last_modified":`+fmt.Sprint(tomb.LastModified)+`}` {
		t.Errorf("tombstone JSON = %s", got)
	}
	_, err = s.Get(ctx, stParent, "a1")
	stWantKind(t, "Get(deleted)", err, domain.NotFound)
	_, err = s.Delete(ctx, stParent, "a1", 0)
	stWantKind(t, "Delete(deleted)", err, domain.NotFound)

	again, err := s.Update(ctx, stParent, domain.Record{ID: "a1", Data: stData(t, `{"title":"back"}`)}, nil)
	if err != nil || again.Deleted || again.LastModified <= tomb.LastModified {
		t.Errorf("Update(tombstone) = %+v, %v; want a live object", again, err)
	}
	stDelete(t, s, stParent, "b2")
	recreated, err := s.Create(ctx, stParent, domain.Record{ID: "b2", Data: stData(t, `{"title":"deux"}`)}, nil)
	if err != nil || recreated.Deleted {
		t.Errorf("Create(over tombstone) = %+v, %v; want a live object", recreated, err)
	}
	if got, err := s.Get(ctx, stParent, "b2"); err != nil || stJSON(t, got.Data) != `{"title":"deux"}` {
		t.Errorf("Get(recreated) = %+v, %v", got, err)
	}
	if n, err := s.Count(ctx, stParent, nil); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
}

func storageParentsIsolated(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/d"}
	otherRes := domain.Parent{Resource: "group", ID: stParent.ID}
	stCreate(t, s, stParent, "x", `{"v":1}`)
	stCreate(t, s, other, "x", `{"v":2}`)
	stCreate(t, s, otherRes, "x", `{"v":3}`)
	for i, p := range []domain.Parent{stParent, other, otherRes} {
		got, err := s.Get(ctx, p, "x")
		if err != nil || stJSON(t, got.Data) != fmt.Sprintf(`{"v":%d}`, i+1) {
			t.Errorf("Get(%v, x) = %+v, %v; want v=%d", p, got, err, i+1)
		}
		if n, _ := s.Count(ctx, p, nil); n != 1 {
			t.Errorf("Count(%v) = %d, want 1", p, n)
		}
	}
	stDelete(t, s, other, "x")
	if _, err := s.Get(ctx, stParent, "x"); err != nil {
		t.Errorf("Get(x) after deleting a namesake elsewhere: %v", err)
	}
	if _, err := s.Get(ctx, domain.Parent{Resource: "record", ID: "/nowhere"}, "x"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(unknown parent): kind %v, want NotFound", domain.KindOf(err))
	}
	if recs := stList(t, s, domain.Parent{Resource: "record", ID: "/nowhere"}, domain.Query{Sort: byNewest}); len(recs) != 0 {
		t.Errorf("List(unknown parent) = %s, want nothing", stIDs(recs))
	}
}

func storageUnique(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	unique := []string{"url", "meta.key"}
	create := func(id, data string) (domain.Record, error) {
		return s.Create(ctx, stParent, domain.Record{ID: id, Data: stData(t, data)}, unique)
	}
	update := func(id, data string) (domain.Record, error) {
		return s.Update(ctx, stParent, domain.Record{ID: id, Data: stData(t, data)}, unique)
	}
	if _, err := create("a", `{"url":"http://a","meta":{"key":"ka"}}`); err != nil {
		t.Fatalf("Create(a): %v", err)
	}
	if _, err := create("b", `{"url":"http://b"}`); err != nil {
		t.Fatalf("Create(b): %v", err)
	}

	_, err := create("c", `{"url":"http://a"}`)
	stWantKind(t, "Create(taken url)", err, domain.Conflict)
	if e := domain.AsError(err); e == nil || e.Existing == nil || e.Existing.ID != "a" {
		t.Errorf("Create(taken url): Existing = %+v, want a", e)
	}
	_, err = create("c", `{"url":"http://c","meta":{"key":"ka"}}`)
	stWantKind(t, "Create(taken nested meta.key)", err, domain.Conflict)
	_, err = update("b", `{"url":"http://a"}`)
	stWantKind(t, "Update(b takes a's url)", err, domain.Conflict)
	_, err = update("new", `{"url":"http://b"}`)
	stWantKind(t, "Update(absent object with a taken url)", err, domain.Conflict)
	if _, err := s.Get(ctx, stParent, "new"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(new) after a refused Update: kind %v, want NotFound", domain.KindOf(err))
	}

	if _, err := update("a", `{"url":"http://a","title":"same url, same object"}`); err != nil {
		t.Errorf("Update(a keeps its url): %v", err)
	}
	if _, err := create("d", `{"title":"no url"}`); err != nil {
		t.Errorf("Create(d without url): %v", err)
	}
	if _, err := create("e", `{"title":"no url either","meta":{}}`); err != nil {
		t.Errorf("Create(e without url): objects lacking the field conflict: %v", err)
	}
	if _, err := create("f", `{"url":"HTTP://A"}`); err != nil {
		t.Errorf("Create(f, url differing in case): %v", err)
	}
	if _, err := create("g", `{"url":5}`); err != nil {
		t.Errorf("Create(g, url 5): %v", err)
	}
	if _, err := create("h", `{"url":"5"}`); err != nil {
		t.Errorf(`Create(h, url "5" next to 5): values are type-exact: %v`, err)
	}

	stDelete(t, s, stParent, "b")
	if _, err := create("i", `{"url":"http://b"}`); err != nil {
		t.Errorf("Create(url of a deleted object): tombstones conflict: %v", err)
	}
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "j", Data: stData(t, `{"url":"http://a"}`)}, nil); err != nil {
		t.Errorf("Create(taken url, no unique fields declared): %v", err)
	}
}

func storageDeepCopies(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	data := stData(t, `{"title":"orig","nested":{"list":[1,{"k":"v"}]}}`)
	in := domain.Record{ID: "a", Data: data}
	out, err := s.Create(ctx, stParent, in, nil)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	const want = `{"nested":{"list":[1,{"k":"v"}]},"title":"orig"}`
	// Mutate what we passed in and what we got back.
	data["title"] = "changed"
	data["nested"].(map[string]any)["list"].([]any)[1].(map[string]any)["k"] = "changed"
	out.Data["title"] = "changed"
	out.Data["nested"].(map[string]any)["extra"] = true

	got, err := s.Get(ctx, stParent, "a")
	if err != nil || stJSON(t, got.Data) != want {
		t.Fatalf("Get after mutating the caller's maps = %s, %v; want %s", stJSON(t, got.Data), err, want)
	}
	got.Data["nested"].(map[string]any)["list"].([]any)[0] = "changed"
	listed := stList(t, s, stParent, domain.Query{Sort: byNewest})
	if len(listed) != 1 || stJSON(t, listed[0].Data) != want {
		t.Fatalf("List after mutating a Get result = %s; want %s", stJSON(t, listed), want)
	}
	listed[0].Data["title"] = "changed"
	upd, err := s.Update(ctx, stParent, domain.Record{ID: "a", Data: stData(t, `{"m":{"k":1}}`)}, nil)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	upd.Data["m"].(map[string]any)["k"] = 2
	if got, _ := s.Get(ctx, stParent, "a"); stJSON(t, got.Data) != `{"m":{"k":1}}` {
		t.Errorf("Get after mutating an Update result = %s, want {\"m\":{\"k\":1}}", stJSON(t, got.Data))
	}
}

// storageCountWithoutFilters follows the number of live objects through
// every kind of write.
func storageCountWithoutFilters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	want := func(label string, n int) {
		t.Helper()
		if got, err := s.Count(ctx, stParent, nil); err != nil || got != n {
			t.Errorf("Count after %s = %d, %v; want %d", label, got, err, n)
		}
	}
	want("nothing", 0)
	for i := range 5 {
		stCreate(t, s, stParent, fmt.Sprintf("c%d", i), `{}`)
	}
	want("5 creates", 5)
	if _, err := s.Update(ctx, stParent, domain.Record{ID: "c0", Data: map[string]any{"x": true}}, nil); err != nil {
		t.Fatalf("Update(c0): %v", err)
	}
	want("replacing c0", 5)
	if _, err := s.Update(ctx, stParent, domain.Record{ID: "c5"}, nil); err != nil {
		t.Fatalf("Update(c5): %v", err)
	}
	want("creating c5 by Update", 6)
	stDelete(t, s, stParent, "c1")
	want("deleting c1", 5)
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "c2"}, nil); domain.KindOf(err) != domain.Conflict {
		t.Errorf("Create(existing c2): kind %v, want Conflict", domain.KindOf(err))
	}
	want("a refused Create", 5)
	stCreate(t, s, stParent, "c1", `{}`)
	want("re-creating c1", 6)
	if _, err := s.Update(ctx, stParent, domain.Record{ID: "c1"}, nil); err != nil {
		t.Fatalf("Update(c1): %v", err)
	}
	want("replacing c1", 6)
	if _, err := s.DeleteMany(ctx, stParent, domain.Query{Sort: byNewest, Limit: 2}); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	want("deleting 2 with DeleteMany", 4)
	if _, err := s.Purge(ctx, stParent.ID); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	want("Purge", 0)
	stCreate(t, s, stParent, "c1", `{}`)
	want("a create after Purge", 1)
}

// storageUniqueFollowsWrites checks that unique fields see every write: a
// value is free again once its object changes it, is deleted or purged,
// and values equal by type-exact comparison (1 and 1.0) conflict.
func storageUniqueFollowsWrites(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	unique := []string{"url"}
	write := func(label string, update bool, id, data string, want domain.Kind, wantExisting string) {
		t.Helper()
		rec := domain.Record{ID: id, Data: stData(t, data)}
		var err error
		if update {
			_, err = s.Update(ctx, stParent, rec, unique)
		} else {
			_, err = s.Create(ctx, stParent, rec, unique)
		}
		if want == domain.Internal { // success wanted
			if err != nil {
				t.Errorf("%s: %v", label, err)
			}
			return
		}
		stWantKind(t, label, err, want)
		if e := domain.AsError(err); e == nil || e.Existing == nil || e.Existing.ID != wantExisting {
			t.Errorf("%s: Existing = %+v, want %s", label, e, wantExisting)
		}
	}
	const ok = domain.Internal
	write("Create(a)", false, "a", `{"url":"u1"}`, ok, "")
	write("Create(b, a's url)", false, "b", `{"url":"u1"}`, domain.Conflict, "a")
	write("Update(a to u2)", true, "a", `{"url":"u2"}`, ok, "")
	write("Create(b, u1 freed by a)", false, "b", `{"url":"u1"}`, ok, "")
	write("Create(c, a's new url)", false, "c", `{"url":"u2"}`, domain.Conflict, "a")
	write("Update(a, url removed)", true, "a", `{"title":"no url"}`, ok, "")
	write("Create(c, u2 freed by a)", false, "c", `{"url":"u2"}`, ok, "")
	stDelete(t, s, stParent, "c")
	write("Create(d, u2 of deleted c)", false, "d", `{"url":"u2"}`, ok, "")
	write("Create(c again, u2 of d)", false, "c", `{"url":"u2"}`, domain.Conflict, "d")
	write("Create(n1, url 1)", false, "n1", `{"url":1}`, ok, "")
	write("Create(n2, url 1.0)", false, "n2", `{"url":1.0}`, domain.Conflict, "n1")
	write("Create(n3, url \"1\")", false, "n3", `{"url":"1"}`, ok, "")
	// A value written without the constraint may be shared; the next
	// checked write of that value still conflicts.
	if _, err := s.Create(ctx, stParent, domain.Record{ID: "e", Data: stData(t, `{"url":"u1"}`)}, nil); err != nil {
		t.Fatalf("Create(e, b's url, no unique fields): %v", err)
	}
	stDelete(t, s, stParent, "b")
	write("Create(f, u1 still held by e)", false, "f", `{"url":"u1"}`, domain.Conflict, "e")
	write("Update(e keeps u1)", true, "e", `{"url":"u1","title":"kept"}`, ok, "")
	if _, err := s.Purge(ctx, stParent.ID); err != nil {
		t.Fatalf("Purge: %v", err)
	}
	write("Create(f, u1 after Purge)", false, "f", `{"url":"u1"}`, ok, "")
	write("Create(g, u1 of f)", false, "g", `{"url":"u1"}`, domain.Conflict, "f")
}
