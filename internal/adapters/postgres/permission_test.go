package postgres_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/ports/portstest"
)

func TestPermissionContract(t *testing.T) {
	testURL(t)
	portstest.RunPermission(t, func(t *testing.T) ports.Permission {
		return postgres.NewPermission(newDB(t))
	})
}

// TestPermissionPatternsAreLiteral checks that regular-expression and LIKE
// metacharacters in object URIs and patterns match only themselves.
func TestPermissionPatternsAreLiteral(t *testing.T) {
	ctx := context.Background()
	p := postgres.NewPermission(newDB(t))
	for _, obj := range []string{
		"/buckets/a.b", "/buckets/axb", "/buckets/a+b", "/buckets/aab",
		"/buckets/b_%/collections/c", "/buckets/bxy/collections/c", "/buckets/(x)|y/groups/g",
	} {
		if err := p.AddPrincipal(ctx, obj, "read", "alice"); err != nil {
			t.Fatalf("AddPrincipal(%s): %v", obj, err)
		}
	}
	read := []string{"read"}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"/buckets/a.*", []string{"/buckets/a.b"}},
		{"/buckets/a+*", []string{"/buckets/a+b"}},
		{"/buckets/*b", []string{"/buckets/a.b", "/buckets/a+b", "/buckets/aab", "/buckets/axb"}},
		{"/buckets/b_%/collections/*", []string{"/buckets/b_%/collections/c"}},
		{"/buckets/(x)|y/groups/*", []string{"/buckets/(x)|y/groups/g"}},
		{"/buckets/*/collections/*", []string{"/buckets/b_%/collections/c", "/buckets/bxy/collections/c"}},
		{"/buckets/a.b", []string{"/buckets/a.b"}},
	} {
		got, err := p.Accessible(ctx, []string{"alice"}, tc.pattern, read)
		if err != nil {
			t.Fatalf("Accessible(%s): %v", tc.pattern, err)
		}
		want := map[string][]string{}
		for _, obj := range tc.want {
			want[obj] = read
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Accessible(%s) = %v, want %v", tc.pattern, got, want)
		}
	}
	if err := p.DeleteACLs(ctx, "/buckets/b_%"); err != nil {
		t.Fatalf("DeleteACLs: %v", err)
	}
	if acl, _ := p.ObjectACL(ctx, "/buckets/bxy/collections/c"); len(acl) != 1 {
		t.Errorf("DeleteACLs(/buckets/b_%%) removed /buckets/bxy/collections/c: ACL %v", acl)
	}
	if acl, _ := p.ObjectACL(ctx, "/buckets/b_%/collections/c"); len(acl) != 0 {
		t.Errorf("DeleteACLs(/buckets/b_%%) kept its own child: ACL %v", acl)
	}
	if err := p.AddUserPrincipal(ctx, "bob", "/buckets/b_1/groups/g"); err != nil {
		t.Fatal(err)
	}
	if err := p.AddUserPrincipal(ctx, "bob", "/buckets/bx1/groups/g"); err != nil {
		t.Fatal(err)
	}
	if err := p.RemoveUserPrincipalsUnder(ctx, "/buckets/b_1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := p.UserPrincipals(ctx, "bob"); !reflect.DeepEqual(got, []string{"/buckets/bx1/groups/g"}) {
		t.Errorf("UserPrincipals(bob) = %v, want only the group of bx1", got)
	}
}

func TestPermissionRefusedConnectionIsUnavailable(t *testing.T) {
	ctx := context.Background()
	p := postgres.NewPermission(unreachableDB(t))
	pair := []ports.ObjectPerm{{Object: "/buckets/b", Perm: "read"}}
	calls := map[string]func() error{
		"Healthy":             func() error { return p.Healthy(ctx) },
		"ObjectACL":           func() error { _, err := p.ObjectACL(ctx, "/buckets/b"); return err },
		"ReplaceACL":          func() error { return p.ReplaceACL(ctx, "/buckets/b", ports.ACL{"read": {"a"}}) },
		"AddPrincipal":        func() error { return p.AddPrincipal(ctx, "/buckets/b", "read", "a") },
		"RemovePrincipal":     func() error { return p.RemovePrincipal(ctx, "/buckets/b", "read", "a") },
		"DeleteACLs":          func() error { return p.DeleteACLs(ctx, "/buckets/b") },
		"AnyGranted":          func() error { _, err := p.AnyGranted(ctx, []string{"a"}, pair); return err },
		"Accessible":          func() error { _, err := p.Accessible(ctx, []string{"a"}, "/buckets/*", []string{"read"}); return err },
		"AccessibleExact":     func() error { _, err := p.Accessible(ctx, []string{"a"}, "/buckets/b", []string{"read"}); return err },
		"UserPrincipals":      func() error { _, err := p.UserPrincipals(ctx, "a"); return err },
		"AddUserPrincipal":    func() error { return p.AddUserPrincipal(ctx, "a", "g") },
		"RemoveUserPrincipal": func() error { return p.RemoveUserPrincipal(ctx, "a", "g") },
		"RemoveUserPrincipalsUnder": func() error {
			return p.RemoveUserPrincipalsUnder(ctx, "/buckets/b")
		},
	}
	for name, call := range calls {
		err := call()
		if domain.KindOf(err) != domain.Unavailable {
			t.Errorf("%s(refused): %v (kind %v), want Unavailable", name, err, domain.KindOf(err))
		}
		var opErr *net.OpError
		if !errors.As(err, &opErr) {
			t.Errorf("%s(refused): %v, want the driver's *net.OpError kept as the cause", name, err)
		}
	}
}

func TestPermissionRefusesNUL(t *testing.T) {
	ctx := context.Background()
	p := postgres.NewPermission(newDB(t))
	if err := p.AddPrincipal(ctx, "/buckets/\x00", "read", "alice"); domain.KindOf(err) != domain.Invalid {
		t.Errorf("AddPrincipal(NUL object): %v (kind %v), want Invalid", err, domain.KindOf(err))
	}
}
