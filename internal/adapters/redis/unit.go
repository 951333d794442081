package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Store = (*Store)(nil)

// StoreOptions name and bound a Store.
type StoreOptions struct {
	// StoragePrefix and PermissionPrefix are the key prefixes of the
	// storage and of the permission backend; UnitPrefix that of the
	// store's lock and undo log. None may start with another, so that a
	// Flush of one never deletes the keys of the others.
	StoragePrefix, PermissionPrefix, UnitPrefix string
	// LockTimeout bounds the wait for the store's lock (a unit waiting for
	// another, a reader waiting for a unit to end); past it the call fails
	// with domain.Unavailable. 0 waits as long as the context allows.
	LockTimeout time.Duration
	// Lease is how long the lock outlives a process that stopped renewing
	// it (a crash); the holder renews it every Lease/3. 0 means 15s.
	Lease time.Duration
}

// Store is the Redis ports.Store: a Storage and a Permission whose writes
// form units of work.
//
// A unit holds the store's lock, one Redis key set with SET NX PX to a
// random token and renewed while the unit runs, so that units are
// serialized across every process sharing the database. Inside the unit,
// writes apply at once: every write script first checks that the lock holds
// the unit's token (a unit whose lease expired cannot write any more), and
// before changing a hash field, a sorted-set or set member, or deleting a
// whole key, appends its previous state (or its absence; DUMP for whole
// keys) to the undo log, a Redis list. Commit deletes the log and the lock
// in one script. Rollback replays the log newest first, restoring each
// field, member and key, then deletes it; a nested unit is a mark (the
// log's length) in the same log, and its rollback replays only what follows
// the mark. The log lives in Redis, so a unit whose process died is rolled
// back by the next unit that takes the lock, or by the next reader.
//
// Writes outside a unit run as a unit of their own, so they wait for the
// lock too. Reads outside a unit never see a unit's uncommitted writes:
// each read command runs in MULTI/EXEC after EXISTS on the lock and the log,
// and when either exists the read waits (bounded by LockTimeout) and runs
// again. A unit thus makes the whole store wait, as the memory Store does;
// units are meant to be short (one request's writes).
//
// List versions and timestamps are never reused: the version of a list
// only grows (rollback does not restore it), and a rolled back write's
// timestamp goes back with the list timestamp, as no one saw it.
type Store struct {
	pool               *Pool
	lock, log, seen    string
	lockTimeout, lease time.Duration
	storage            *Storage
	perms              *Permission
}

// NewStore returns a Store on pool whose storage stamps writes with clock.
func NewStore(pool *Pool, clock domain.Clock, opts StoreOptions) *Store {
	lease := opts.Lease
	if lease <= 0 {
		lease = 15 * time.Second
	}
	st := &Store{pool: pool, lock: opts.UnitPrefix + "lock", log: opts.UnitPrefix + "undo",
		seen: opts.UnitPrefix + "undo-seen", lockTimeout: opts.LockTimeout, lease: lease}
	st.storage = &Storage{pool: pool, prefix: opts.StoragePrefix, clock: clock, guard: st}
	st.perms = &Permission{pool: pool, prefix: opts.PermissionPrefix, guard: st}
	return st
}

// Storage returns the store's storage backend.
func (st *Store) Storage() ports.Storage { return st.storage }

// Permission returns the store's permission backend.
func (st *Store) Permission() ports.Permission { return st.perms }

// RedisStorage returns the storage as its concrete type.
func (st *Store) RedisStorage() *Storage { return st.storage }

// RedisPermission returns the permission backend as its concrete type.
func (st *Store) RedisPermission() *Permission { return st.perms }

// unit is one top-level unit of a Store.
type unit struct {
	st     *Store
	token  string
	open   atomic.Bool
	nextSP atomic.Int64
}

// unitRef is the context value of a unit: the unit and the savepoint the
// calls made with this context belong to.
type unitRef struct {
	u  *unit
	sp int64
}

type unitKey struct{}

// ref returns the open unit of st that ctx is in, or nil.
func (st *Store) ref(ctx context.Context) *unitRef {
	if st == nil {
		return nil
	}
	r, _ := ctx.Value(unitKey{}).(*unitRef)
	if r == nil || r.u.st != st || !r.u.open.Load() {
		return nil
	}
	return r
}

// noUnit are the unit arguments of a write script outside any Store: no
// lock to check, nothing to log.
var noUnit = []any{"", "", "", "0", ""}

// args are the first arguments of every write script (see unitLib).
func (r *unitRef) args() []any {
	return []any{r.u.st.lock, r.u.token, r.u.st.log, r.sp, r.u.st.seen}
}

