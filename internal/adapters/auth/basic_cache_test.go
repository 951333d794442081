package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
)

// The cache of recent credentials answers what the HMAC answers, keeps
// telling users apart and stays within its bound.
func TestBasicCacheOfRecentCredentials(t *testing.T) {
	b := NewBasic("s")
	ctx := context.Background()
	hdr := func(i int) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("user%d:pw", i)))
	}
	first, ok, err := b.Authenticate(ctx, hdr(1))
	if err != nil || !ok {
		t.Fatalf("Authenticate = %q, %v, %v", first, ok, err)
	}
	again, _, _ := b.Authenticate(ctx, hdr(1))
	other, _, _ := b.Authenticate(ctx, hdr(2))
	if again != first || other == first {
		t.Fatalf("same user %q then %q; other user %q", first, again, other)
	}
	for i := range basicCacheSize + 10 {
		if _, ok, _ := b.Authenticate(ctx, hdr(i)); !ok {
			t.Fatalf("user%d refused", i)
		}
	}
	if n := len(b.recent); n > basicCacheSize {
		t.Fatalf("cache holds %d entries, bound %d", n, basicCacheSize)
	}
	if uid, _, _ := NewBasic("s").Authenticate(ctx, hdr(1)); uid != first {
		t.Fatalf("after eviction user1 is %q, want %q", uid, first)
	}
	if _, ok, _ := b.Authenticate(ctx, "Basic !!!"); ok {
		t.Fatal("malformed header accepted")
	}
}
