package app

import (
	"context"
	"slices"
	"sync"
)

// A principals memo lets the requests of one batch read each caller's
// group principals once: the batch puts a memo in its context, and every
// subrequest's identity asks it first. Writes that change memberships
// forget it, so that the next subrequest reads them again, as Kinto's
// subrequests would.
type principalsMemo struct {
	mu sync.Mutex
	m  map[string][]string
}

type principalsMemoKey struct{}

// WithPrincipalsMemo returns ctx carrying a new, empty principals memo.
func WithPrincipalsMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, principalsMemoKey{}, &principalsMemo{m: map[string][]string{}})
}

// MemoizedPrincipals returns load's answer for user, from ctx's memo when
// it holds one; without a memo in ctx it calls load.
func MemoizedPrincipals(ctx context.Context, user string, load func() ([]string, error)) ([]string, error) {
	memo, _ := ctx.Value(principalsMemoKey{}).(*principalsMemo)
	if memo == nil {
		return load()
	}
	memo.mu.Lock()
	got, ok := memo.m[user]
	memo.mu.Unlock()
	if ok {
		return slices.Clone(got), nil
	}
	got, err := load()
	if err != nil {
		return nil, err
	}
	memo.mu.Lock()
	memo.m[user] = slices.Clone(got)
	memo.mu.Unlock()
	return got, nil
}

// ForgetPrincipals empties ctx's principals memo, if any: a write changed
// who holds which principal.
func ForgetPrincipals(ctx context.Context) {
	if memo, _ := ctx.Value(principalsMemoKey{}).(*principalsMemo); memo != nil {
		memo.mu.Lock()
		clear(memo.m)
		memo.mu.Unlock()
	}
}