// write runs fn with the unit arguments of ctx's unit; outside a unit it
// runs fn in a unit of its own, so that it waits for the lock; outside a
// Store (st nil) it runs fn as is.
func (st *Store) write(ctx context.Context, fn func(ctx context.Context, uargs []any) error) error {
	if st == nil {
		return fn(ctx, noUnit)
	}
	if r := st.ref(ctx); r != nil {
		return fn(ctx, r.args())
	}
	return st.Atomically(ctx, func(ctx context.Context) error {
		return fn(ctx, st.ref(ctx).args())
	})
}

// reader returns the connection reads of ctx go through: c itself inside a
// unit or outside a Store, else c guarded against uncommitted writes.
func (st *Store) reader(ctx context.Context, op string, c redigo.Conn) redigo.Conn {
	if st == nil || st.ref(ctx) != nil {
		return c
	}
	return &guardedConn{Conn: c, st: st, op: op}
}

// unitLib starts every write script. It takes the unit's five arguments
// off ARGV (lock key, token, undo log key, savepoint, seen key; an empty
// lock key outside a Store), refuses to run when the lock does not hold the
// token, and defines the logged writes: each saves the previous state of
// what it changes once per savepoint (the seen hash remembers the
// savepoint of the last save), as four log entries: kind, key, field or
// member, value.
const unitLib = `
local U_LOCK = table.remove(ARGV, 1)
local U_TOKEN = table.remove(ARGV, 1)
local U_LOG = table.remove(ARGV, 1)
local U_SP = table.remove(ARGV, 1)
local U_SEEN = table.remove(ARGV, 1)
if U_LOCK ~= '' and redis.call('GET', U_LOCK) ~= U_TOKEN then
  return redis.error_reply('CLIQUETLOCK the unit of work lost its lock')
end
local function u_first(tag)
  if U_LOCK == '' then return false end
  if redis.call('HGET', U_SEEN, tag) == U_SP then return false end
  redis.call('HSET', U_SEEN, tag, U_SP)
  return true
end
local function u_savefield(key, field)
  if u_first('h\0' .. key .. '\0' .. field) then
    local old = redis.call('HGET', key, field)
    if old then redis.call('RPUSH', U_LOG, 'h', key, field, old)
    else redis.call('RPUSH', U_LOG, 'H', key, field, '') end
  end
end
local function u_hset(key, field, value)
  u_savefield(key, field)
  return redis.call('HSET', key, field, value)
end
local function u_hdel(key, field)
  u_savefield(key, field)
  return redis.call('HDEL', key, field)
end
local function u_savescore(key, member)
  if u_first('z\0' .. key .. '\0' .. member) then
    local old = redis.call('ZSCORE', key, member)
    if old then redis.call('RPUSH', U_LOG, 'z', key, member, old)
    else redis.call('RPUSH', U_LOG, 'Z', key, member, '') end
  end
end
local function u_zadd(key, score, member)
  u_savescore(key, member)
  return redis.call('ZADD', key, score, member)
end
local function u_zrem(key, member)
  u_savescore(key, member)
  return redis.call('ZREM', key, member)
end
local function u_savemember(key, member)
  if u_first('s\0' .. key .. '\0' .. member) then
    if redis.call('SISMEMBER', key, member) == 1 then redis.call('RPUSH', U_LOG, 's', key, member, '')
    else redis.call('RPUSH', U_LOG, 'S', key, member, '') end
  end
end
local function u_sadd(key, member)
  u_savemember(key, member)
  return redis.call('SADD', key, member)
end
local function u_srem(key, member)
  u_savemember(key, member)
  return redis.call('SREM', key, member)
end
local function u_del(key)
  if u_first('k\0' .. key) then
    local dump = redis.call('DUMP', key)
    if dump then redis.call('RPUSH', U_LOG, 'k', key, '', dump)
    else redis.call('RPUSH', U_LOG, 'K', key, '', '') end
  end
  return redis.call('DEL', key)
end
`

