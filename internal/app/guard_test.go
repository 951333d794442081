package app_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

type tree struct {
	bucket, collection, record *app.Resource
}

func kintoTree() tree {
	b := &app.Resource{Name: "bucket", Plural: "buckets", IDVar: "bid", IDs: app.NameGenerator{}, Cascade: true,
		Permissions: []string{"read", "write", "collection:create", "group:create"}}
	c := &app.Resource{Name: "collection", Plural: "collections", IDVar: "cid", Parent: b, IDs: app.NameGenerator{}, Cascade: true,
		Permissions: []string{"read", "write", "record:create"}}
	r := &app.Resource{Name: "record", Plural: "records", IDVar: "rid", Parent: c, IDs: app.RelaxedUUID4{},
		Permissions: []string{"read", "write"}}
	return tree{b, c, r}
}

func newGuarded(t *testing.T) *app.Engine {
	t.Helper()
	settings := map[string][]string{"bucket_create_principals": {app.Authenticated}}
	guard := app.NewGuard(memory.NewPermission(), settings, true)
	return app.NewEngine(memory.NewStorage(&fakeClock{now: 1000}), guard)
}

func vars(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestGuardOwnerStrangerAnonymous(t *testing.T) {
	e := newGuarded(t)
	ctx := context.Background()
	tr := kintoTree()
	// alice creates a bucket, a collection and a record.
	b, err := e.Replace(ctx, &app.Request{Resource: tr.bucket, Caller: alice(), Vars: vars("bid", "blog")}, "blog", app.Body{})
	if err != nil || !b.Created {
		t.Fatalf("PUT bucket: %v", err)
	}
	if !slices.Contains(b.Permissions["write"], "basicauth:alice") {
		t.Fatalf("PUT bucket: permissions %v, want alice in write", b.Permissions)
	}
	cv := vars("bid", "blog", "cid", "posts")
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: cv}, "posts", app.Body{}); err != nil {
		t.Fatalf("PUT collection: %v", err)
	}
	rv := vars("bid", "blog", "cid", "posts")
	rec := mustCreate(t, e, &app.Request{Resource: tr.record, Caller: alice(), Vars: rv}, map[string]any{"title": "hi"})

	// Anonymous: 401; bob: 403; on read, list and write.
	for _, c := range []struct {
		caller app.Caller
		kind   domain.Kind
	}{{anonymous(), domain.Unauthenticated}, {bob(), domain.Forbidden}} {
		req := &app.Request{Resource: tr.record, Caller: c.caller, Vars: rv}
		_, err := e.Get(ctx, req, rec.Record.ID)
		wantKind(t, "Get record as "+c.caller.UserID, err, c.kind)
		_, err = e.List(ctx, req, domain.Query{})
		wantKind(t, "List records as "+c.caller.UserID, err, c.kind)
		_, err = e.Patch(ctx, req, rec.Record.ID, app.ShallowPatch(map[string]any{"x": 1}), app.ACLChange{})
		wantKind(t, "Patch record as "+c.caller.UserID, err, c.kind)
		_, err = e.Delete(ctx, req, "missing", 0)
		wantKind(t, "Delete missing record as "+c.caller.UserID, err, c.kind)
		_, err = e.Get(ctx, &app.Request{Resource: tr.bucket, Caller: c.caller, Vars: vars("bid", "blog")}, "blog")
		wantKind(t, "Get bucket as "+c.caller.UserID, err, c.kind)
	}
	// The owner gets 404 for a missing record, through bucket write.
	_, err = e.Get(ctx, &app.Request{Resource: tr.record, Caller: alice(), Vars: rv}, "missing")
	wantKind(t, "Get missing record as owner", err, domain.NotFound)

	// Sharing read on the collection with everyone opens reads, not writes.
	_, err = e.Patch(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: cv}, "posts", app.ShallowPatch(nil),
		app.ACLChange{Set: map[string][]string{"read": {app.Everyone}}})
	if err != nil {
		t.Fatalf("share collection: %v", err)
	}
	anonReq := &app.Request{Resource: tr.record, Caller: anonymous(), Vars: rv}
	got, err := e.Get(ctx, anonReq, rec.Record.ID)
	if err != nil || len(got.Permissions) != 0 {
		t.Fatalf("Get shared record anonymously: %v perms %v, want data and no permissions", err, got.Permissions)
	}
	page, err := e.List(ctx, &app.Request{Resource: tr.record, Caller: bob(), Vars: rv}, domain.Query{})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("List shared records as bob: %d %v, want 1", len(page.Records), err)
	}
	_, err = e.Create(ctx, &app.Request{Resource: tr.record, Caller: bob(), Vars: rv}, app.Body{Data: map[string]any{"x": 1}})
	wantKind(t, "Create record as reader", err, domain.Forbidden)
}

