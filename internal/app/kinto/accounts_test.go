package kinto_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// accountsFixture is the accounts plugin on memory adapters, recording the
// ids OnChange was called with.
type accountsFixture struct {
	*kinto.Accounts
	store   *memory.Storage
	perms   *memory.Permission
	changed []string
}

func newAccounts(t *testing.T, principals map[string][]string) *accountsFixture {
	t.Helper()
	f := &accountsFixture{store: memory.NewStorage(domain.SystemClock{}), perms: memory.NewPermission()}
	f.Accounts = kinto.NewAccounts(f.store, f.perms, kinto.AccountSettings{
		Principals: principals,
		BcryptCost: bcrypt.MinCost,
		OnChange:   func(_ context.Context, id string) error { f.changed = append(f.changed, id); return nil },
	})
	return f
}

// openAccounts lets anyone sign up and makes account:admin an
// administrator who may also list every account.
func openAccounts(t *testing.T) *accountsFixture {
	return newAccounts(t, map[string][]string{
		"account_create_principals": {app.Everyone, "account:admin"},
		"account_write_principals":  {"account:admin"},
		"account_read_principals":   {"account:admin"},
	})
}

func anon() app.Caller { return app.Caller{Principals: []string{app.Everyone}} }

func user(id string) app.Caller {
	return app.Caller{UserID: id, Principals: []string{id, app.Everyone, app.Authenticated}}
}

func (f *accountsFixture) req(c app.Caller, id string) *app.Request {
	v := map[string]string{}
	if id != "" {
		v["id"] = id
	}
	return &app.Request{Resource: f.Resource, Caller: c, Vars: v}
}

func (f *accountsFixture) put(t *testing.T, c app.Caller, id string, data map[string]any) (app.Object, error) {
	t.Helper()
	return f.Engine.Replace(context.Background(), f.req(c, id), id, app.Body{Data: data})
}

func (f *accountsFixture) mustPut(t *testing.T, c app.Caller, id, password string) app.Object {
	t.Helper()
	obj, err := f.put(t, c, id, map[string]any{"password": password})
	if err != nil {
		t.Fatalf("PUT /accounts/%s as %q: %v", id, c.UserID, err)
	}
	return obj
}

func (f *accountsFixture) acl(t *testing.T, id string) ports.ACL {
	t.Helper()
	acl, err := f.perms.ObjectACL(context.Background(), "/accounts/"+id)
	if err != nil {
		t.Fatalf("ObjectACL(/accounts/%s): %v", id, err)
	}
	return acl
}

func (f *accountsFixture) listIDs(t *testing.T, c app.Caller) ([]string, error) {
	t.Helper()
	page, err := f.Engine.List(context.Background(), f.req(c, ""), domain.Query{})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range page.Records {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	return ids, nil
}

func wantKind(t *testing.T, what string, err error, want domain.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, want)
	}
	if got := domain.KindOf(err); got != want {
		t.Fatalf("%s: kind %v (%v), want %v", what, got, err, want)
	}
}

// wantIssue checks err is Invalid with one issue naming field.
func wantIssue(t *testing.T, what string, err error, field, description string) {
	t.Helper()
	wantKind(t, what, err, domain.Invalid)
	e := domain.AsError(err)
	if len(e.Issues) != 1 || e.Issues[0].Name != field || e.Issues[0].Location != domain.InBody || e.Issues[0].Description != description {
		t.Fatalf("%s: issues %+v, want one body issue %s %q", what, e.Issues, field, description)
	}
}

func passwordOf(t *testing.T, rec domain.Record) string {
	t.Helper()
	p, ok := rec.Data["password"].(string)
	if !ok {
		t.Fatalf("account %s: password %v, want a string", rec.ID, rec.Data["password"])
	}
	return p
}

func TestAccountCreatedAnonymouslyWithHashedPassword(t *testing.T) {
	f := openAccounts(t)
	obj := f.mustPut(t, anon(), "bob", "s3cret")
	if !obj.Created {
		t.Errorf("PUT /accounts/bob: Created false, want true")
	}
	hash := passwordOf(t, obj.Record)
	if !strings.HasPrefix(hash, "$2a$") {
		t.Errorf("returned password %q, want a bcrypt hash ($2a$…)", hash)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret")); err != nil {
		t.Errorf("returned hash does not match the password: %v", err)
	}
	stored, err := f.store.Get(context.Background(), kinto.AccountParent(), "bob")
	if err != nil {
		t.Fatalf("Get(AccountParent, bob): %v", err)
	}
	if passwordOf(t, stored) != hash {
		t.Errorf("stored password %q, want the returned hash %q", passwordOf(t, stored), hash)
	}
	if want := (ports.ACL{"write": {"account:bob"}}); !reflect.DeepEqual(f.acl(t, "bob"), want) {
		t.Errorf("ACL of bob %v, want %v (not system.Everyone)", f.acl(t, "bob"), want)
	}
	if !slices.Equal(f.changed, []string{"bob"}) {
		t.Errorf("OnChange calls %q, want [bob]", f.changed)
	}
}

