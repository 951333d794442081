package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var accountParent = domain.Parent{Resource: "account"}

// accountStore serves accounts from a map through Get, the only method the
// policy uses, and counts the reads: every cache miss reads the account
// before running bcrypt, so reads count the bcrypt checks.
type accountStore struct {
	ports.Storage
	accounts map[string]domain.Record
	err      error
	gets     int
	onGet    func() // runs during Get, to interleave an invalidation
}

func (s *accountStore) Get(_ context.Context, p domain.Parent, id string) (domain.Record, error) {
	s.gets++
	if s.onGet != nil {
		s.onGet()
	}
	if s.err != nil {
		return domain.Record{}, s.err
	}
	if p != accountParent {
		return domain.Record{}, domain.NotFoundError("test", p.Resource, id)
	}
	rec, ok := s.accounts[id]
	if !ok {
		return domain.Record{}, domain.NotFoundError("test", "account", id)
	}
	return rec, nil
}

func hashOf(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatalf("bcrypt: %v", err)
	}
	return string(h)
}

type clock struct{ now int64 }

func (c *clock) NowMillis() int64 { return c.now }

func newAccountsPolicy(t *testing.T, ttl time.Duration) (*auth.Accounts, *accountStore, *clock) {
	t.Helper()
	store := &accountStore{accounts: map[string]domain.Record{
		"bob":   {ID: "bob", Data: map[string]any{"password": hashOf(t, "s3cret")}},
		"colon": {ID: "colon", Data: map[string]any{"password": hashOf(t, "a:b:c")}},
		"weird": {ID: "weird", Data: map[string]any{"password": 42}},
	}}
	c := &clock{now: 1_000_000}
	cache := memory.NewCache(memory.CacheOptions{Prefix: "kinto:", Clock: c})
	a := auth.NewAccounts(store, auth.AccountsOptions{Parent: accountParent, TTL: ttl, Clock: c, Cache: cache})
	return a, store, c
}

// authenticate runs the policy and fails the test on an error.
func authenticate(t *testing.T, a *auth.Accounts, creds string) (string, bool) {
	t.Helper()
	id, ok, err := a.Authenticate(context.Background(), basicHeader(creds))
	if err != nil {
		t.Fatalf("Authenticate(%q): %v", creds, err)
	}
	return id, ok
}

func TestAccountsAuthenticate(t *testing.T) {
	a, _, _ := newAccountsPolicy(t, 0)
	tests := []struct {
		creds  string
		wantID string
		wantOK bool
	}{
		{"bob:s3cret", "bob", true},
		{"colon:a:b:c", "colon", true}, // the password keeps its colons
		{"bob:wrong", "", false},
		{"bob:", "", false},
		{"bob:s3cret ", "", false},
		{"nobody:s3cret", "", false}, // unknown user: same answer as a wrong password
		{"weird:42", "", false},      // stored password not a hash
		{"bob:" + strings.Repeat("x", 73), "", false},
	}
	for _, tt := range tests {
		id, ok := authenticate(t, a, tt.creds)
		if id != tt.wantID || ok != tt.wantOK {
			t.Errorf("Authenticate(%q) = %q, %v; want %q, %v", tt.creds, id, ok, tt.wantID, tt.wantOK)
		}
	}
}

func TestAccountsIgnoresOtherHeaders(t *testing.T) {
	a, store, _ := newAccountsPolicy(t, time.Minute)
	for _, h := range []string{"", "Bearer abc", "Basic !!!", basicHeader("nocolon"), basicHeader(":s3cret")} {
		id, ok, err := a.Authenticate(context.Background(), h)
		if id != "" || ok || err != nil {
			t.Errorf("Authenticate(%q) = %q, %v, %v; want not accepted, no error", h, id, ok, err)
		}
	}
	if store.gets != 0 {
		t.Errorf("storage read %d times for headers without credentials, want 0", store.gets)
	}
}

func TestAccountsCachesSuccesses(t *testing.T) {
	a, store, c := newAccountsPolicy(t, 30*time.Second)
	if _, ok := authenticate(t, a, "bob:s3cret"); !ok {
		t.Fatal("Authenticate(bob:s3cret): not accepted")
	}
	if _, ok := authenticate(t, a, "bob:s3cret"); !ok || store.gets != 1 {
		t.Fatalf("second Authenticate(bob:s3cret): ok %v after %d reads, want accepted from cache (1 read)", ok, store.gets)
	}
	// Another password is never served from the cache.
	if _, ok := authenticate(t, a, "bob:wrong"); ok || store.gets != 2 {
		t.Fatalf("Authenticate(bob:wrong) after a cached login: ok %v after %d reads, want refused after a check (2 reads)", ok, store.gets)
	}
	// Refusals are cached too: a basicauth user named like an account does
	// not pay a bcrypt on every request.
	if _, ok := authenticate(t, a, "bob:wrong"); ok || store.gets != 2 {
		t.Errorf("second Authenticate(bob:wrong): ok %v after %d reads, want refused from cache (2 reads)", ok, store.gets)
	}
	c.now += 29_999
	authenticate(t, a, "bob:s3cret")
	if store.gets != 2 {
		t.Errorf("reads just before the TTL ends: %d, want 2 (still cached)", store.gets)
	}
	c.now++
	if _, ok := authenticate(t, a, "bob:s3cret"); !ok || store.gets != 3 {
		t.Errorf("Authenticate after the TTL: ok %v after %d reads, want accepted after a new check (3 reads)", ok, store.gets)
	}
	if _, ok := authenticate(t, a, "bob:wrong"); ok || store.gets != 4 {
		t.Errorf("Authenticate(bob:wrong) after the TTL: ok %v after %d reads, want refused after a new check (4 reads)", ok, store.gets)
	}
}

