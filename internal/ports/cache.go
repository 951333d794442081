package ports

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// Cache is Kinto's cache backend: short-lived values by key, each with a
// time to live, shared by every node that uses the same backend. Keys are
// stored under the cache_prefix the adapter was built with, so that
// services sharing one backend with different prefixes never see (nor
// flush) one another's keys. Values are JSON texts, as Kinto stores them.
// Implementations must be safe for concurrent use.
//
// A cache may drop a key before its TTL to stay within a size bound (the
// memory adapter's cache_max_size_bytes); Get then reports it missing, as
// for an expired key. Callers must treat every value as a hint they can
// rebuild.
//
// Every method fails with domain.Unavailable when the backend cannot be
// reached or ctx is done, and with domain.Invalid for an argument the
// comment below rules out; a missing or expired key is never an error.
type Cache interface {
	HealthChecker

	// Get returns the value stored at key and true, or nil and false when
	// the key was never set, was deleted or has expired.
	Get(ctx context.Context, key string) (value []byte, ok bool, err error)

	// Set stores value at key, replacing any previous value and TTL; the
	// key expires ttl from now. value must be a JSON text and ttl at least
	// a millisecond (finer durations are truncated to milliseconds);
	// otherwise Set fails with domain.Invalid and stores nothing.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// Delete removes key; deleting a missing key does nothing.
	Delete(ctx context.Context, key string) error

	// Expire makes a live key expire ttl from now, keeping its value; a
	// missing or expired key stays missing. ttl follows Set's rule.
	Expire(ctx context.Context, key string, ttl time.Duration) error

	// TTL returns how long key has left to live (at most what was set,
	// to the millisecond) and true, or 0 and false for a missing or
	// expired key.
	TTL(ctx context.Context, key string) (remaining time.Duration, ok bool, err error)

	// Flush removes every key under this cache's prefix, and only those.
	Flush(ctx context.Context) error
}

// CacheTTLMillis returns ttl in whole milliseconds, the unit every adapter
// stores, or the domain.Invalid error of a ttl under a millisecond.
// Adapters check their arguments with it and CheckCacheValue first, so
// that they all refuse the same input alike.
func CacheTTLMillis(op string, ttl time.Duration) (int64, error) {
	ms := ttl.Milliseconds()
	if ms < 1 {
		return 0, domain.Errorf(domain.Invalid, op, "cache ttl %v is shorter than a millisecond", ttl)
	}
	return ms, nil
}

// CheckCacheValue returns the domain.Invalid error of a value that is not
// a JSON text.
func CheckCacheValue(op string, value []byte) error {
	if !json.Valid(value) {
		return domain.Errorf(domain.Invalid, op, "cache value is not a JSON text")
	}
	return nil
}