func TestAccountPostNeedsID(t *testing.T) {
	f := openAccounts(t)
	ctx := context.Background()
	_, err := f.Engine.Create(ctx, f.req(anon(), ""), app.Body{Data: map[string]any{"password": "x"}})
	wantIssue(t, "POST /accounts without data.id", err, "data.id", "data.id in body: Required")

	obj, err := f.Engine.Create(ctx, f.req(anon(), ""), app.Body{Data: map[string]any{"id": "alice@example.com", "password": "x"}})
	if err != nil || !obj.Created || obj.Record.ID != "alice@example.com" {
		t.Fatalf("POST /accounts with data.id: %+v, %v; want alice@example.com created", obj.Record, err)
	}
	if want := (ports.ACL{"write": {"account:alice@example.com"}}); !reflect.DeepEqual(f.acl(t, "alice@example.com"), want) {
		t.Errorf("ACL after POST %v, want %v", f.acl(t, "alice@example.com"), want)
	}
}

func TestAccountIDs(t *testing.T) {
	ids := kinto.AccountIDs{}
	for _, c := range []struct {
		id   string
		want bool
	}{
		{"bob", true}, {"alice@example.com", true}, {"a+b.c_d-e", true}, {"0", true},
		{"", false}, {".bob", false}, {"@bob", false}, {"bob smith", false}, {"bob/x", false}, {"bob:x", false},
	} {
		if got := ids.Valid(c.id); got != c.want {
			t.Errorf("AccountIDs.Valid(%q) = %v, want %v", c.id, got, c.want)
		}
	}
	f := openAccounts(t)
	_, err := f.put(t, anon(), ".bob", map[string]any{"password": "x"})
	wantKind(t, "PUT /accounts/.bob", err, domain.Invalid)
}

func TestAccountPasswordValidation(t *testing.T) {
	f := openAccounts(t)
	for _, c := range []struct {
		name string
		data map[string]any
		desc string
	}{
		{"missing", map[string]any{}, "Required"},
		{"empty", map[string]any{"password": ""}, "Required"},
		{"null", map[string]any{"password": nil}, "Required"},
		{"number", map[string]any{"password": 42.0}, "42 is not a string"},
		{"object", map[string]any{"password": map[string]any{}}, "map[] is not a string"},
		{"too long", map[string]any{"password": strings.Repeat("x", 73)}, "Password longer than 72 bytes."},
	} {
		_, err := f.put(t, anon(), "bob", c.data)
		wantIssue(t, "PUT /accounts/bob with password "+c.name, err, "data.password", c.desc)
	}
	if _, err := f.store.Get(context.Background(), kinto.AccountParent(), "bob"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(bob) after refused writes: %v, want NotFound", err)
	}
}

func TestAccountCreationRefused(t *testing.T) {
	f := newAccounts(t, map[string][]string{
		"account_create_principals": {"account:admin"},
		"account_write_principals":  {"account:admin"},
	})
	_, err := f.put(t, anon(), "bob", map[string]any{"password": "x"})
	wantKind(t, "PUT /accounts/bob anonymously without create principals", err, domain.Unauthenticated)
	_, err = f.put(t, user("basicauth:abc"), "abc", map[string]any{"password": "x"})
	wantKind(t, "PUT /accounts/abc as a basicauth user without create principals", err, domain.Forbidden)
	// The administrator may create accounts for others.
	f.mustPut(t, user("account:admin"), "zed", "pw")
	if want := (ports.ACL{"write": {"account:zed"}}); !reflect.DeepEqual(f.acl(t, "zed"), want) {
		t.Errorf("ACL of an account the admin created %v, want %v (not the admin)", f.acl(t, "zed"), want)
	}
}

