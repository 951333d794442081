// Package metered times every call of the storage, permission, cache and
// authentication ports, as Kinto's watch_execution_time does: main wraps
// the adapters in these decorators, so that neither the adapters nor the
// engine know of metrics. Each call records a timing named
// "<prefix>.<name>.seconds" with the label method set to the snake_case
// method name ("backend.storage.seconds", method "create_owned").
package metered

import (
	"context"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// method is a timed method, an index into a timer's handles.
type method uint8

// The timed methods, in the order of methodNames.
const (
	mAccessible method = iota
	mAddPrincipal
	mAddUserPrincipal
	mAnyGranted
	mAuthenticate
	mCount
	mCreate
	mCreateFresh
	mCreateOwned
	mDelete
	mDeleteACLs
	mDeleteMany
	mExpire
	mFlush
	mGet
	mGrantedAndACL
	mHealthy
	mList
	mLockList
	mObjectACL
	mPurge
	mPurgeDeleted
	mRemovePrincipal
	mRemoveUserPrincipal
	mRemoveUserPrincipalsUnder
	mReplaceACL
	mSet
	mTimestamp
	mTTL
	mUpdate
	mUserPrincipals
	numMethods
)

// methodNames are the snake_case names of the methods, the values of the
// label method.
var methodNames = [numMethods]string{
	mAccessible:                "accessible",
	mAddPrincipal:              "add_principal",
	mAddUserPrincipal:          "add_user_principal",
	mAnyGranted:                "any_granted",
	mAuthenticate:              "authenticate",
	mCount:                     "count",
	mCreate:                    "create",
	mCreateFresh:               "create_fresh",
	mCreateOwned:               "create_owned",
	mDelete:                    "delete",
	mDeleteACLs:                "delete_acls",
	mDeleteMany:                "delete_many",
	mExpire:                    "expire",
	mFlush:                     "flush",
	mGet:                       "get",
	mGrantedAndACL:             "granted_and_acl",
	mHealthy:                   "healthy",
	mList:                      "list",
	mLockList:                  "lock_list",
	mObjectACL:                 "object_acl",
	mPurge:                     "purge",
	mPurgeDeleted:              "purge_deleted",
	mRemovePrincipal:           "remove_principal",
	mRemoveUserPrincipal:       "remove_user_principal",
	mRemoveUserPrincipalsUnder: "remove_user_principals_under",
	mReplaceACL:                "replace_acl",
	mSet:                       "set",
	mTimestamp:                 "timestamp",
	mTTL:                       "ttl",
	mUpdate:                    "update",
	mUserPrincipals:            "user_principals",
}

// timer records one key's timings, one handle per method: the handles are
// bound when a backend is wrapped, so that a call costs no lookup of its
// key and label, nor building of either.
type timer struct {
	handles *[numMethods]ports.Timer
}

func newTimer(m ports.Metrics, prefix, name string) timer {
	key := prefix + "." + name + ".seconds"
	var hs [numMethods]ports.Timer
	for i, n := range methodNames {
		hs[i] = ports.BindTimer(m, key, ports.Label{Name: "method", Value: n})
	}
	return timer{handles: &hs}
}

// since records the time elapsed since start for method.
func (t timer) since(m method, start time.Time) {
	t.handles[m].Time(time.Since(start))
}

// Storage times the calls of a ports.Storage. Wrap it with WrapStorage,
// which keeps the optional interfaces of the wrapped storage.
type Storage struct {
	next ports.Storage
	t    timer
}

var _ ports.Storage = (*Storage)(nil)

// ownedStorage is a Storage whose backend is a ports.OwnedCreator.
type ownedStorage struct {
	*Storage
	owned ports.OwnedCreator
}

// freshStorage is a Storage whose backend is a ports.FreshCreator.
type freshStorage struct {
	ownedStorage
	fresh ports.FreshCreator
}

var (
	_ ports.OwnedCreator = ownedStorage{}
	_ ports.FreshCreator = freshStorage{}
)

// WrapStorage returns s timed under "backend.storage.seconds". The result
// implements ports.OwnedCreator and ports.FreshCreator exactly when s does,
// because the engine type-asserts them to pick its write path.
func WrapStorage(s ports.Storage, m ports.Metrics) ports.Storage {
	base := &Storage{next: s, t: newTimer(m, "backend", "storage")}
	owned, ok := s.(ports.OwnedCreator)
	if !ok {
		return base
	}
	os := ownedStorage{Storage: base, owned: owned}
	if fresh, ok := s.(ports.FreshCreator); ok {
		return freshStorage{ownedStorage: os, fresh: fresh}
	}
	return os
}

// Unwrap returns the wrapped storage.
func (s *Storage) Unwrap() ports.Storage { return s.next }

func (s *Storage) Healthy(ctx context.Context) error {
	defer s.t.since(mHealthy, time.Now())
	return s.next.Healthy(ctx)
}

func (s *Storage) Timestamp(ctx context.Context, p domain.Parent) (int64, error) {
	defer s.t.since(mTimestamp, time.Now())
	return s.next.Timestamp(ctx, p)
}

func (s *Storage) Create(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	defer s.t.since(mCreate, time.Now())
	return s.next.Create(ctx, p, rec, unique)
}

func (s *Storage) LockList(ctx context.Context, p domain.Parent) error {
	defer s.t.since(mLockList, time.Now())
	return s.next.LockList(ctx, p)
}

func (s *Storage) Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error) {
	defer s.t.since(mGet, time.Now())
	return s.next.Get(ctx, p, id)
}