func TestGuardRecordCreateOnlyListsOwnRecords(t *testing.T) {
	e := newGuarded(t)
	ctx := context.Background()
	tr := kintoTree()
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.bucket, Caller: alice(), Vars: vars("bid", "b")}, "b", app.Body{}); err != nil {
		t.Fatal(err)
	}
	cv := vars("bid", "b", "cid", "c")
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: cv}, "c",
		app.Body{ACL: app.ACLChange{Set: map[string][]string{"record:create": {app.Authenticated}}}}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, &app.Request{Resource: tr.record, Caller: alice(), Vars: cv}, map[string]any{"by": "alice"})
	bobReq := &app.Request{Resource: tr.record, Caller: bob(), Vars: cv}
	page, err := e.List(ctx, bobReq, domain.Query{})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("List as record:create-only before writing: %d %v, want empty 200", len(page.Records), err)
	}
	mine := mustCreate(t, e, bobReq, map[string]any{"by": "bob"})
	page, err = e.List(ctx, bobReq, domain.Query{})
	if err != nil || len(page.Records) != 1 || page.Records[0].ID != mine.Record.ID {
		t.Fatalf("List as record:create-only: %v %v, want only bob's record", page.Records, err)
	}
	_, n, _, err := e.Count(ctx, bobReq, nil)
	if err != nil || n != 1 {
		t.Fatalf("Count as record:create-only: %d %v, want 1", n, err)
	}
	// The collection's attributes are readable through record:create.
	if _, err := e.Get(ctx, &app.Request{Resource: tr.collection, Caller: bob(), Vars: cv}, "c"); err != nil {
		t.Fatalf("Get collection through record:create: %v", err)
	}
	// But the bucket is not.
	_, err = e.Get(ctx, &app.Request{Resource: tr.bucket, Caller: bob(), Vars: vars("bid", "b")}, "b")
	wantKind(t, "Get bucket as record:create-only", err, domain.Forbidden)
}

func TestGuardCascadeAndRootList(t *testing.T) {
	e := newGuarded(t)
	ctx := context.Background()
	tr := kintoTree()
	bv := vars("bid", "b")
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.bucket, Caller: alice(), Vars: bv}, "b", app.Body{}); err != nil {
		t.Fatal(err)
	}
	cv := vars("bid", "b", "cid", "c")
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: cv}, "c", app.Body{}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, e, &app.Request{Resource: tr.record, Caller: alice(), Vars: cv}, map[string]any{"x": 1})
	// bob lists buckets: none visible, but he may create: 200 empty.
	page, err := e.List(ctx, &app.Request{Resource: tr.bucket, Caller: bob()}, domain.Query{})
	if err != nil || len(page.Records) != 0 {
		t.Fatalf("List buckets as bob: %v %v, want empty", page.Records, err)
	}
	_, err = e.List(ctx, &app.Request{Resource: tr.bucket, Caller: anonymous()}, domain.Query{})
	wantKind(t, "List buckets anonymously", err, domain.Unauthenticated)
	page, err = e.List(ctx, &app.Request{Resource: tr.bucket, Caller: alice()}, domain.Query{})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("List buckets as alice: %v %v, want hers", page.Records, err)
	}
	// Deleting the bucket removes its collection and records.
	if _, err := e.Delete(ctx, &app.Request{Resource: tr.bucket, Caller: alice(), Vars: bv}, "b", 0); err != nil {
		t.Fatalf("Delete bucket: %v", err)
	}
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.bucket, Caller: bob(), Vars: bv}, "b", app.Body{}); err != nil {
		t.Fatalf("re-create bucket as bob: %v", err)
	}
	_, err = e.Get(ctx, &app.Request{Resource: tr.collection, Caller: bob(), Vars: cv}, "c")
	wantKind(t, "Get collection of a re-created bucket", err, domain.NotFound)
	// alice lost her rights with the old bucket.
	_, err = e.Get(ctx, &app.Request{Resource: tr.bucket, Caller: alice(), Vars: bv}, "b")
	wantKind(t, "Get re-created bucket as its old owner", err, domain.Forbidden)
}

func TestGuardRefusesUnknownPermission(t *testing.T) {
	e := newGuarded(t)
	tr := kintoTree()
	_, err := e.Replace(context.Background(), &app.Request{Resource: tr.bucket, Caller: alice(), Vars: vars("bid", "b")}, "b",
		app.Body{ACL: app.ACLChange{Set: map[string][]string{"record:create": {"x"}}}})
	wantKind(t, "PUT bucket with a record permission", err, domain.Invalid)
}