func TestAccountsInvalidate(t *testing.T) {
	a, store, _ := newAccountsPolicy(t, time.Minute)
	authenticate(t, a, "bob:s3cret")
	authenticate(t, a, "colon:a:b:c")
	// The password changes: the app stores the new hash and invalidates.
	store.accounts["bob"] = domain.Record{ID: "bob", Data: map[string]any{"password": hashOf(t, "new")}}
	invalidate(t, a, "bob")
	if _, ok := authenticate(t, a, "bob:s3cret"); ok {
		t.Error("Authenticate(bob:old password) after Invalidate: accepted, want refused")
	}
	if _, ok := authenticate(t, a, "bob:new"); !ok {
		t.Error("Authenticate(bob:new password) after Invalidate: refused, want accepted")
	}
	before := store.gets
	authenticate(t, a, "colon:a:b:c")
	if store.gets != before {
		t.Errorf("Invalidate(bob) dropped colon's cached login (%d reads, want %d)", store.gets, before)
	}
	// A deleted account stops working at once.
	delete(store.accounts, "bob")
	invalidate(t, a, "bob")
	if _, ok := authenticate(t, a, "bob:new"); ok {
		t.Error("Authenticate(bob) after deletion and Invalidate: accepted, want refused")
	}
}

func TestAccountsInvalidateDuringCheckIsNotCached(t *testing.T) {
	a, store, _ := newAccountsPolicy(t, time.Minute)
	// The account changes while a login reads its old hash: that login may
	// succeed, but must not be remembered.
	store.onGet = func() { invalidate(t, a, "bob") }
	if _, ok := authenticate(t, a, "bob:s3cret"); !ok {
		t.Fatal("Authenticate(bob:s3cret): refused")
	}
	store.onGet = nil
	authenticate(t, a, "bob:s3cret")
	if store.gets != 2 {
		t.Errorf("reads after a login raced with Invalidate: %d, want 2 (not cached)", store.gets)
	}
}

func TestAccountsWithoutCache(t *testing.T) {
	a, store, _ := newAccountsPolicy(t, 0)
	for i := 0; i < 3; i++ {
		if _, ok := authenticate(t, a, "bob:s3cret"); !ok {
			t.Fatalf("Authenticate #%d: refused", i)
		}
	}
	if store.gets != 3 {
		t.Errorf("reads with TTL 0: %d, want 3 (nothing cached)", store.gets)
	}
}

func TestAccountsStorageDown(t *testing.T) {
	a, store, _ := newAccountsPolicy(t, time.Minute)
	down := domain.Wrap(domain.Unavailable, "test", errors.New("connection refused"))
	store.err = down
	id, ok, err := a.Authenticate(context.Background(), basicHeader("bob:s3cret"))
	if ok || id != "" || !errors.Is(err, down) || domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Authenticate with storage down = %q, %v, %v; want an Unavailable error wrapping the cause", id, ok, err)
	}
}

func TestAccountsDescription(t *testing.T) {
	a, _, _ := newAccountsPolicy(t, 0)
	if a.Name() != "account" {
		t.Errorf("Name() = %q, want account", a.Name())
	}
	if a.Challenge() != `Basic realm="Realm"` {
		t.Errorf("Challenge() = %q, want Basic realm=\"Realm\"", a.Challenge())
	}
	c := auth.AccountsCapability()
	if c["description"] != "Manage user accounts." || !strings.HasSuffix(c["url"].(string), "/api/1.x/accounts.html") {
		t.Errorf("AccountsCapability() = %v, want Kinto's description and docs url", c)
	}
	if _, isProvider := any(a).(interface{ Capability() map[string]any }); isProvider {
		t.Error("Accounts has a Capability method: the server would advertise it as \"account\", not \"accounts\"")
	}
}

// TestAccountsRefusalForgottenOnChange: a password refused and remembered
// as refused works at once after the account changes to it.
func TestAccountsRefusalForgottenOnChange(t *testing.T) {
	a, store, _ := newAccountsPolicy(t, time.Minute)
	if _, ok := authenticate(t, a, "bob:new"); ok {
		t.Fatal("Authenticate(bob:new) before the change: accepted")
	}
	store.accounts["bob"] = domain.Record{ID: "bob", Data: map[string]any{"password": hashOf(t, "new")}}
	invalidate(t, a, "bob")
	if _, ok := authenticate(t, a, "bob:new"); !ok {
		t.Error("Authenticate(bob:new) after the change: refused, want accepted")
	}
}