// undoLib replays the undo log KEYS[2] newest first down to the entry
// index mark, then trims it (deletes it and the seen hash KEYS[3] at 0).
const undoLib = `
local function undo(mark)
  local e = redis.call('LRANGE', KEYS[2], mark, -1)
  for i = #e - 3, 1, -4 do
    local kind, key, f, v = e[i], e[i+1], e[i+2], e[i+3]
    if kind == 'h' then redis.call('HSET', key, f, v)
    elseif kind == 'H' then redis.call('HDEL', key, f)
    elseif kind == 'z' then redis.call('ZADD', key, v, f)
    elseif kind == 'Z' then redis.call('ZREM', key, f)
    elseif kind == 's' then redis.call('SADD', key, f)
    elseif kind == 'S' then redis.call('SREM', key, f)
    elseif kind == 'k' then redis.call('RESTORE', key, 0, v, 'REPLACE')
    elseif kind == 'K' then redis.call('DEL', key)
    end
  end
  if mark == 0 then redis.call('DEL', KEYS[2], KEYS[3])
  else redis.call('LTRIM', KEYS[2], 0, mark - 1) end
end
`

var (
	// acquireScript takes the lock (KEYS[1]) for token ARGV[1] with lease
	// ARGV[2] ms, rolling back the log a dead holder left; 0 if taken.
	acquireScript = redigo.NewScript(3, undoLib+`
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then undo(0) end
return 1`)
	// renewScript extends the lease of token ARGV[1]; 0 if lost.
	renewScript = redigo.NewScript(1, `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)
	// commitScript forgets the log and releases the lock of token ARGV[1];
	// 0 if the lock was lost.
	commitScript = redigo.NewScript(3, `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1`)
	// rollbackScript undoes the log down to mark ARGV[2] for token
	// ARGV[1], releasing the lock when ARGV[3] is '1'; 0 if lost.
	rollbackScript = redigo.NewScript(3, undoLib+`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
undo(tonumber(ARGV[2]))
if ARGV[3] == '1' then redis.call('DEL', KEYS[1]) end
return 1`)
)

// errLockLost: the unit's lease expired (its process stalled longer than
// the lease) and another unit may have taken the lock.
var errLockLost = errors.New("the unit of work lost the store's lock")

// Atomically runs fn as one unit; see ports.UnitOfWork and Store.
func (st *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	const op = "redis.Store.Atomically"
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	if r := st.ref(ctx); r != nil {
		return st.nested(ctx, r, fn)
	}
	u := &unit{st: st, token: newToken()}
	if err := st.acquire(ctx, op, u.token); err != nil {
		return err
	}
	u.open.Store(true)
	stop := make(chan struct{})
	renewed := make(chan struct{})
	go st.renew(u.token, stop, renewed)
	committed := false
	defer func() {
		close(stop)
		<-renewed
		u.open.Store(false)
		if committed {
			return
		}
		r := recover()
		if rbErr := st.rollback(ctx, op, u.token, 0, true); rbErr != nil && err == nil && r == nil {
			err = rbErr
		}
		if r != nil {
			panic(r)
		}
	}()
	if err := fn(context.WithValue(ctx, unitKey{}, &unitRef{u: u, sp: 0})); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, op, err)
	}
	ok, err := redigo.Int(st.run(context.WithoutCancel(ctx), op, commitScript, st.lock, st.log, st.seen, u.token))
	if err != nil {
		return err
	}
	if ok != 1 {
		return domain.Wrap(domain.Unavailable, op, errLockLost)
	}
	committed = true
	return nil
}

// nested runs fn as a savepoint of the unit of r: a mark in its log.
func (st *Store) nested(ctx context.Context, r *unitRef, fn func(ctx context.Context) error) (err error) {
	const op = "redis.Store.Atomically"
	mark, err := redigo.Int(st.pool.do(ctx, op, "LLEN", st.log))
	if err != nil {
		return translate(op, ctx, err)
	}
	inner := &unitRef{u: r.u, sp: r.u.nextSP.Add(1)}
	defer func() {
		if p := recover(); p != nil {
			_ = st.rollback(ctx, op, r.u.token, mark, false)
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, unitKey{}, inner)); err != nil {
		if rbErr := st.rollback(ctx, op, r.u.token, mark, false); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return nil
}

// rollback undoes the log of token down to mark, on a context that
// survives ctx's cancellation (a canceled request must still roll back),
// bounded by the lock timeout or the lease.
func (st *Store) rollback(ctx context.Context, op, token string, mark int, release bool) error {
	bound := st.lockTimeout
	if bound <= 0 {
		bound = st.lease
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bound)
	defer cancel()
	ok, err := redigo.Int(st.run(rctx, op, rollbackScript, st.lock, st.log, st.seen, token, mark, boolArg(release)))
	if err != nil {
		return err
	}
	if ok != 1 {
		return domain.Wrap(domain.Unavailable, op, errLockLost)
	}
	return nil
}

// acquire waits for the lock, at most the lock timeout.
func (st *Store) acquire(ctx context.Context, op, token string) error {
	w := st.waiter(ctx)
	for {
		ok, err := redigo.Int(st.run(ctx, op, acquireScript, st.lock, st.log, st.seen, token, st.lease.Milliseconds()))
		if err != nil {
			return err
		}
		if ok == 1 {
			return nil
		}
		if err := w.wait(ctx, op); err != nil {
			return err
		}
	}
}

// renew extends the lease every third of it until stop is closed.
func (st *Store) renew(token string, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(st.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), st.lease/3)
			// A failed renewal is retried at the next tick; the scripts
			// refuse the unit's writes once the lease is gone.
			_, _ = st.run(ctx, "redis.Store.renew", renewScript, st.lock, token, st.lease.Milliseconds())
			cancel()
		}
	}
}

// run runs a script of the store on a connection of the pool.
func (st *Store) run(ctx context.Context, op string, sc *redigo.Script, keysAndArgs ...any) (any, error) {
	return st.pool.script(ctx, op, sc, keysAndArgs...)
}

// recoverDead takes and releases the lock, which rolls back the log a dead
// unit left behind.
func (st *Store) recoverDead(ctx context.Context, op string) error {
	token := newToken()
	ok, err := redigo.Int(st.run(ctx, op, acquireScript, st.lock, st.log, st.seen, token, st.lease.Milliseconds()))
	if err != nil || ok != 1 {
		return err // taken meanwhile: its holder goes on
	}
	_, err = st.run(ctx, op, commitScript, st.lock, st.log, st.seen, token)
	return err
}

// waiter bounds a wait for the lock by the lock timeout.
type waiter struct {
	deadline time.Time
	bounded  bool
	tries    int
}

func (st *Store) waiter(context.Context) *waiter {
	w := &waiter{}
	if st.lockTimeout > 0 {
		w.deadline, w.bounded = time.Now().Add(st.lockTimeout), true
	}
	return w
}

// wait sleeps a little (1 to 4 ms, so that waiters spread out), or fails
// with Unavailable once the deadline or ctx is past.
func (w *waiter) wait(ctx context.Context, op string) error {
	if w.bounded && time.Now().After(w.deadline) {
		return &domain.Error{Kind: domain.Unavailable, Op: op, Message: "the store is busy",
			Err: fmt.Errorf("a unit of work held the store's lock for longer than the lock timeout")}
	}
	w.tries++
	n, _ := rand.Int(rand.Reader, big.NewInt(3000))
	t := time.NewTimer(time.Millisecond + time.Duration(n.Int64())*time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return translate(op, ctx, ctx.Err())
	case <-t.C:
		return nil
	}
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported systems
	return hex.EncodeToString(b[:])
}

// guardedConn runs each command in MULTI/EXEC after EXISTS on the store's
// lock and undo log, and waits while either exists: a reader outside a
// unit sees only committed writes.
type guardedConn struct {
	redigo.Conn
	st *Store
	op string
}

func (g *guardedConn) Do(cmd string, args ...any) (any, error) {
	return g.DoContext(context.Background(), cmd, args...)
}

func (g *guardedConn) ReceiveContext(ctx context.Context) (any, error) {
	return redigo.ReceiveContext(g.Conn, ctx)
}

func (g *guardedConn) DoContext(ctx context.Context, cmd string, args ...any) (any, error) {
	var w *waiter
	for {
		if err := g.Conn.Send("MULTI"); err != nil {
			return nil, err
		}
		if err := g.Conn.Send("EXISTS", g.st.lock); err != nil {
			return nil, err
		}
		if err := g.Conn.Send("EXISTS", g.st.log); err != nil {
			return nil, err
		}
		if err := g.Conn.Send(cmd, args...); err != nil {
			return nil, err
		}
		replies, err := redigo.Values(redigo.DoContext(g.Conn, ctx, "EXEC"))
		if err != nil {
			return nil, err
		}
		if len(replies) != 3 {
			return nil, fmt.Errorf("EXEC replied %d values, want 3", len(replies))
		}
		locked, _ := redigo.Int(replies[0], nil)
		logged, _ := redigo.Int(replies[1], nil)
		if locked == 0 && logged == 0 {
			if e, ok := replies[2].(redigo.Error); ok {
				return nil, e
			}
			return replies[2], nil
		}
		if locked == 0 { // a unit died with its log: roll it back
			if err := g.st.recoverDead(ctx, g.op); err != nil {
				return nil, err
			}
			continue
		}
		if w == nil {
			w = g.st.waiter(ctx)
		}
		if err := w.wait(ctx, g.op); err != nil {
			return nil, err
		}
	}
}