// A created object's permissions are answered without reading them back:
// they must be exactly what a read of the ACL store gives afterwards.
func TestCreatedPermissionsMatchTheStore(t *testing.T) {
	ctx := context.Background()
	tr := kintoTree()
	for name, acl := range map[string]app.ACLChange{
		"none":     {},
		"set":      {Set: map[string][]string{"read": {"system.Everyone", "basicauth:bob"}, "write": {"basicauth:carol"}}},
		"empty":    {Set: map[string][]string{"read": {}}},
		"replace":  {Set: map[string][]string{"read": {"basicauth:bob"}}, ReplaceAll: true},
		"add":      {Add: []app.PermPrincipal{{Perm: "read", Principal: "basicauth:bob"}, {Perm: "write", Principal: "basicauth:alice"}}},
		"remove":   {Set: map[string][]string{"read": {"basicauth:bob"}}, Remove: []app.PermPrincipal{{Perm: "read", Principal: "basicauth:bob"}}},
		"ignored":  {Ignored: []string{"write"}},
		"combined": {Set: map[string][]string{"write": {"basicauth:dan"}}, Add: []app.PermPrincipal{{Perm: "read", Principal: "basicauth:eve"}}},
	} {
		t.Run(name, func(t *testing.T) {
			perms := memory.NewPermission()
			guard := app.NewGuard(perms, map[string][]string{"bucket_create_principals": {app.Authenticated}}, true)
			e := app.NewEngine(memory.NewStorage(&fakeClock{now: 1000}), guard)
			for _, put := range []struct {
				res  *app.Resource
				vars map[string]string
				id   string
			}{{tr.bucket, vars("bid", "b"), "b"}, {tr.collection, vars("bid", "b", "cid", "c"), "c"}} {
				if _, err := e.Replace(ctx, &app.Request{Resource: put.res, Caller: alice(), Vars: put.vars}, put.id, app.Body{}); err != nil {
					t.Fatalf("PUT %s: %v", put.id, err)
				}
			}
			// POST and PUT both create.
			post, err := e.Create(ctx, &app.Request{Resource: tr.record, Caller: alice(), Vars: vars("bid", "b", "cid", "c")}, app.Body{ACL: acl})
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			put, err := e.Replace(ctx, &app.Request{Resource: tr.record, Caller: alice(), Vars: vars("bid", "b", "cid", "c", "rid", "r")}, "r", app.Body{ACL: acl})
			if err != nil || !put.Created {
				t.Fatalf("PUT: %+v, %v", put, err)
			}
			for _, obj := range []app.Object{post, put} {
				stored, err := perms.ObjectACL(ctx, "/buckets/b/collections/c/records/"+obj.Record.ID)
				if err != nil {
					t.Fatalf("ObjectACL: %v", err)
				}
				if !reflect.DeepEqual(obj.Permissions, map[string][]string(stored)) {
					t.Errorf("%s answered permissions %v, the store holds %v", obj.Record.ID, obj.Permissions, stored)
				}
			}
		})
	}
}

// Within a batch (one memo for all its subrequests) a permission answer
// is asked once, and forgotten when an ACL it depends on changes.
func TestBatchMemoForgetsChangedPermissions(t *testing.T) {
	tr := kintoTree()
	e := newGuarded(t)
	ctx := app.WithBatchMemo(context.Background())
	coll := vars("bid", "b", "cid", "c")
	for _, put := range []struct {
		res  *app.Resource
		vars map[string]string
		id   string
	}{{tr.bucket, vars("bid", "b"), "b"}, {tr.collection, coll, "c"}} {
		if _, err := e.Replace(ctx, &app.Request{Resource: put.res, Caller: alice(), Vars: put.vars}, put.id, app.Body{}); err != nil {
			t.Fatalf("PUT %s: %v", put.id, err)
		}
	}
	post := func() error {
		_, err := e.Create(ctx, &app.Request{Resource: tr.record, Caller: bob(), Vars: coll}, app.Body{})
		return err
	}
	wantKind(t, "bob's POST before the grant", post(), domain.Forbidden)
	// alice lets bob create records: the memo forgets its answer about c.
	if _, err := e.Patch(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: coll}, "c", app.ShallowPatch(map[string]any{}),
		app.ACLChange{Add: []app.PermPrincipal{{Perm: "record:create", Principal: "basicauth:bob"}}}); err != nil {
		t.Fatalf("grant record:create: %v", err)
	}
	if err := post(); err != nil {
		t.Fatalf("bob's POST after the grant: %v", err)
	}
	// And back: the revocation is seen as well.
	if _, err := e.Patch(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: coll}, "c", app.ShallowPatch(map[string]any{}),
		app.ACLChange{Remove: []app.PermPrincipal{{Perm: "record:create", Principal: "basicauth:bob"}}}); err != nil {
		t.Fatalf("revoke record:create: %v", err)
	}
	wantKind(t, "bob's POST after the revocation", post(), domain.Forbidden)
}