func invalidate(t *testing.T, a *auth.Accounts, user string) {
	t.Helper()
	if err := a.Invalidate(context.Background(), user); err != nil {
		t.Fatalf("Invalidate(%s): %v", user, err)
	}
}

// TestAccountsNodesShareTheCache: two nodes on one cache (a PostgreSQL or
// Redis one in production) share logins, and a password change on one is
// seen by the other at once, with or without a shared secret.
func TestAccountsNodesShareTheCache(t *testing.T) {
	for _, secret := range []string{"shared secret", ""} {
		t.Run("secret="+secret, func(t *testing.T) {
			store := &accountStore{accounts: map[string]domain.Record{
				"bob": {ID: "bob", Data: map[string]any{"password": hashOf(t, "old")}},
			}}
			c := &clock{now: 1_000_000}
			cache := memory.NewCache(memory.CacheOptions{Clock: c})
			opts := auth.AccountsOptions{Parent: accountParent, TTL: time.Minute, Clock: c, Cache: cache, Secret: secret}
			nodeA, nodeB := auth.NewAccounts(store, opts), auth.NewAccounts(store, opts)
			if _, ok := authenticate(t, nodeA, "bob:old"); !ok {
				t.Fatal("node A: bob:old refused")
			}
			if _, ok := authenticate(t, nodeA, "bob:old"); !ok || store.gets != 1 {
				t.Fatalf("node A again: ok %v after %d reads, want accepted from the cache (1 read)", ok, store.gets)
			}
			authenticate(t, nodeB, "bob:old")
			if want := map[bool]int{true: 1, false: 2}[secret != ""]; store.gets != want {
				t.Errorf("reads after node B's login = %d, want %d (a shared secret shares logins)", store.gets, want)
			}
			// The password changes through node B.
			store.accounts["bob"] = domain.Record{ID: "bob", Data: map[string]any{"password": hashOf(t, "new")}}
			invalidate(t, nodeB, "bob")
			if _, ok := authenticate(t, nodeA, "bob:old"); ok {
				t.Error("node A: the old password still works after the change on node B")
			}
			if _, ok := authenticate(t, nodeA, "bob:new"); !ok {
				t.Error("node A: the new password is refused after the change on node B")
			}
		})
	}
}

// failingCache is a cache whose every call fails, as a Redis server down.
type failingCache struct {
	ports.Cache
	err error
}

func (f failingCache) Get(context.Context, string) ([]byte, bool, error) { return nil, false, f.err }
func (f failingCache) Delete(context.Context, string) error              { return f.err }

// TestAccountsCacheDown: with the cache down, logins and invalidations
// fail with its Unavailable error rather than skip it.
func TestAccountsCacheDown(t *testing.T) {
	store := &accountStore{accounts: map[string]domain.Record{
		"bob": {ID: "bob", Data: map[string]any{"password": hashOf(t, "s3cret")}},
	}}
	down := domain.Wrap(domain.Unavailable, "test", errors.New("connection refused"))
	a := auth.NewAccounts(store, auth.AccountsOptions{Parent: accountParent, TTL: time.Minute, Clock: &clock{}, Cache: failingCache{err: down}})
	if _, ok, err := a.Authenticate(context.Background(), basicHeader("bob:s3cret")); ok || !errors.Is(err, down) {
		t.Errorf("Authenticate with the cache down = %v, %v; want the cache's error", ok, err)
	}
	if err := a.Invalidate(context.Background(), "bob"); !errors.Is(err, down) || domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Invalidate with the cache down = %v, want the cache's Unavailable error", err)
	}
}

// TestAccountsCacheHoldsNoSecrets: the cache sees neither the user name
// nor the password, only MACs.
func TestAccountsCacheHoldsNoSecrets(t *testing.T) {
	store := &accountStore{accounts: map[string]domain.Record{
		"bob": {ID: "bob", Data: map[string]any{"password": hashOf(t, "s3cret")}},
	}}
	rec := &recordingCache{Cache: memory.NewCache(memory.CacheOptions{})}
	a := auth.NewAccounts(store, auth.AccountsOptions{Parent: accountParent, TTL: time.Minute, Clock: &clock{}, Cache: rec})
	authenticate(t, a, "bob:s3cret")
	if len(rec.sets) != 1 {
		t.Fatalf("cache writes = %d, want 1", len(rec.sets))
	}
	for _, w := range rec.sets {
		if strings.Contains(w, "bob") || strings.Contains(w, "s3cret") {
			t.Errorf("cache write %q holds the user name or the password", w)
		}
	}
}

type recordingCache struct {
	ports.Cache
	sets []string
}

func (r *recordingCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	r.sets = append(r.sets, key+" "+string(value))
	return r.Cache.Set(ctx, key, value, ttl)
}
