package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// A client that goes away cancels its request's context, at whatever
// point the create has reached. These tests cancel it at each point in
// turn (before every port call the request makes, when a unit starts and
// when its work is done but not committed) and check that the create is
// all or nothing: either the record and its creator's write right, or
// neither.

func TestCanceledCreateLeavesRecordWithACLOrNothingOnMemory(t *testing.T) {
	testCanceledCreate(t, func(*testing.T) ports.Store { return memory.NewStore(domain.SystemClock{}) })
}

func TestCanceledCreateLeavesRecordWithACLOrNothingOnPostgres(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: canceled creates on PostgreSQL skipped")
	}
	testCanceledCreate(t, func(t *testing.T) ports.Store {
		db, err := sqlx.Connect("postgres", runnertest.FreshPostgresSchema(t, base))
		if err != nil {
			t.Fatalf("connect: %v", err) // set but unreachable: fail, never skip
		}
		t.Cleanup(func() { db.Close() })
		if err := postgres.Migrate(context.Background(), db); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return postgres.NewStore(db, domain.SystemClock{})
	})
}

func testCanceledCreate(t *testing.T, newStore func(t *testing.T) ports.Store) {
	t.Run("calls go through", func(t *testing.T) { testCanceledCreateWith(t, newStore(t), false) })
	t.Run("canceled calls fail", func(t *testing.T) { testCanceledCreateWith(t, newStore(t), true) })
}

func testCanceledCreateWith(t *testing.T, store ports.Store, failCanceled bool) {
	s, src := testSettings(t, nil)
	cut := &canceler{failCanceled: failCanceled}
	b := &wire.Backends{
		Storage:    newCutStorage(store.Storage(), cut),
		Permission: cutPermission{store.Permission(), cut},
		Units:      cutUnits{store, cut},
		Checks:     map[string]ports.HealthChecker{"storage": store.Storage(), "permission": store.Permission()},
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv, err := newServer(s, src, b, nil, log)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	k := &kintoServer{t: t, h: srv.Handler(), ids: map[string]string{}}
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
	// The creator is another user, with the right to create records only.
	k.must(http.StatusOK, owner, "PATCH", "/buckets/b/collections/c", map[string]any{
		"permissions": map[string]any{"record:create": []string{k.userID(member)}}})

	create := func(id string) (status int) {
		body, _ := json.Marshal(map[string]any{"data": map[string]any{"id": id, "title": "t"}})
		req := httptest.NewRequest("POST", "http://kinto.test/v1/buckets/b/collections/c/records", bytes.NewReader(body))
		req.Header.Set("Authorization", member.authorization())
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		k.h.ServeHTTP(rec, cut.arm(req))
		cut.disarm()
		return rec.Code
	}

	// A create nobody cancels counts its points.
	if status := create("counted"); status != http.StatusCreated {
		t.Fatalf("create without cancel: %d, want 201", status)
	}
	points := cut.seen()
	if points < 3 {
		t.Fatalf("a create passed %d points, want at least a unit and its writes", points)
	}
	t.Logf("a create passes %d points: %s", points, strings.Join(cut.trace, ", "))

	// What is stored, read from the store itself.
	ctx := context.Background()
	stored := func(id string) (ports.ACL, error) {
		t.Helper()
		_, getErr := store.Storage().Get(ctx, domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}, id)
		acl, err := store.Permission().ObjectACL(ctx, "/buckets/b/collections/c/records/"+id)
		if err != nil {
			t.Fatalf("ObjectACL(%s): %v", id, err)
		}
		return acl, getErr
	}
	if acl, getErr := stored("counted"); getErr != nil || !slices.Contains(acl["write"], k.userID(member)) {
		t.Fatalf("create without cancel: Get %v, ACL %v; want the record and its creator's write", getErr, acl)
	}

	for at := 1; at <= points; at++ {
		id := fmt.Sprintf("r%d", at)
		cut.cancelAt(at)
		status := create(id)
		where, reached := cut.canceledAt()
		if !reached {
			t.Fatalf("cancel at %d: the create passed fewer points than the one counted", at)
		}
		acl, getErr := stored(id)
		switch {
		case getErr == nil:
			if !slices.Contains(acl["write"], k.userID(member)) {
				t.Errorf("cancel at %d (%s): record stored (answer %d) but its creator lacks write: ACL %v", at, where, status, acl)
			}
		case domain.KindOf(getErr) == domain.NotFound:
			if len(acl) != 0 {
				t.Errorf("cancel at %d (%s): no record (answer %d) but ACL entries remain: %v", at, where, status, acl)
			}
			if status == http.StatusCreated {
				t.Errorf("cancel at %d (%s): answered 201 for a record that was not stored", at, where)
			}
		default:
			t.Fatalf("cancel at %d (%s): Get: %v", at, where, getErr)
		}
		if status == http.StatusInternalServerError {
			t.Errorf("cancel at %d (%s): answered 500, want 503 (or the create's own answer)", at, where)
		}
	}
}

