package memory_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestPermissionContract(t *testing.T) {
	portstest.RunPermission(t, func(t *testing.T) ports.Permission {
		return memory.NewPermission()
	})
}

func TestPermissionHealthyCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := memory.NewPermission().Healthy(ctx)
	if domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Healthy(canceled): kind %v (%v), want Unavailable", domain.KindOf(err), err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Healthy(canceled) = %v, want it to wrap context.Canceled", err)
	}
}

// TestPermissionAccessibleGlob pins the memory adapter's reading of "*"
// inside a segment, beyond the whole-segment patterns the port requires: it
// matches any run of characters, never a "/".
func TestPermissionAccessibleGlob(t *testing.T) {
	ctx := context.Background()
	p := memory.NewPermission()
	objects := []string{"/buckets/b", "/buckets/b1", "/buckets/b10", "/buckets/ab", "/buckets/b1/collections/c"}
	for _, obj := range objects {
		if err := p.AddPrincipal(ctx, obj, "read", "alice"); err != nil {
			t.Fatalf("AddPrincipal(%s): %v", obj, err)
		}
	}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"/buckets/b*", []string{"/buckets/b", "/buckets/b1", "/buckets/b10"}},
		{"/buckets/*b", []string{"/buckets/ab", "/buckets/b"}},
		{"/buckets/*b*", []string{"/buckets/ab", "/buckets/b", "/buckets/b1", "/buckets/b10"}},
		{"/buckets/b*0", []string{"/buckets/b10"}},
		{"/buckets/**", []string{"/buckets/ab", "/buckets/b", "/buckets/b1", "/buckets/b10"}},
		{"/buckets/b1*/collections/*", []string{"/buckets/b1/collections/c"}},
		{"/*/b", []string{"/buckets/b"}},
		{"*", nil},
		{"/buckets*", nil},
		{"/buckets/x*", nil},
	} {
		got, err := p.Accessible(ctx, []string{"alice"}, tc.pattern, []string{"read"})
		if err != nil {
			t.Fatalf("Accessible(%s): %v", tc.pattern, err)
		}
		var objects []string
		for obj, perms := range got {
			if len(perms) != 1 || perms[0] != "read" {
				t.Errorf("Accessible(%s)[%s] = %v, want [read]", tc.pattern, obj, perms)
			}
			objects = append(objects, obj)
		}
		slices.Sort(objects)
		if !slices.Equal(objects, tc.want) {
			t.Errorf("Accessible(%s) objects = %v, want %v", tc.pattern, objects, tc.want)
		}
	}
}

// TestPermissionSortedOrder checks that the memory adapter answers in sorted
// order, which keeps responses and logs deterministic.
func TestPermissionSortedOrder(t *testing.T) {
	ctx := context.Background()
	p := memory.NewPermission()
	for _, principal := range []string{"zoe", "alice", "mike"} {
		if err := p.AddPrincipal(ctx, "/buckets/b", "read", principal); err != nil {
			t.Fatalf("AddPrincipal: %v", err)
		}
		if err := p.AddUserPrincipal(ctx, "account:u", principal); err != nil {
			t.Fatalf("AddUserPrincipal: %v", err)
		}
	}
	for _, perm := range []string{"write", "collection:create", "read"} {
		if err := p.AddPrincipal(ctx, "/buckets/c", perm, "alice"); err != nil {
			t.Fatalf("AddPrincipal: %v", err)
		}
	}
	acl, err := p.ObjectACL(ctx, "/buckets/b")
	if err != nil {
		t.Fatalf("ObjectACL: %v", err)
	}
	if want := []string{"alice", "mike", "zoe"}; !slices.Equal(acl["read"], want) {
		t.Errorf("ObjectACL read = %v, want %v", acl["read"], want)
	}
	users, err := p.UserPrincipals(ctx, "account:u")
	if err != nil {
		t.Fatalf("UserPrincipals: %v", err)
	}
	if want := []string{"alice", "mike", "zoe"}; !slices.Equal(users, want) {
		t.Errorf("UserPrincipals = %v, want %v", users, want)
	}
	got, err := p.Accessible(ctx, []string{"alice"}, "/buckets/*", []string{"read", "write", "collection:create"})
	if err != nil {
		t.Fatalf("Accessible: %v", err)
	}
	if want := []string{"collection:create", "read", "write"}; !slices.Equal(got["/buckets/c"], want) {
		t.Errorf("Accessible[/buckets/c] = %v, want %v", got["/buckets/c"], want)
	}
}
