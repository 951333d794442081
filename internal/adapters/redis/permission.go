package redis

import (
	"context"
	"errors"
	"slices"
	"strings"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Permission = (*Permission)(nil)

// Permission is a ports.Permission on Redis. Every entry (object, perm,
// principal) is kept three ways, in step, by Lua scripts that change them
// together:
//
//   - acl:<object>, a hash whose fields are "perm\x00principal": ObjectACL
//     is one HKEYS and AnyGranted one HEXISTS per pair and principal;
//   - held:<principal>, a sorted set of "object\x00perm" (all scores 0, so
//     ordered by object): Accessible reads, for each principal, only the
//     entries under the literal prefix of its pattern (ZRANGEBYLEX), so its
//     cost follows what the principals hold there, not the objects stored;
//   - objects, a sorted set of the objects holding entries: DeleteACLs
//     finds an object and those below it by ZRANGEBYLEX.
//
// Users' principals are user:<user> (a set) and its mirror
// holders:<principal>, with principals (a sorted set) for
// RemoveUserPrincipalsUnder. The scripts build key names from the prefix,
// which a single Redis server allows (Redis Cluster would not).
type Permission struct {
	pool   *Pool
	prefix string
	guard  *Store // the Store this backend belongs to, or nil
}

// NewPermission returns a Permission on pool whose keys start with prefix.
func NewPermission(pool *Pool, prefix string) *Permission {
	return &Permission{pool: pool, prefix: prefix}
}

// permLib holds the Lua helpers every permission script starts with;
// ARGV[1] is always the key prefix.
const permLib = unitLib + `
local P = ARGV[1]
local function add(obj, perm, pr)
  u_hset(P .. 'acl:' .. obj, perm .. '\0' .. pr, '1')
  u_zadd(P .. 'held:' .. pr, 0, obj .. '\0' .. perm)
  u_zadd(P .. 'objects', 0, obj)
end
local function remove(obj, perm, pr)
  local key = P .. 'acl:' .. obj
  if u_hdel(key, perm .. '\0' .. pr) == 0 then return end
  u_zrem(P .. 'held:' .. pr, obj .. '\0' .. perm)
  if redis.call('HLEN', key) == 0 then u_zrem(P .. 'objects', obj) end
end
local function split(s)
  local i = string.find(s, '\0', 1, true)
  return string.sub(s, 1, i - 1), string.sub(s, i + 1)
end
local function under(key, prefix)
  local out = redis.call('ZRANGEBYLEX', key, '[' .. prefix, '[' .. prefix)
  local below = redis.call('ZRANGEBYLEX', key, '[' .. prefix .. '/', '(' .. prefix .. '0')
  for _, m in ipairs(below) do out[#out + 1] = m end
  return out
end
`

func permScript(body string) *redigo.Script { return redigo.NewScript(0, permLib+body) }

// permReadScript is a read-only script: no unit arguments, ARGV[1] is the
// prefix.
func permReadScript(body string) *redigo.Script {
	return redigo.NewScript(0, "local P = ARGV[1]\n"+body)
}

var (
	addScript    = permScript(`add(ARGV[2], ARGV[3], ARGV[4]) return 1`)
	removeScript = permScript(`remove(ARGV[2], ARGV[3], ARGV[4]) return 1`)
	// replaceScript: ARGV[2] is the object, then for each permission its
	// name, the count n of principals, and the n principals.
	replaceScript = permScript(`
local obj = ARGV[2]
local fields = redis.call('HKEYS', P .. 'acl:' .. obj)
local i = 3
while i <= #ARGV do
  local perm, n = ARGV[i], tonumber(ARGV[i + 1])
  local want = {}
  for j = 1, n do want[ARGV[i + 1 + j]] = true end
  for _, f in ipairs(fields) do
    local p, pr = split(f)
    if p == perm and not want[pr] then remove(obj, p, pr) end
  end
  for pr in pairs(want) do add(obj, perm, pr) end
  i = i + 2 + n
end
return 1`)
	deleteACLsScript = permScript(`
for _, obj in ipairs(under(P .. 'objects', ARGV[2])) do
  for _, f in ipairs(redis.call('HKEYS', P .. 'acl:' .. obj)) do
    local perm, pr = split(f)
    remove(obj, perm, pr)
  end
end
return 1`)
	// grantedScript: ARGV[2] is the object whose ACL to return ('' for
	// none), ARGV[3] the count n of principals, the n principals, then
	// (object, perm) pairs. It returns {granted, ACL fields}.
	grantedScript = permReadScript(`
local n = tonumber(ARGV[3])
local granted = 0
local i = 4 + n
while granted == 0 and i < #ARGV do
  local key = P .. 'acl:' .. ARGV[i]
  for j = 1, n do
    if redis.call('HEXISTS', key, ARGV[i + 1] .. '\0' .. ARGV[3 + j]) == 1 then granted = 1 break end
  end
  i = i + 2
end
local acl = {}
if ARGV[2] ~= '' then acl = redis.call('HKEYS', P .. 'acl:' .. ARGV[2]) end
return {granted, acl}`)
	// heldScript returns, for each principal in ARGV[3:], its entries
	// whose object starts with ARGV[2].
	heldScript = permReadScript(`
local out = {}
for i = 3, #ARGV do
  local m = redis.call('ZRANGEBYLEX', P .. 'held:' .. ARGV[i], '[' .. ARGV[2], '[' .. ARGV[2] .. '\255')
  for _, e in ipairs(m) do out[#out + 1] = e end
end
return out`)
	addUserScript = permScript(`
u_sadd(P .. 'user:' .. ARGV[2], ARGV[3])
u_sadd(P .. 'holders:' .. ARGV[3], ARGV[2])
u_zadd(P .. 'principals', 0, ARGV[3])
return 1`)
	removeUserScript = permScript(`
u_srem(P .. 'user:' .. ARGV[2], ARGV[3])
u_srem(P .. 'holders:' .. ARGV[3], ARGV[2])
if redis.call('SCARD', P .. 'holders:' .. ARGV[3]) == 0 then u_zrem(P .. 'principals', ARGV[3]) end
return 1`)
	removeUsersUnderScript = permScript(`
for _, pr in ipairs(under(P .. 'principals', ARGV[2])) do
  for _, u in ipairs(redis.call('SMEMBERS', P .. 'holders:' .. pr)) do
    u_srem(P .. 'user:' .. u, pr)
  end
  u_del(P .. 'holders:' .. pr)
  u_zrem(P .. 'principals', pr)
end
return 1`)
)

// run runs a permission write script with the unit's arguments, then the
// prefix as ARGV[1].
func (p *Permission) run(ctx context.Context, op string, sc *redigo.Script, args ...any) (reply any, err error) {
	err = p.guard.write(ctx, func(ctx context.Context, uargs []any) error {
		c, err := p.pool.get(ctx, op)
		if err != nil {
			return err
		}
		defer c.Close()
		all := append(append(uargs[:len(uargs):len(uargs)], p.prefix), args...)
		reply, err = sc.DoContext(ctx, c, all...)
		if err != nil && !errors.Is(err, redigo.ErrNil) {
			return translate(op, ctx, err)
		}
		return nil
	})
	return reply, err
}

// query runs a read-only permission script with the prefix as ARGV[1],
// guarded outside a unit of the store.
func (p *Permission) query(ctx context.Context, op string, sc *redigo.Script, args ...any) (any, error) {
	c, err := p.pool.get(ctx, op)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reply, err := sc.DoContext(ctx, p.guard.reader(ctx, op, c), append([]any{p.prefix}, args...)...)
	if err != nil && !errors.Is(err, redigo.ErrNil) {
		return nil, translate(op, ctx, err)
	}
	return reply, nil
}

// read runs one read command, guarded outside a unit of the store.
func (p *Permission) read(ctx context.Context, op, cmd string, args ...any) (any, error) {
	c, err := p.pool.get(ctx, op)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	reply, err := redigo.DoContext(p.guard.reader(ctx, op, c), ctx, cmd, args...)
	if err != nil && !errors.Is(err, redigo.ErrNil) {
		return nil, translate(op, ctx, err)
	}
	return reply, nil
}

// Healthy sends PING.
func (p *Permission) Healthy(ctx context.Context) error {
	_, err := p.pool.do(ctx, "redis.Permission.Healthy", "PING")
	return err
}

// ObjectACL reads the object's hash of entries.
func (p *Permission) ObjectACL(ctx context.Context, object string) (ports.ACL, error) {
	const op = "redis.Permission.ObjectACL"
	fields, err := redigo.Strings(p.read(ctx, op, "HKEYS", p.prefix+"acl:"+object))
	if err != nil {
		return nil, translate(op, ctx, err)
	}
	return aclOf(fields), nil
}

// aclOf turns "perm\x00principal" fields into an ACL, principals sorted.
func aclOf(fields []string) ports.ACL {
	acl := ports.ACL{}
	for _, f := range fields {
		perm, principal, ok := strings.Cut(f, "\x00")
		if ok {
			acl[perm] = append(acl[perm], principal)
		}
	}
	for _, principals := range acl {
		slices.Sort(principals)
	}
	return acl
}

// ReplaceACL sets the principals of each permission named in acl in one
// script.
func (p *Permission) ReplaceACL(ctx context.Context, object string, acl ports.ACL) error {
	args := []any{object}
	for perm, principals := range acl {
		args = append(args, perm, len(principals))
		for _, pr := range principals {
			args = append(args, pr)
		}
	}
	_, err := p.run(ctx, "redis.Permission.ReplaceACL", replaceScript, args...)
	return err
}

// AddPrincipal grants perm on object to principal.
func (p *Permission) AddPrincipal(ctx context.Context, object, perm, principal string) error {
	_, err := p.run(ctx, "redis.Permission.AddPrincipal", addScript, object, perm, principal)
	return err
}

// RemovePrincipal revokes perm on object from principal.
func (p *Permission) RemovePrincipal(ctx context.Context, object, perm, principal string) error {
	_, err := p.run(ctx, "redis.Permission.RemovePrincipal", removeScript, object, perm, principal)
	return err
}

// DeleteACLs removes the entries of prefix and of the objects below it, in
// one script.
func (p *Permission) DeleteACLs(ctx context.Context, prefix string) error {
	_, err := p.run(ctx, "redis.Permission.DeleteACLs", deleteACLsScript, prefix)
	return err
}

// AnyGranted checks each pair and principal in one script.
func (p *Permission) AnyGranted(ctx context.Context, principals []string, pairs []ports.ObjectPerm) (bool, error) {
	granted, _, err := p.granted(ctx, "redis.Permission.AnyGranted", principals, pairs, "")
	return granted, err
}

// GrantedAndACL answers AnyGranted and ObjectACL in one script.
func (p *Permission) GrantedAndACL(ctx context.Context, principals []string, pairs []ports.ObjectPerm, object string) (bool, ports.ACL, error) {
	granted, acl, err := p.granted(ctx, "redis.Permission.GrantedAndACL", principals, pairs, object)
	if err != nil {
		return false, nil, err
	}
	return granted, acl, nil
}

func (p *Permission) granted(ctx context.Context, op string, principals []string, pairs []ports.ObjectPerm, object string) (bool, ports.ACL, error) {
	args := []any{object, len(principals)}
	for _, pr := range principals {
		args = append(args, pr)
	}
	for _, pair := range pairs {
		args = append(args, pair.Object, pair.Perm)
	}
	reply, err := p.query(ctx, op, grantedScript, args...)
	if err != nil {
		return false, nil, err
	}
	values, err := redigo.Values(reply, nil)
	if err != nil || len(values) != 2 {
		return false, nil, domain.Errorf(domain.Internal, op, "unexpected reply %v (%v)", reply, err)
	}
	granted, err := redigo.Int(values[0], nil)
	if err != nil {
		return false, nil, domain.Wrap(domain.Internal, op, err)
	}
	fields, err := redigo.Strings(values[1], nil)
	if err != nil {
		return false, nil, domain.Wrap(domain.Internal, op, err)
	}
	return granted == 1, aclOf(fields), nil
}

// Accessible reads, for each principal, its entries under the literal
// prefix of pattern (everything before the first "*"), then keeps those
// whose object matches pattern and whose permission is wanted.
func (p *Permission) Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error) {
	const op = "redis.Permission.Accessible"
	out := map[string][]string{}
	if len(principals) == 0 || len(perms) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, domain.Wrap(domain.Unavailable, op, err)
		}
		return out, nil
	}
	literal, _, _ := strings.Cut(pattern, "*")
	args := []any{literal}
	for _, pr := range principals {
		args = append(args, pr)
	}
	entries, err := redigo.Strings(p.query(ctx, op, heldScript, args...))
	if err != nil {
		return nil, translate(op, ctx, err)
	}
	for _, e := range entries {
		object, perm, ok := strings.Cut(e, "\x00")
		if !ok || !slices.Contains(perms, perm) || !domain.MatchObjectPattern(pattern, object) {
			continue
		}
		if held := out[object]; !slices.Contains(held, perm) {
			out[object] = append(held, perm)
		}
	}
	for _, held := range out {
		slices.Sort(held)
	}
	return out, nil
}