func TestAccountUserOnlyReachesOwnAccount(t *testing.T) {
	f := openAccounts(t)
	ctx := context.Background()
	f.mustPut(t, anon(), "bob", "pw")
	f.mustPut(t, anon(), "zed", "pw")
	bob := user("account:bob")

	_, err := f.put(t, bob, "carl", map[string]any{"password": "pw"})
	wantIssue(t, "PUT /accounts/carl as bob", err, "data.id", "Username and account ID do not match.")
	_, err = f.Engine.Create(ctx, f.req(bob, ""), app.Body{Data: map[string]any{"id": "carl", "password": "pw"}})
	wantIssue(t, "POST /accounts {id: carl} as bob", err, "data.id", "Username and account ID do not match.")

	_, err = f.Engine.Get(ctx, f.req(bob, "zed"), "zed")
	wantKind(t, "GET /accounts/zed as bob", err, domain.Forbidden)
	_, err = f.put(t, bob, "zed", map[string]any{"password": "stolen"})
	wantKind(t, "PUT /accounts/zed as bob", err, domain.Forbidden)
	_, err = f.Engine.Patch(ctx, f.req(bob, "zed"), "zed", app.ShallowPatch(map[string]any{"password": "stolen"}), app.ACLChange{})
	wantKind(t, "PATCH /accounts/zed as bob", err, domain.Forbidden)
	_, err = f.Engine.Delete(ctx, f.req(bob, "zed"), "zed", 0)
	wantKind(t, "DELETE /accounts/zed as bob", err, domain.Forbidden)
	_, err = f.Engine.Get(ctx, f.req(anon(), "zed"), "zed")
	wantKind(t, "GET /accounts/zed anonymously", err, domain.Unauthenticated)
	_, err = f.put(t, anon(), "zed", map[string]any{"password": "stolen"})
	wantKind(t, "PUT /accounts/zed anonymously", err, domain.Unauthenticated)

	// Bob reads and changes his own account, and cannot give write away.
	obj, err := f.Engine.Get(ctx, f.req(bob, "bob"), "bob")
	if err != nil {
		t.Fatalf("GET /accounts/bob as bob: %v", err)
	}
	if want := map[string][]string{"write": {"account:bob"}}; !reflect.DeepEqual(obj.Permissions, want) {
		t.Errorf("GET /accounts/bob as bob: permissions %v, want %v", obj.Permissions, want)
	}
	acl := app.ACLChange{Set: map[string][]string{"write": {app.Everyone}, "read": {"account:zed"}}}
	if _, err := f.Engine.Replace(ctx, f.req(bob, "bob"), "bob", app.Body{Data: map[string]any{"password": "new"}, ACL: acl}); err != nil {
		t.Fatalf("PUT /accounts/bob as bob with permissions: %v", err)
	}
	if want := (ports.ACL{"write": {"account:bob"}, "read": {"account:zed"}}); !reflect.DeepEqual(f.acl(t, "bob"), want) {
		t.Errorf("ACL after bob's PUT with permissions %v, want %v (write kept to bob)", f.acl(t, "bob"), want)
	}
	// Zed (in bob's read ACL) may read bob's account but not write it.
	if _, err := f.Engine.Get(ctx, f.req(user("account:zed"), "bob"), "bob"); err != nil {
		t.Errorf("GET /accounts/bob as zed, granted read: %v", err)
	}
}

func TestAccountPatchKeepsOrRehashesPassword(t *testing.T) {
	f := openAccounts(t)
	ctx := context.Background()
	hash := passwordOf(t, f.mustPut(t, anon(), "bob", "pw").Record)
	bob := user("account:bob")

	obj, err := f.Engine.Patch(ctx, f.req(bob, "bob"), "bob", app.ShallowPatch(map[string]any{"name": "Bob"}), app.ACLChange{})
	if err != nil {
		t.Fatalf("PATCH /accounts/bob {name}: %v", err)
	}
	if got := passwordOf(t, obj.Record); got != hash {
		t.Errorf("PATCH without password: password %q, want the stored hash %q kept", got, hash)
	}
	if obj.Record.Data["name"] != "Bob" {
		t.Errorf("PATCH: data %v, want name Bob", obj.Record.Data)
	}
	// PUT echoing the stored hash keeps it too.
	obj, err = f.put(t, bob, "bob", map[string]any{"password": hash})
	if err != nil || passwordOf(t, obj.Record) != hash {
		t.Fatalf("PUT with the stored hash: %v, %v; want the hash kept", obj.Record.Data, err)
	}

	obj, err = f.Engine.Patch(ctx, f.req(bob, "bob"), "bob", app.ShallowPatch(map[string]any{"password": "new"}), app.ACLChange{})
	if err != nil {
		t.Fatalf("PATCH /accounts/bob {password}: %v", err)
	}
	newHash := passwordOf(t, obj.Record)
	if newHash == hash || bcrypt.CompareHashAndPassword([]byte(newHash), []byte("new")) != nil {
		t.Errorf("PATCH with a new password: hash %q, want a hash of the new password", newHash)
	}
	if !slices.Equal(f.changed, []string{"bob", "bob", "bob", "bob"}) {
		t.Errorf("OnChange calls %q, want bob once per write", f.changed)
	}
}