func (s *Storage) Update(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	defer s.t.since(mUpdate, time.Now())
	return s.next.Update(ctx, p, rec, unique)
}

func (s *Storage) Delete(ctx context.Context, p domain.Parent, id string, lastModified int64) (domain.Record, error) {
	defer s.t.since(mDelete, time.Now())
	return s.next.Delete(ctx, p, id, lastModified)
}

func (s *Storage) List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	defer s.t.since(mList, time.Now())
	return s.next.List(ctx, p, q)
}

func (s *Storage) Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error) {
	defer s.t.since(mCount, time.Now())
	return s.next.Count(ctx, p, filters)
}

func (s *Storage) DeleteMany(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	defer s.t.since(mDeleteMany, time.Now())
	return s.next.DeleteMany(ctx, p, q)
}

func (s *Storage) Purge(ctx context.Context, parentID string) (int, error) {
	defer s.t.since(mPurge, time.Now())
	return s.next.Purge(ctx, parentID)
}

func (s *Storage) Flush(ctx context.Context) error {
	defer s.t.since(mFlush, time.Now())
	return s.next.Flush(ctx)
}

func (s *Storage) PurgeDeleted(ctx context.Context, resource string, opts ports.PurgeOptions) (int, error) {
	defer s.t.since(mPurgeDeleted, time.Now())
	return s.next.PurgeDeleted(ctx, resource, opts)
}

func (s ownedStorage) CreateOwned(ctx context.Context, owner ports.ObjectRef, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	defer s.t.since(mCreateOwned, time.Now())
	return s.owned.CreateOwned(ctx, owner, p, rec, unique)
}

func (s freshStorage) CreateFresh(ctx context.Context, owner ports.ObjectRef, p domain.Parent, rec domain.Record) (domain.Record, error) {
	defer s.t.since(mCreateFresh, time.Now())
	return s.fresh.CreateFresh(ctx, owner, p, rec)
}

// Permission times the calls of a ports.Permission under
// "backend.permission.seconds".
type Permission struct {
	next ports.Permission
	t    timer
}

var _ ports.Permission = (*Permission)(nil)

// WrapPermission returns p timed under "backend.permission.seconds".
func WrapPermission(p ports.Permission, m ports.Metrics) *Permission {
	return &Permission{next: p, t: newTimer(m, "backend", "permission")}
}

func (p *Permission) Healthy(ctx context.Context) error {
	defer p.t.since(mHealthy, time.Now())
	return p.next.Healthy(ctx)
}

func (p *Permission) ObjectACL(ctx context.Context, object string) (ports.ACL, error) {
	defer p.t.since(mObjectACL, time.Now())
	return p.next.ObjectACL(ctx, object)
}

func (p *Permission) ReplaceACL(ctx context.Context, object string, acl ports.ACL) error {
	defer p.t.since(mReplaceACL, time.Now())
	return p.next.ReplaceACL(ctx, object, acl)
}

func (p *Permission) AddPrincipal(ctx context.Context, object, perm, principal string) error {
	defer p.t.since(mAddPrincipal, time.Now())
	return p.next.AddPrincipal(ctx, object, perm, principal)
}

func (p *Permission) RemovePrincipal(ctx context.Context, object, perm, principal string) error {
	defer p.t.since(mRemovePrincipal, time.Now())
	return p.next.RemovePrincipal(ctx, object, perm, principal)
}

func (p *Permission) DeleteACLs(ctx context.Context, prefix string) error {
	defer p.t.since(mDeleteACLs, time.Now())
	return p.next.DeleteACLs(ctx, prefix)
}

func (p *Permission) AnyGranted(ctx context.Context, principals []string, pairs []ports.ObjectPerm) (bool, error) {
	defer p.t.since(mAnyGranted, time.Now())
	return p.next.AnyGranted(ctx, principals, pairs)
}

func (p *Permission) GrantedAndACL(ctx context.Context, principals []string, pairs []ports.ObjectPerm, object string) (bool, ports.ACL, error) {
	defer p.t.since(mGrantedAndACL, time.Now())
	return p.next.GrantedAndACL(ctx, principals, pairs, object)
}

func (p *Permission) Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error) {
	defer p.t.since(mAccessible, time.Now())
	return p.next.Accessible(ctx, principals, pattern, perms)
}

func (p *Permission) UserPrincipals(ctx context.Context, users ...string) ([]string, error) {
	defer p.t.since(mUserPrincipals, time.Now())
	return p.next.UserPrincipals(ctx, users...)
}

