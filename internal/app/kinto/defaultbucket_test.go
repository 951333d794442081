package kinto_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app/kinto"
)

// TestDefaultBucketIDIsTheDashedHMAC checks the recycled HMAC against the
// definition: the first 32 hex digits of HMAC-SHA256(secret, user id),
// dashed 8-4-4-4-12, the same for every call and every goroutine.
func TestDefaultBucketIDIsTheDashedHMAC(t *testing.T) {
	const secret = "s3cr3t"
	svc := kinto.New(memory.NewStorage(nil), memory.NewPermission(), kinto.Settings{DefaultBucketSecret: secret})
	want := func(uid string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(uid))
		d := hex.EncodeToString(mac.Sum(nil))
		return d[0:8] + "-" + d[8:12] + "-" + d[12:16] + "-" + d[16:20] + "-" + d[20:32]
	}
	users := []string{"basicauth:alice", "basicauth:bob", "", "account:é"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for _, uid := range users {
					if got := svc.DefaultBucketID(uid); got != want(uid) {
						t.Errorf("DefaultBucketID(%q) = %s, want %s", uid, got, want(uid))
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
