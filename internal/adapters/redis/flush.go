package redis

import (
	"context"
	"strings"

	redigo "github.com/gomodule/redigo/redis"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Flush deletes every key of the storage (its prefix): objects, tombstones,
// list timestamps and the list of lists.
func (s *Storage) Flush(ctx context.Context) error {
	if s.guard == nil {
		return deletePrefixed(ctx, "redis.Storage.Flush", s.pool, s.prefix)
	}
	return s.guard.flush(ctx, "redis.Storage.Flush", s.prefix)
}

// Flush deletes every key of the permission backend (its prefix).
func (p *Permission) Flush(ctx context.Context) error {
	if p.guard == nil {
		return deletePrefixed(ctx, "redis.Permission.Flush", p.pool, p.prefix)
	}
	return p.guard.flush(ctx, "redis.Permission.Flush", p.prefix)
}

// delKeysScript deletes the keys ARGV names, logging each for rollback.
var delKeysScript = redigo.NewScript(0, unitLib+`
for i = 1, #ARGV do u_del(ARGV[i]) end
return 1`)

// flush deletes the keys under prefix in a unit, so that a rollback
// restores them (from their DUMP in the undo log).
func (st *Store) flush(ctx context.Context, op, prefix string) error {
	return st.write(ctx, func(ctx context.Context, uargs []any) error {
		conn, err := st.pool.get(ctx, op)
		if err != nil {
			return err
		}
		defer conn.Close()
		return eachPrefixed(ctx, conn, op, prefix, func(keys []any) error {
			if _, err := delKeysScript.DoContext(ctx, conn, append(uargs, keys...)...); err != nil {
				return translate(op, ctx, err)
			}
			return nil
		})
	})
}

// purgeDeletedScript removes the tombstones of one list that ARGV selects:
// with ARGV[1] positive, those stamped before it; otherwise all but the
// ARGV[2] newest. Tombstones are the ids of all that live lacks. It moves
// the list's version when it removed any, and returns how many.
// KEYS: meta, obj, all, live.
var purgeDeletedScript = redigo.NewScript(4, unitLib+`
local before, keep = tonumber(ARGV[1]), tonumber(ARGV[2])
local ids = redis.call('ZREVRANGE', KEYS[3], 0, -1, 'WITHSCORES')
local seen, n = 0, 0
for i = 1, #ids, 2 do
  local id, ts = ids[i], tonumber(ids[i+1])
  if not redis.call('ZSCORE', KEYS[4], id) then
    local purge
    if before > 0 then
      purge = ts < before
    else
      seen = seen + 1
      purge = seen > keep
    end
    if purge then
      u_hdel(KEYS[2], id)
      u_zrem(KEYS[3], id)
      n = n + 1
    end
  end
end
if n > 0 then redis.call('HINCRBY', KEYS[1], 'ver', 1) end
return n`)

// PurgeDeleted removes the selected tombstones of every list of resource,
// one list at a time (each atomically).
func (s *Storage) PurgeDeleted(ctx context.Context, resource string, opts ports.PurgeOptions) (total int, err error) {
	const op = "redis.Storage.PurgeDeleted"
	err = s.guard.write(ctx, func(ctx context.Context, uargs []any) error {
		total, err = s.purgeDeleted(ctx, op, resource, opts, uargs)
		return err
	})
	return total, err
}

func (s *Storage) purgeDeleted(ctx context.Context, op, resource string, opts ports.PurgeOptions, uargs []any) (int, error) {
	c, err := s.pool.get(ctx, op)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	members, err := redigo.Strings(redigo.DoContext(c, ctx, "ZRANGE", s.prefix+"lists", 0, -1))
	if err != nil {
		return 0, translate(op, ctx, err)
	}
	total := 0
	for _, m := range members {
		id, res, found := strings.Cut(m, "\x00")
		if !found {
			return total, domain.Errorf(domain.Internal, op, "malformed list name %q", m)
		}
		if res != resource {
			continue
		}
		k := s.keysOf(domain.Parent{Resource: res, ID: id})
		args := append([]any{k.meta, k.obj, k.all, k.live}, uargs...)
		n, err := redigo.Int(purgeDeletedScript.DoContext(ctx, c, append(args, opts.Before, max(opts.MaxRetained, 0))...))
		if err != nil {
			return total, translate(op, ctx, err)
		}
		total += n
	}
	return total, nil
}