// UserPrincipals returns the union of the users' principals, sorted.
func (p *Permission) UserPrincipals(ctx context.Context, users ...string) ([]string, error) {
	const op = "redis.Permission.UserPrincipals"
	if len(users) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, domain.Wrap(domain.Unavailable, op, err)
		}
		return []string{}, nil
	}
	args := make([]any, len(users))
	for i, u := range users {
		args[i] = p.prefix + "user:" + u
	}
	principals, err := redigo.Strings(p.read(ctx, op, "SUNION", args...))
	if err != nil {
		return nil, translate(op, ctx, err)
	}
	slices.Sort(principals)
	if principals == nil {
		principals = []string{}
	}
	return principals, nil
}

// AddUserPrincipal records that user holds principal.
func (p *Permission) AddUserPrincipal(ctx context.Context, user, principal string) error {
	_, err := p.run(ctx, "redis.Permission.AddUserPrincipal", addUserScript, user, principal)
	return err
}

// RemoveUserPrincipal removes principal from user.
func (p *Permission) RemoveUserPrincipal(ctx context.Context, user, principal string) error {
	_, err := p.run(ctx, "redis.Permission.RemoveUserPrincipal", removeUserScript, user, principal)
	return err
}

// RemoveUserPrincipalsUnder removes the principals equal to prefix or below
// it from every user, visiting only those principals' holders.
func (p *Permission) RemoveUserPrincipalsUnder(ctx context.Context, prefix string) error {
	_, err := p.run(ctx, "redis.Permission.RemoveUserPrincipalsUnder", removeUsersUnderScript, prefix)
	return err
}
