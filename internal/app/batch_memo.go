package app

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// A batch memo lets the subrequests of one batch ask the backends each
// question once: who a caller is (its group principals) and whether some
// principals hold some permissions. The batch puts a memo in its context;
// every subrequest asks it first. What changes an answer forgets it: a
// membership change forgets the principals, an ACL change on an object
// forgets the permission answers that involved it, and a subrequest that
// fails (its writes undone) forgets everything. Without a memo in the
// context, every question goes to the backends.
type batchMemo struct {
	mu         sync.Mutex
	principals map[string][]string
	grants     map[string]grantAnswer
}

// grantAnswer is a permission answer and the objects it depends on.
type grantAnswer struct {
	granted bool
	objects []string
}

type batchMemoKey struct{}

// WithBatchMemo returns ctx carrying a new, empty batch memo.
func WithBatchMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchMemoKey{}, &batchMemo{principals: map[string][]string{}, grants: map[string]grantAnswer{}})
}

func memoOf(ctx context.Context) *batchMemo {
	m, _ := ctx.Value(batchMemoKey{}).(*batchMemo)
	return m
}

// MemoizedPrincipals returns load's answer for user, from ctx's memo when
// it holds one; without a memo in ctx it calls load.
func MemoizedPrincipals(ctx context.Context, user string, load func() ([]string, error)) ([]string, error) {
	memo := memoOf(ctx)
	if memo == nil {
		return load()
	}
	memo.mu.Lock()
	got, ok := memo.principals[user]
	memo.mu.Unlock()
	if ok {
		return slices.Clone(got), nil
	}
	got, err := load()
	if err != nil {
		return nil, err
	}
	memo.mu.Lock()
	memo.principals[user] = slices.Clone(got)
	memo.mu.Unlock()
	return got, nil
}

// ForgetPrincipals empties ctx's memo of principals, if any: a write
// changed who holds which principal.
func ForgetPrincipals(ctx context.Context) {
	if memo := memoOf(ctx); memo != nil {
		memo.mu.Lock()
		clear(memo.principals)
		memo.mu.Unlock()
	}
}

// ForgetGrants empties ctx's memo of permission answers, if any: for
// writes of ACLs outside the Guard.
func ForgetGrants(ctx context.Context) {
	if memo := memoOf(ctx); memo != nil {
		memo.mu.Lock()
		clear(memo.grants)
		memo.mu.Unlock()
	}
}

// ForgetAll empties ctx's memo: the writes of a failed subrequest were
// undone, and what was learnt since they were made may no longer hold.
func ForgetAll(ctx context.Context) {
	ForgetPrincipals(ctx)
	ForgetGrants(ctx)
}

// memoGrant returns a remembered permission answer.
func memoGrant(ctx context.Context, key string) (granted, ok bool) {
	memo := memoOf(ctx)
	if memo == nil {
		return false, false
	}
	memo.mu.Lock()
	defer memo.mu.Unlock()
	a, ok := memo.grants[key]
	return a.granted, ok
}

// rememberGrant keeps a permission answer that depends on objects.
func rememberGrant(ctx context.Context, key string, granted bool, objects []string) {
	if memo := memoOf(ctx); memo != nil {
		memo.mu.Lock()
		memo.grants[key] = grantAnswer{granted: granted, objects: objects}
		memo.mu.Unlock()
	}
}

// forgetGrantsOn drops the permission answers that involve uri or, with
// below, any object under it.
func forgetGrantsOn(ctx context.Context, uri string, below bool) {
	memo := memoOf(ctx)
	if memo == nil {
		return
	}
	memo.mu.Lock()
	defer memo.mu.Unlock()
	for key, a := range memo.grants {
		if slices.ContainsFunc(a.objects, func(o string) bool {
			return o == uri || (below && strings.HasPrefix(o, uri+"/"))
		}) {
			delete(memo.grants, key)
		}
	}
}