func TestAccountAdmin(t *testing.T) {
	f := openAccounts(t)
	ctx := context.Background()
	f.mustPut(t, anon(), "bob", "pw")
	f.mustPut(t, anon(), "zed", "pw")
	admin := user("account:admin")
	f.mustPut(t, admin, "admin", "root")

	if _, err := f.Engine.Get(ctx, f.req(admin, "zed"), "zed"); err != nil {
		t.Errorf("GET /accounts/zed as admin: %v", err)
	}
	if _, err := f.put(t, admin, "zed", map[string]any{"password": "reset"}); err != nil {
		t.Errorf("PUT /accounts/zed as admin: %v", err)
	}
	if want := (ports.ACL{"write": {"account:zed"}}); !reflect.DeepEqual(f.acl(t, "zed"), want) {
		t.Errorf("ACL of zed after the admin's PUT %v, want %v", f.acl(t, "zed"), want)
	}
	if _, err := f.Engine.Delete(ctx, f.req(admin, "zed"), "zed", 0); err != nil {
		t.Fatalf("DELETE /accounts/zed as admin: %v", err)
	}
	if acl := f.acl(t, "zed"); len(acl) != 0 {
		t.Errorf("ACL of deleted zed %v, want none", acl)
	}
	if f.changed[len(f.changed)-1] != "zed" {
		t.Errorf("OnChange calls %q, want zed last (deletion)", f.changed)
	}
}

func TestAccountLists(t *testing.T) {
	f := newAccounts(t, map[string][]string{
		"account_create_principals": {app.Everyone, "account:admin", "account:reader"},
		"account_write_principals":  {"account:admin", "account:reader"},
		"account_read_principals":   {"account:reader"},
	})
	for _, id := range []string{"bob", "zed", "admin", "reader"} {
		f.mustPut(t, anon(), id, "pw")
	}
	for _, c := range []struct {
		caller app.Caller
		want   []string
	}{
		{user("account:bob"), []string{"bob"}},
		{user("account:admin"), []string{"admin"}}, // write only: Kinto lists its own
		{user("account:reader"), []string{"admin", "bob", "reader", "zed"}},
		{user("basicauth:abc"), nil},
	} {
		got, err := f.listIDs(t, c.caller)
		if err != nil {
			t.Errorf("GET /accounts as %s: %v", c.caller.UserID, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("GET /accounts as %s: %q, want %q", c.caller.UserID, got, c.want)
		}
	}
	_, err := f.listIDs(t, anon())
	wantKind(t, "GET /accounts anonymously", err, domain.Unauthenticated)
	if domain.AsError(err).Message != "Please authenticate yourself to use this endpoint." {
		t.Errorf("GET /accounts anonymously: message %q", domain.AsError(err).Message)
	}
	_, _, _, err = f.Engine.Count(context.Background(), f.req(anon(), ""), nil)
	wantKind(t, "HEAD /accounts anonymously", err, domain.Unauthenticated)
	_, err = f.Engine.DeleteList(context.Background(), f.req(anon(), ""), domain.Query{})
	wantKind(t, "DELETE /accounts anonymously", err, domain.Unauthenticated)

	// A user deleting the list deletes only their own account.
	page, err := f.Engine.DeleteList(context.Background(), f.req(user("account:bob"), ""), domain.Query{})
	if err != nil || len(page.Records) != 1 || page.Records[0].ID != "bob" {
		t.Fatalf("DELETE /accounts as bob: %v, %v; want bob's account only", page.Records, err)
	}
	got, _ := f.listIDs(t, user("account:reader"))
	if want := []string{"admin", "reader", "zed"}; !slices.Equal(got, want) {
		t.Errorf("accounts after bob's DELETE /accounts: %q, want %q", got, want)
	}
}

func TestAccountAnonymousListAllowedBySettings(t *testing.T) {
	f := newAccounts(t, map[string][]string{
		"account_create_principals": {app.Everyone},
		"account_read_principals":   {app.Everyone},
	})
	f.mustPut(t, anon(), "bob", "pw")
	got, err := f.listIDs(t, anon())
	if err != nil || !slices.Equal(got, []string{"bob"}) {
		t.Errorf("GET /accounts anonymously with account_read_principals=system.Everyone: %q, %v; want [bob]", got, err)
	}
}

func TestAccountWriteFailsWhenPermissionsFail(t *testing.T) {
	store := memory.NewStorage(domain.SystemClock{})
	perms := &failingACL{Permission: memory.NewPermission()}
	a := kinto.NewAccounts(store, perms, kinto.AccountSettings{
		Principals: map[string][]string{"account_create_principals": {app.Everyone}},
		BcryptCost: bcrypt.MinCost,
	})
	req := &app.Request{Resource: a.Resource, Caller: anon(), Vars: map[string]string{"id": "bob"}}
	_, err := a.Engine.Replace(context.Background(), req, "bob", app.Body{Data: map[string]any{"password": "pw"}})
	if err == nil || !errors.Is(err, errACLDown) {
		t.Fatalf("PUT /accounts/bob with ReplaceACL failing: %v, want the cause wrapped", err)
	}
}

var errACLDown = errors.New("acl store down")

// failingACL is a permission backend whose ReplaceACL fails.
type failingACL struct{ ports.Permission }

func (failingACL) ReplaceACL(context.Context, string, ports.ACL) error { return errACLDown }

// TestAccountChangeFailsWhenTheCacheCannotForget: a password change the
// login cache could not hear of is an error, not a silent success that
// would leave the old password working.
func TestAccountChangeFailsWhenTheCacheCannotForget(t *testing.T) {
	f := openAccounts(t)
	down := domain.Wrap(domain.Unavailable, "test", errors.New("cache down"))
	f.Accounts = kinto.NewAccounts(f.store, f.perms, kinto.AccountSettings{
		Principals: map[string][]string{"account_create_principals": {app.Everyone}},
		BcryptCost: bcrypt.MinCost,
		OnChange:   func(context.Context, string) error { return down },
	})
	_, err := f.put(t, anon(), "bob", map[string]any{"password": "s3cret"})
	if !errors.Is(err, down) || domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("PUT /accounts/bob with the cache down = %v, want the Unavailable cache error", err)
	}
}

