package memory_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
)

// BenchmarkAccessible lists the collections one principal can read while
// other principals hold entries on N collections: the cost must follow the
// principal's 100 entries, not N.
func BenchmarkAccessible(b *testing.B) {
	const held = 100
	ctx := context.Background()
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			p := memory.NewPermission()
			for i := range n {
				obj := fmt.Sprintf("/buckets/b/collections/c%06d", i)
				if err := p.AddPrincipal(ctx, obj, "read", fmt.Sprintf("account:u%d", i%50)); err != nil {
					b.Fatalf("AddPrincipal: %v", err)
				}
				if i%(n/held) == 0 {
					if err := p.AddPrincipal(ctx, obj, "write", "account:alice"); err != nil {
						b.Fatalf("AddPrincipal: %v", err)
					}
				}
			}
			principals := []string{"account:alice", "system.Everyone", "system.Authenticated"}
			perms := []string{"read", "write"}
			b.ResetTimer()
			for range b.N {
				got, err := p.Accessible(ctx, principals, "/buckets/b/collections/*", perms)
				if err != nil {
					b.Fatalf("Accessible: %v", err)
				}
				if len(got) != held {
					b.Fatalf("Accessible: %d objects, want %d", len(got), held)
				}
			}
		})
	}
}