// canceler counts the points a request passes while armed, and cancels
// the request's context when it reaches point target.
type canceler struct {
	mu     sync.Mutex
	armed  bool
	cancel context.CancelFunc
	count  int
	target int // 0: count only
	// failCanceled makes calls with a done context fail (see point).
	failCanceled bool
	at           string // the point where it canceled
	trace        []string
}

func (c *canceler) arm(r *http.Request) *http.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx, cancel := context.WithCancel(r.Context())
	c.armed, c.cancel, c.count, c.at, c.trace = true, cancel, 0, "", nil
	return r.WithContext(ctx)
}

func (c *canceler) disarm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = false
	if c.cancel != nil {
		c.cancel()
	}
}

func (c *canceler) cancelAt(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.target = n
}

func (c *canceler) seen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// canceledAt names the point where the last request was canceled; false
// when it never reached the target.
func (c *canceler) canceledAt() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at, c.at != ""
}

// point is one step of the request; at the target one, the request's
// context is canceled before the step runs. With failCanceled, a port
// call made with a done context then fails, as a network backend's would;
// without, it goes through, as the memory backends' do outside a unit.
func (c *canceler) point(ctx context.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.armed {
		return nil
	}
	c.count++
	c.trace = append(c.trace, name)
	if c.count == c.target {
		c.at = fmt.Sprintf("before %s", name)
		c.cancel()
	}
	if c.failCanceled && ctx.Err() != nil {
		return domain.Wrap(domain.Unavailable, "cut."+name, ctx.Err())
	}
	return nil
}

// cutUnits is the store's UnitOfWork with two points: the unit starting,
// and its work done but not yet committed.
type cutUnits struct {
	ports.UnitOfWork
	c *canceler
}

func (u cutUnits) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	_ = u.c.point(ctx, "Atomically") // the unit itself must notice the cancel
	return u.UnitOfWork.Atomically(ctx, func(ctx context.Context) error {
		err := fn(ctx)
		_ = u.c.point(ctx, "commit")
		return err
	})
}

// cutStorage is a Storage with a point before each call.
type cutStorage struct {
	s ports.Storage
	c *canceler
}

// newCutStorage wraps s, keeping its optional ports.OwnedCreator, so that
// the engine takes the path it takes in production.
func newCutStorage(s ports.Storage, c *canceler) ports.Storage {
	if oc, ok := s.(ports.OwnedCreator); ok {
		return cutOwnedStorage{cutStorage{s, c}, oc}
	}
	return cutStorage{s, c}
}

// cutOwnedStorage is a cutStorage over a storage that creates objects
// under their owner in one call.
type cutOwnedStorage struct {
	cutStorage
	oc ports.OwnedCreator
}

func (s cutOwnedStorage) CreateOwned(ctx context.Context, owner ports.ObjectRef, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	if err := s.c.point(ctx, "Storage.CreateOwned"); err != nil {
		return domain.Record{}, err
	}
	return s.oc.CreateOwned(ctx, owner, p, rec, unique)
}

func (s cutStorage) Healthy(ctx context.Context) error { return s.s.Healthy(ctx) }
func (s cutStorage) Timestamp(ctx context.Context, p domain.Parent) (int64, error) {
	if err := s.c.point(ctx, "Storage.Timestamp"); err != nil {
		return 0, err
	}
	return s.s.Timestamp(ctx, p)
}
func (s cutStorage) Create(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	if err := s.c.point(ctx, "Storage.Create"); err != nil {
		return domain.Record{}, err
	}
	return s.s.Create(ctx, p, rec, unique)
}
func (s cutStorage) LockList(ctx context.Context, p domain.Parent) error {
	if err := s.c.point(ctx, "Storage.LockList"); err != nil {
		return err
	}
	return s.s.LockList(ctx, p)
}
func (s cutStorage) Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error) {
	if err := s.c.point(ctx, "Storage.Get"); err != nil {
		return domain.Record{}, err
	}
	return s.s.Get(ctx, p, id)
}
func (s cutStorage) Update(ctx context.Context, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	if err := s.c.point(ctx, "Storage.Update"); err != nil {
		return domain.Record{}, err
	}
	return s.s.Update(ctx, p, rec, unique)
}
func (s cutStorage) Delete(ctx context.Context, p domain.Parent, id string, lastModified int64) (domain.Record, error) {
	if err := s.c.point(ctx, "Storage.Delete"); err != nil {
		return domain.Record{}, err
	}
	return s.s.Delete(ctx, p, id, lastModified)
}
func (s cutStorage) List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	if err := s.c.point(ctx, "Storage.List"); err != nil {
		return nil, err
	}
	return s.s.List(ctx, p, q)
}
func (s cutStorage) Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error) {
	if err := s.c.point(ctx, "Storage.Count"); err != nil {
		return 0, err
	}
	return s.s.Count(ctx, p, filters)
}
func (s cutStorage) DeleteMany(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	if err := s.c.point(ctx, "Storage.DeleteMany"); err != nil {
		return nil, err
	}
	return s.s.DeleteMany(ctx, p, q)
}
func (s cutStorage) Purge(ctx context.Context, parentID string) (int, error) {
	if err := s.c.point(ctx, "Storage.Purge"); err != nil {
		return 0, err
	}
	return s.s.Purge(ctx, parentID)
}
func (s cutStorage) Flush(ctx context.Context) error {
	if err := s.c.point(ctx, "Storage.Flush"); err != nil {
		return err
	}
	return s.s.Flush(ctx)
}
func (s cutStorage) PurgeDeleted(ctx context.Context, resource string, opts ports.PurgeOptions) (int, error) {
	if err := s.c.point(ctx, "Storage.PurgeDeleted"); err != nil {
		return 0, err
	}
	return s.s.PurgeDeleted(ctx, resource, opts)
}

