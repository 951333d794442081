package redis_test

import (
	"context"
	"fmt"
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

// TestStorageLargePage reads a page of more objects than a Lua script can
// unpack at once (about 8000), as a list of storage_max_fetch_size (10,000)
// does.
func TestStorageLargePage(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	s := redis.NewStorage(p, runPrefix(t, p)+"/", domain.SystemClock{})
	list := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	const n = 9000
	for i := range n {
		if _, err := s.Create(ctx, list, domain.Record{ID: fmt.Sprintf("r%05d", i), Data: map[string]any{}}, nil); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	for _, desc := range []bool{true, false} {
		got, err := s.List(ctx, list, domain.Query{Sort: []domain.Sort{{Field: "last_modified", Desc: desc}}, Limit: n})
		if err != nil || len(got) != n {
			t.Fatalf("List(limit %d, desc %v) = %d objects, %v; want %d", n, desc, len(got), err, n)
		}
		first := "r00000"
		if desc {
			first = fmt.Sprintf("r%05d", n-1)
		}
		if got[0].ID != first {
			t.Errorf("List(desc %v)[0] = %s, want %s", desc, got[0].ID, first)
		}
	}
}