func (p *Permission) AddUserPrincipal(ctx context.Context, user, principal string) error {
	defer p.t.since(mAddUserPrincipal, time.Now())
	return p.next.AddUserPrincipal(ctx, user, principal)
}

func (p *Permission) RemoveUserPrincipal(ctx context.Context, user, principal string) error {
	defer p.t.since(mRemoveUserPrincipal, time.Now())
	return p.next.RemoveUserPrincipal(ctx, user, principal)
}

func (p *Permission) RemoveUserPrincipalsUnder(ctx context.Context, prefix string) error {
	defer p.t.since(mRemoveUserPrincipalsUnder, time.Now())
	return p.next.RemoveUserPrincipalsUnder(ctx, prefix)
}

func (p *Permission) Flush(ctx context.Context) error {
	defer p.t.since(mFlush, time.Now())
	return p.next.Flush(ctx)
}

// Cache times the calls of a ports.Cache under "backend.cache.seconds".
type Cache struct {
	next ports.Cache
	t    timer
}

var _ ports.Cache = (*Cache)(nil)

// WrapCache returns c timed under "backend.cache.seconds".
func WrapCache(c ports.Cache, m ports.Metrics) *Cache {
	return &Cache{next: c, t: newTimer(m, "backend", "cache")}
}

func (c *Cache) Healthy(ctx context.Context) error {
	defer c.t.since(mHealthy, time.Now())
	return c.next.Healthy(ctx)
}

func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	defer c.t.since(mGet, time.Now())
	return c.next.Get(ctx, key)
}

func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	defer c.t.since(mSet, time.Now())
	return c.next.Set(ctx, key, value, ttl)
}

func (c *Cache) Delete(ctx context.Context, key string) error {
	defer c.t.since(mDelete, time.Now())
	return c.next.Delete(ctx, key)
}

func (c *Cache) Expire(ctx context.Context, key string, ttl time.Duration) error {
	defer c.t.since(mExpire, time.Now())
	return c.next.Expire(ctx, key, ttl)
}

func (c *Cache) TTL(ctx context.Context, key string) (time.Duration, bool, error) {
	defer c.t.since(mTTL, time.Now())
	return c.next.TTL(ctx, key)
}

func (c *Cache) Flush(ctx context.Context) error {
	defer c.t.since(mFlush, time.Now())
	return c.next.Flush(ctx)
}

// Store is a ports.Store whose Storage and Permission are timed. Its units
// are the wrapped store's: Atomically hands fn the context the store gave,
// unchanged, so calls on the timed Storage and Permission made with it
// still belong to the unit.
type Store struct {
	next ports.UnitOfWork
	s    ports.Storage
	p    ports.Permission
}

var _ ports.Store = (*Store)(nil)

// WrapStore returns a store running st's units over st's storage and
// permission, timed. st is a ports.Store or ports.Unitless alike.
func WrapStore(st ports.Store, m ports.Metrics) *Store {
	out := &Store{next: st, s: WrapStorage(st.Storage(), m)}
	if p := st.Permission(); p != nil {
		out.p = WrapPermission(p, m)
	}
	return out
}

// Atomically runs fn as one unit of the wrapped store.
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.next.Atomically(ctx, fn)
}

// Storage returns the timed storage of the store.
func (s *Store) Storage() ports.Storage { return s.s }

// Permission returns the timed permission backend of the store, nil when
// the store has none.
func (s *Store) Permission() ports.Permission { return s.p }

// Authenticator times the calls of one authentication policy under
// "authentication.<policy name>.seconds", as Kinto times each policy of
// its multiauth setup.
type Authenticator struct {
	ports.Authenticator
	t timer
}

// WrapAuthenticator returns a timed a. Its Capability and Challenge, when
// a has them, stay reachable through Unwrap.
func WrapAuthenticator(a ports.Authenticator, m ports.Metrics) *Authenticator {
	return &Authenticator{Authenticator: a, t: newTimer(m, "authentication", a.Name())}
}

// Unwrap returns the wrapped policy.
func (a *Authenticator) Unwrap() ports.Authenticator { return a.Authenticator }

// Authenticate times the wrapped policy's decision.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (string, bool, error) {
	defer a.t.since(mAuthenticate, time.Now())
	return a.Authenticator.Authenticate(ctx, authorization)
}

// Listener times the calls of an event listener under key (Kinto's
// "listeners.<name>.seconds", "plugins.history.seconds").
type Listener struct {
	next ports.Listener
	t    ports.Timer
}

var _ ports.Listener = Listener{}

// WrapListener returns l timed under key.
func WrapListener(l ports.Listener, m ports.Metrics, key string) Listener {
	return Listener{next: l, t: ports.BindTimer(m, key)}
}

func (l Listener) Changed(ctx context.Context, ev ports.ResourceChanged) error {
	defer func(start time.Time) { l.t.Time(time.Since(start)) }(time.Now())
	return l.next.Changed(ctx, ev)
}

func (l Listener) Read(ctx context.Context, ev ports.ResourceRead) error {
	defer func(start time.Time) { l.t.Time(time.Since(start)) }(time.Now())
	return l.next.Read(ctx, ev)
}