// cutPermission is a Permission with a point before each call.
type cutPermission struct {
	p ports.Permission
	c *canceler
}

func (p cutPermission) Healthy(ctx context.Context) error { return p.p.Healthy(ctx) }
func (p cutPermission) Flush(ctx context.Context) error {
	if err := p.c.point(ctx, "Permission.Flush"); err != nil {
		return err
	}
	return p.p.Flush(ctx)
}
func (p cutPermission) ObjectACL(ctx context.Context, object string) (ports.ACL, error) {
	if err := p.c.point(ctx, "Permission.ObjectACL"); err != nil {
		return nil, err
	}
	return p.p.ObjectACL(ctx, object)
}
func (p cutPermission) ReplaceACL(ctx context.Context, object string, acl ports.ACL) error {
	if err := p.c.point(ctx, "Permission.ReplaceACL"); err != nil {
		return err
	}
	return p.p.ReplaceACL(ctx, object, acl)
}
func (p cutPermission) AddPrincipal(ctx context.Context, object, perm, principal string) error {
	if err := p.c.point(ctx, "Permission.AddPrincipal"); err != nil {
		return err
	}
	return p.p.AddPrincipal(ctx, object, perm, principal)
}
func (p cutPermission) RemovePrincipal(ctx context.Context, object, perm, principal string) error {
	if err := p.c.point(ctx, "Permission.RemovePrincipal"); err != nil {
		return err
	}
	return p.p.RemovePrincipal(ctx, object, perm, principal)
}
func (p cutPermission) DeleteACLs(ctx context.Context, prefix string) error {
	if err := p.c.point(ctx, "Permission.DeleteACLs"); err != nil {
		return err
	}
	return p.p.DeleteACLs(ctx, prefix)
}
func (p cutPermission) AnyGranted(ctx context.Context, principals []string, pairs []ports.ObjectPerm) (bool, error) {
	if err := p.c.point(ctx, "Permission.AnyGranted"); err != nil {
		return false, err
	}
	return p.p.AnyGranted(ctx, principals, pairs)
}
func (p cutPermission) Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error) {
	if err := p.c.point(ctx, "Permission.Accessible"); err != nil {
		return nil, err
	}
	return p.p.Accessible(ctx, principals, pattern, perms)
}
func (p cutPermission) GrantedAndACL(ctx context.Context, principals []string, pairs []ports.ObjectPerm, object string) (bool, ports.ACL, error) {
	if err := p.c.point(ctx, "Permission.GrantedAndACL"); err != nil {
		return false, nil, err
	}
	return p.p.GrantedAndACL(ctx, principals, pairs, object)
}
func (p cutPermission) UserPrincipals(ctx context.Context, users ...string) ([]string, error) {
	if err := p.c.point(ctx, "Permission.UserPrincipals"); err != nil {
		return nil, err
	}
	return p.p.UserPrincipals(ctx, users...)
}
func (p cutPermission) AddUserPrincipal(ctx context.Context, user, principal string) error {
	if err := p.c.point(ctx, "Permission.AddUserPrincipal"); err != nil {
		return err
	}
	return p.p.AddUserPrincipal(ctx, user, principal)
}
func (p cutPermission) RemoveUserPrincipal(ctx context.Context, user, principal string) error {
	if err := p.c.point(ctx, "Permission.RemoveUserPrincipal"); err != nil {
		return err
	}
	return p.p.RemoveUserPrincipal(ctx, user, principal)
}
func (p cutPermission) RemoveUserPrincipalsUnder(ctx context.Context, prefix string) error {
	if err := p.c.point(ctx, "Permission.RemoveUserPrincipalsUnder"); err != nil {
		return err
	}
	return p.p.RemoveUserPrincipalsUnder(ctx, prefix)
}