// TestSetPassword: the operator's path creates or updates an account
// without any grant, hashes the password and gives the account alone the
// write permission, as a sign-up does.
func TestSetPassword(t *testing.T) {
	f := newAccounts(t, map[string][]string{}) // nobody may create or manage accounts
	ctx := context.Background()
	created, err := f.SetPassword(ctx, "alice@example.com", "pw1")
	if err != nil || !created {
		t.Fatalf("SetPassword(new): created %v, %v; want created", created, err)
	}
	stored, err := f.store.Get(ctx, kinto.AccountParent(), "alice@example.com")
	if err != nil {
		t.Fatalf("Get(alice): %v", err)
	}
	hash, _ := stored.Data["password"].(string)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("pw1")) != nil {
		t.Errorf("stored password %q is not the bcrypt hash of pw1", hash)
	}
	if acl := f.acl(t, "alice@example.com"); !reflect.DeepEqual(acl, ports.ACL{"write": {"account:alice@example.com"}}) {
		t.Errorf("ACL %v, want write for the account alone", acl)
	}
	created, err = f.SetPassword(ctx, "alice@example.com", "pw2")
	if err != nil || created {
		t.Fatalf("SetPassword(existing): created %v, %v; want updated", created, err)
	}
	stored, _ = f.store.Get(ctx, kinto.AccountParent(), "alice@example.com")
	hash, _ = stored.Data["password"].(string)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte("pw2")) != nil {
		t.Errorf("after the second SetPassword the hash is not pw2's")
	}
	if !slices.Equal(f.changed, []string{"alice@example.com", "alice@example.com"}) {
		t.Errorf("OnChange calls %v, want one per write", f.changed)
	}
	for _, tc := range []struct{ id, password string }{
		{"b o b", "pw"}, {"", "pw"}, {"bob", ""}, {"bob", strings.Repeat("x", 73)},
	} {
		if _, err := f.SetPassword(ctx, tc.id, tc.password); domain.KindOf(err) != domain.Invalid {
			t.Errorf("SetPassword(%q, %d bytes): kind %v (%v), want Invalid", tc.id, len(tc.password), domain.KindOf(err), err)
		}
	}
	if _, err := f.store.Get(ctx, kinto.AccountParent(), "bob"); domain.KindOf(err) != domain.NotFound {
		t.Errorf("Get(bob) after refused writes: %v, want NotFound", err)
	}
}
