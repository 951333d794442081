package redis_test

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestStorageContract(t *testing.T) {
	p := newPool(t)
	run := runPrefix(t, p)
	portstest.RunStorage(t, func(t *testing.T, clock domain.Clock) ports.Storage {
		// Each subtest gets its own prefix: an empty store.
		return redis.NewStorage(p, run+t.Name()+"/", clock)
	})
}
