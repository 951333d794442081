package redis_test

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestPermissionContract(t *testing.T) {
	p := newPool(t)
	run := runPrefix(t, p)
	portstest.RunPermission(t, func(t *testing.T) ports.Permission {
		return redis.NewPermission(p, run+t.Name()+"/")
	})
}
