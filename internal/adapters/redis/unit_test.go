package redis_test

import (
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

// newStore returns a Store under its own prefix: an empty store.
func newStore(t *testing.T, p *redis.Pool, prefix string, clock domain.Clock) *redis.Store {
	return redis.NewStore(p, clock, redis.StoreOptions{StoragePrefix: prefix + "s/", PermissionPrefix: prefix + "p/",
		UnitPrefix: prefix + "u/", LockTimeout: 10 * time.Second})
}

func TestUnitOfWorkContract(t *testing.T) {
	p := newPool(t)
	run := runPrefix(t, p)
	portstest.RunUnitOfWork(t, func(t *testing.T) ports.Store {
		return newStore(t, p, run+t.Name()+"/", wallClock{})
	})
}

// The Store's storage and permission pass their own contracts too.
func TestStoreStorageContract(t *testing.T) {
	p := newPool(t)
	run := runPrefix(t, p)
	portstest.RunStorage(t, func(t *testing.T, clock domain.Clock) ports.Storage {
		return newStore(t, p, run+t.Name()+"/", clock).Storage()
	})
}

func TestStorePermissionContract(t *testing.T) {
	p := newPool(t)
	run := runPrefix(t, p)
	portstest.RunPermission(t, func(t *testing.T) ports.Permission {
		return newStore(t, p, run+t.Name()+"/", wallClock{}).Permission()
	})
}

type wallClock struct{}

func (wallClock) NowMillis() int64 { return time.Now().UnixMilli() }
