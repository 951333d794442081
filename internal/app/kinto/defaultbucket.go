package kinto

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// DefaultBucketID returns the id of a user's personal bucket: the HMAC of
// the user id, written as a UUID (PROTOCOL-kinto §1.6).
//
// Every request of an authenticated user asks it (hello, the default
// bucket's alias): the keyed HMAC is recycled and the id written into one
// buffer, so that the only allocation is the id's string.
func (s *Service) DefaultBucketID(userID string) string {
	mac := s.bucketMACs.Get().(hash.Hash)
	mac.Reset()
	_, _ = io.WriteString(mac, userID) // a hash.Hash never fails to write
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])
	s.bucketMACs.Put(mac)
	var hexSum [2 * sha256.Size]byte
	hex.Encode(hexSum[:], sum[:])
	var id [36]byte // the first 32 hex digits, dashed as a UUID's
	copy(id[0:8], hexSum[0:8])
	id[8] = '-'
	copy(id[9:13], hexSum[8:12])
	id[13] = '-'
	copy(id[14:18], hexSum[12:16])
	id[18] = '-'
	copy(id[19:23], hexSum[16:20])
	id[23] = '-'
	copy(id[24:36], hexSum[20:32])
	return string(id[:])
}

// EnsureDefaultBucket creates the caller's personal bucket when it is
// missing, and the collection cid in it when cid is not empty, skipping
// permission checks and giving the caller write. It returns the bucket id.
// skipBucket and skipCollection leave an object alone because the request
// itself creates it (PUT of the bucket or the collection).
func (s *Service) EnsureDefaultBucket(ctx context.Context, caller app.Caller, cid string, skipBucket, skipCollection bool) (string, error) {
	bid := s.DefaultBucketID(caller.UserID)
	if !skipBucket {
		if err := s.ensure(ctx, caller, s.Bucket, map[string]string{"bid": bid}, bid); err != nil {
			return "", err
		}
	}
	if cid != "" && !skipCollection {
		if !s.Collection.IDs.Valid(cid) {
			return "", invalid("", "Invalid collection id")
		}
		if err := s.ensure(ctx, caller, s.Collection, map[string]string{"bid": bid, "cid": cid}, cid); err != nil {
			return "", err
		}
	}
	return bid, nil
}

// ensure creates one object when it does not exist, with the caller as
// writer, bypassing the guard (the caller owns the default bucket).
func (s *Service) ensure(ctx context.Context, caller app.Caller, res *app.Resource, vars map[string]string, id string) error {
	parent := domain.Parent{Resource: res.Name, ID: res.ParentURI(vars)}
	if _, err := s.store.Get(ctx, parent, id); err == nil {
		return nil
	} else if domain.KindOf(err) != domain.NotFound {
		return fmt.Errorf("load %s %s: %w", res.Name, id, err)
	}
	_, err := s.store.Create(ctx, parent, domain.Record{ID: id, Data: map[string]any{}}, nil)
	if domain.KindOf(err) == domain.Conflict {
		return nil // created meanwhile by a concurrent request
	}
	if err != nil {
		return fmt.Errorf("create %s %s: %w", res.Name, id, err)
	}
	app.ForgetGrants(ctx)
	if err := s.perms.AddPrincipal(ctx, res.URI(vars, id), "write", caller.UserID); err != nil {
		return fmt.Errorf("grant write on %s: %w", res.URI(vars, id), err)
	}
	return nil
}
