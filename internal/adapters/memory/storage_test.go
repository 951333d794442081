package memory_test

import (
	"context"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestStorageContract(t *testing.T) {
	portstest.RunStorage(t, func(t *testing.T, clock domain.Clock) ports.Storage {
		return memory.NewStorage(clock)
	})
}

var parent = domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}

// TestStorageCompactsRewrittenSlots rewrites objects many times so that the
// timestamp index compacts, and checks the order survives.
func TestStorageCompactsRewrittenSlots(t *testing.T) {
	ctx := context.Background()
	s := memory.NewStorage(domain.SystemClock{})
	ids := []string{"a", "b", "c", "d"}
	for round := range 100 {
		for _, id := range ids {
			if _, err := s.Update(ctx, parent, domain.Record{ID: id, Data: map[string]any{"round": round}}, nil); err != nil {
				t.Fatalf("Update(%s): %v", id, err)
			}
		}
	}
	got, err := s.List(ctx, parent, domain.Query{Sort: []domain.Sort{{Field: "last_modified"}}})
	if err != nil || len(got) != 4 {
		t.Fatalf("List = %d objects, %v; want 4", len(got), err)
	}
	for i, r := range got {
		if r.ID != ids[i] {
			t.Errorf("List[%d] = %s, want %s", i, r.ID, ids[i])
		}
	}
}

func TestUnitOfWorkContract(t *testing.T) {
	portstest.RunUnitOfWork(t, func(t *testing.T) ports.Store {
		return memory.NewStore(domain.SystemClock{})
	})
}

// The Store's storage and permission pass their own contracts too.
func TestStoreStorageContract(t *testing.T) {
	portstest.RunStorage(t, func(t *testing.T, clock domain.Clock) ports.Storage {
		return memory.NewStore(clock).Storage()
	})
}

func TestStorePermissionContract(t *testing.T) {
	portstest.RunPermission(t, func(t *testing.T) ports.Permission {
		return memory.NewStore(domain.SystemClock{}).Permission()
	})
}
