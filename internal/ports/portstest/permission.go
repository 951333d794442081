// Package portstest holds the contract suites of the ports: every adapter's
// tests run the suite of each port it implements, so that all adapters
// behave alike.
package portstest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// RunPermission runs the contract suite of ports.Permission against the
// stores newPermission returns. Each subtest calls it once and expects an
// empty store; principal order is never significant, so the suite sorts
// before comparing.
func RunPermission(t *testing.T, newPermission func(t *testing.T) ports.Permission) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s ports.Permission)
	}{
		{"Healthy", permHealthy},
		{"ObjectACLUnknown", permObjectACLUnknown},
		{"AddRemovePrincipal", permAddRemove},
		{"ReplaceACL", permReplaceACL},
		{"DeleteACLs", permDeleteACLs},
		{"AnyGranted", permAnyGranted},
		{"AccessibleExact", permAccessibleExact},
		{"AccessiblePattern", permAccessiblePattern},
		{"AccessibleMerge", permAccessibleMerge},
		{"UserPrincipals", permUserPrincipals},
		{"RemoveUserPrincipalsUnder", permRemoveUserPrincipalsUnder},
		{"ConcurrentWriters", permConcurrentWriters},
		{"ConcurrentReplaceACL", permConcurrentReplace},
		{"ReturnsCopies", permReturnsCopies},
		{"Flush", permFlush},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newPermission(t))
		})
	}
}

func permHealthy(t *testing.T, s ports.Permission) {
	if err := s.Healthy(context.Background()); err != nil {
		t.Fatalf("Healthy: %v, want nil", err)
	}
}

func permObjectACLUnknown(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	wantACL(t, s, "/buckets/unknown", ports.ACL{})
	// An object whose last entry was removed is unknown again: no empty
	// permission keys linger.
	mustAdd(t, s, "/buckets/b", "read", "alice")
	mustRemove(t, s, "/buckets/b", "read", "alice")
	wantACL(t, s, "/buckets/b", ports.ACL{})
	if err := s.ReplaceACL(ctx, "/buckets/c", ports.ACL{"read": {}}); err != nil {
		t.Fatalf("ReplaceACL(empty list): %v", err)
	}
	wantACL(t, s, "/buckets/c", ports.ACL{})
}

func permAddRemove(t *testing.T, s ports.Permission) {
	const obj = "/buckets/b"
	mustAdd(t, s, obj, "write", "alice")
	mustAdd(t, s, obj, "write", "alice") // idempotent
	mustAdd(t, s, obj, "write", "bob")
	mustAdd(t, s, obj, "read", "system.Everyone")
	mustAdd(t, s, "/buckets/other", "write", "carol")
	wantACL(t, s, obj, ports.ACL{"write": {"alice", "bob"}, "read": {"system.Everyone"}})

	mustRemove(t, s, obj, "write", "alice")
	mustRemove(t, s, obj, "write", "alice")          // idempotent
	mustRemove(t, s, obj, "write", "nobody")         // never granted
	mustRemove(t, s, obj, "delete", "bob")           // unknown permission
	mustRemove(t, s, "/buckets/none", "read", "bob") // unknown object
	wantACL(t, s, obj, ports.ACL{"write": {"bob"}, "read": {"system.Everyone"}})
	wantACL(t, s, "/buckets/other", ports.ACL{"write": {"carol"}})
}

func permReplaceACL(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	const obj = "/buckets/b/collections/c"
	mustAdd(t, s, obj, "write", "alice")
	mustAdd(t, s, obj, "read", "bob")
	mustAdd(t, s, obj, "record:create", "carol")

	// Named permissions are replaced exactly, duplicates collapse, an empty
	// list clears, unnamed permissions are kept.
	err := s.ReplaceACL(ctx, obj, ports.ACL{
		"write": {"dave", "alice", "dave"},
		"read":  {},
		"new":   {"erin"},
	})
	if err != nil {
		t.Fatalf("ReplaceACL: %v", err)
	}
	wantACL(t, s, obj, ports.ACL{
		"write":         {"alice", "dave"},
		"record:create": {"carol"},
		"new":           {"erin"},
	})

	// A nil list clears like an empty one; an empty ACL changes nothing.
	if err := s.ReplaceACL(ctx, obj, ports.ACL{"new": nil}); err != nil {
		t.Fatalf("ReplaceACL(nil list): %v", err)
	}
	if err := s.ReplaceACL(ctx, obj, ports.ACL{}); err != nil {
		t.Fatalf("ReplaceACL(empty ACL): %v", err)
	}
	wantACL(t, s, obj, ports.ACL{"write": {"alice", "dave"}, "record:create": {"carol"}})

	// Replacing creates the ACL of an unknown object; the indexes follow:
	// removed principals lose access, new ones gain it.
	if err := s.ReplaceACL(ctx, "/buckets/new", ports.ACL{"read": {"frank"}}); err != nil {
		t.Fatalf("ReplaceACL(unknown object): %v", err)
	}
	wantACL(t, s, "/buckets/new", ports.ACL{"read": {"frank"}})
	wantAccessible(t, s, []string{"bob"}, "/buckets/b/collections/*", []string{"read", "write"}, map[string][]string{})
	wantAccessible(t, s, []string{"dave"}, "/buckets/b/collections/*", []string{"write"},
		map[string][]string{obj: {"write"}})
}

func permDeleteACLs(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	objects := []string{
		"/buckets/b1",
		"/buckets/b1/collections/c",
		"/buckets/b1/collections/c/records/r",
		"/buckets/b1/groups/g",
		"/buckets/b10", // sibling sharing a string prefix
		"/buckets/b10/collections/c",
		"/buckets/b1x",
		"/buckets",
	}
	for _, obj := range objects {
		mustAdd(t, s, obj, "write", "alice")
		mustAdd(t, s, obj, "read", "bob")
	}

	if err := s.DeleteACLs(ctx, "/buckets/b1/collections/c"); err != nil {
		t.Fatalf("DeleteACLs(collection): %v", err)
	}
	wantACL(t, s, "/buckets/b1/collections/c", ports.ACL{})
	wantACL(t, s, "/buckets/b1/collections/c/records/r", ports.ACL{})
	wantACL(t, s, "/buckets/b1", ports.ACL{"write": {"alice"}, "read": {"bob"}})
	wantACL(t, s, "/buckets/b1/groups/g", ports.ACL{"write": {"alice"}, "read": {"bob"}})

	if err := s.DeleteACLs(ctx, "/buckets/b1"); err != nil {
		t.Fatalf("DeleteACLs(bucket): %v", err)
	}
	for _, gone := range []string{"/buckets/b1", "/buckets/b1/groups/g"} {
		wantACL(t, s, gone, ports.ACL{})
	}
	for _, kept := range []string{"/buckets/b10", "/buckets/b10/collections/c", "/buckets/b1x", "/buckets"} {
		wantACL(t, s, kept, ports.ACL{"write": {"alice"}, "read": {"bob"}})
	}
	// The principal index forgets deleted objects too.
	wantAccessible(t, s, []string{"alice"}, "/buckets/*", []string{"write"},
		map[string][]string{"/buckets/b10": {"write"}, "/buckets/b1x": {"write"}})

	// Deleting an unknown prefix, or a string prefix that is not a path
	// prefix, removes nothing.
	for _, prefix := range []string{"/buckets/none", "/buckets/b1x/", "/buckets/b"} {
		if err := s.DeleteACLs(ctx, prefix); err != nil {
			t.Fatalf("DeleteACLs(%q): %v", prefix, err)
		}
	}
	wantACL(t, s, "/buckets/b10", ports.ACL{"write": {"alice"}, "read": {"bob"}})
	wantACL(t, s, "/buckets/b1x", ports.ACL{"write": {"alice"}, "read": {"bob"}})

	// An object is re-creatable after deletion.
	mustAdd(t, s, "/buckets/b1", "write", "carol")
	wantACL(t, s, "/buckets/b1", ports.ACL{"write": {"carol"}})
}

func permAnyGranted(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	mustAdd(t, s, "/buckets/b", "write", "carol")
	mustAdd(t, s, "/buckets/b", "write", "alice")
	mustAdd(t, s, "/buckets/b/collections/c", "read", "/buckets/b/groups/g")
	mustAdd(t, s, "/buckets/b/collections/c", "record:create", "system.Everyone")

	bucketWrite := ports.ObjectPerm{Object: "/buckets/b", Perm: "write"}
	bucketRead := ports.ObjectPerm{Object: "/buckets/b", Perm: "read"}
	collRead := ports.ObjectPerm{Object: "/buckets/b/collections/c", Perm: "read"}
	collWrite := ports.ObjectPerm{Object: "/buckets/b/collections/c", Perm: "write"}
	collCreate := ports.ObjectPerm{Object: "/buckets/b/collections/c", Perm: "record:create"}
	for _, tc := range []struct {
		name       string
		principals []string
		pairs      []ports.ObjectPerm
		want       bool
	}{
		{"direct", []string{"alice"}, []ports.ObjectPerm{bucketWrite}, true},
		{"second pair", []string{"alice"}, []ports.ObjectPerm{bucketRead, bucketWrite}, true},
		{"second principal", []string{"bob", "alice"}, []ports.ObjectPerm{bucketWrite}, true},
		{"via group", []string{"bob", "/buckets/b/groups/g"}, []ports.ObjectPerm{collWrite, collRead}, true},
		{"everyone", []string{"system.Everyone"}, []ports.ObjectPerm{collCreate}, true},
		{"other perm", []string{"alice"}, []ports.ObjectPerm{bucketRead}, false},
		{"other object", []string{"alice"}, []ports.ObjectPerm{collWrite, collRead}, false},
		{"other principal", []string{"bob"}, []ports.ObjectPerm{bucketWrite, collRead, collCreate}, false},
		{"unknown object", []string{"alice"}, []ports.ObjectPerm{{Object: "/buckets/x", Perm: "write"}}, false},
		{"no principals", nil, []ports.ObjectPerm{bucketWrite}, false},
		{"no pairs", []string{"alice"}, nil, false},
		{"nothing", nil, nil, false},
	} {
		got, err := s.AnyGranted(ctx, tc.principals, tc.pairs)
		if err != nil {
			t.Fatalf("AnyGranted(%s): %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("AnyGranted(%s) = %v, want %v", tc.name, got, tc.want)
		}
		// GrantedAndACL decides the same, and adds the object's ACL
		// whatever the decision.
		for object, wantACL := range map[string]ports.ACL{
			"/buckets/b":               {"write": {"alice", "carol"}},
			"/buckets/b/collections/c": {"read": {"/buckets/b/groups/g"}, "record:create": {"system.Everyone"}},
			"/buckets/none":            {},
		} {
			granted, acl, err := s.GrantedAndACL(ctx, tc.principals, tc.pairs, object)
			if err != nil {
				t.Fatalf("GrantedAndACL(%s, %s): %v", tc.name, object, err)
			}
			if granted != tc.want {
				t.Errorf("GrantedAndACL(%s, %s) granted = %v, want %v", tc.name, object, granted, tc.want)
			}
			if !reflect.DeepEqual(acl, wantACL) {
				t.Errorf("GrantedAndACL(%s, %s) ACL = %v, want %v", tc.name, object, acl, wantACL)
			}
		}
	}
}

func permAccessibleExact(t *testing.T, s ports.Permission) {
	const obj = "/buckets/b/collections/c"
	mustAdd(t, s, obj, "read", "alice")
	mustAdd(t, s, obj, "write", "alice")
	mustAdd(t, s, obj, "record:create", "bob")
	mustAdd(t, s, obj+"/records/r", "write", "alice")
	mustAdd(t, s, "/buckets/b", "write", "alice")

	wantAccessible(t, s, []string{"alice"}, obj, []string{"read", "write", "record:create"},
		map[string][]string{obj: {"read", "write"}})
	wantAccessible(t, s, []string{"alice", "bob"}, obj, []string{"record:create", "write"},
		map[string][]string{obj: {"record:create", "write"}})
	wantAccessible(t, s, []string{"bob"}, obj, []string{"read"}, map[string][]string{})
	wantAccessible(t, s, []string{"carol"}, obj, []string{"read", "write"}, map[string][]string{})
	wantAccessible(t, s, []string{"alice"}, "/buckets/b/collections/none", []string{"write"}, map[string][]string{})
	wantAccessible(t, s, nil, obj, []string{"write"}, map[string][]string{})
	wantAccessible(t, s, []string{"alice"}, obj, nil, map[string][]string{})
}

func permAccessiblePattern(t *testing.T, s ports.Permission) {
	for _, obj := range []string{
		"/buckets/a",
		"/buckets/b",
		"/buckets/b/collections/c1",
		"/buckets/b/collections/c2",
		"/buckets/b/collections/c1/records/r1",
		"/buckets/b/collections/c1/records/r2",
		"/buckets/b/collections/c2/records/r3",
		"/buckets/b/groups/g",
		"/buckets/z/collections/c1",
	} {
		mustAdd(t, s, obj, "write", "alice")
	}
	mustAdd(t, s, "/buckets/b/collections/c1", "read", "alice")
	mustAdd(t, s, "/buckets/b/collections/c2", "read", "bob")
	mustAdd(t, s, "/buckets/c", "write", "bob")

	all := []string{"read", "write"}
	for _, tc := range []struct {
		pattern string
		perms   []string
		want    map[string][]string
	}{
		// One "*" matches one segment: never the children of a match.
		{"/buckets/*", all, map[string][]string{
			"/buckets/a": {"write"}, "/buckets/b": {"write"},
		}},
		{"/buckets/b/collections/*", all, map[string][]string{
			"/buckets/b/collections/c1": {"read", "write"},
			"/buckets/b/collections/c2": {"write"},
		}},
		{"/buckets/b/collections/*", []string{"read"}, map[string][]string{
			"/buckets/b/collections/c1": {"read"},
		}},
		{"/buckets/*/collections/*", []string{"write"}, map[string][]string{
			"/buckets/b/collections/c1": {"write"},
			"/buckets/b/collections/c2": {"write"},
			"/buckets/z/collections/c1": {"write"},
		}},
		{"/buckets/*/collections/c1", all, map[string][]string{
			"/buckets/b/collections/c1": {"read", "write"},
			"/buckets/z/collections/c1": {"write"},
		}},
		{"/buckets/b/collections/c1/records/*", all, map[string][]string{
			"/buckets/b/collections/c1/records/r1": {"write"},
			"/buckets/b/collections/c1/records/r2": {"write"},
		}},
		{"/buckets/b/collections/*/records/*", []string{"write"}, map[string][]string{
			"/buckets/b/collections/c1/records/r1": {"write"},
			"/buckets/b/collections/c1/records/r2": {"write"},
			"/buckets/b/collections/c2/records/r3": {"write"},
		}},
		{"/buckets/b/groups/*", all, map[string][]string{"/buckets/b/groups/g": {"write"}}},
		{"/buckets/b/*", all, map[string][]string{}},
		{"/*", all, map[string][]string{}},
		{"/buckets/*", []string{"record:create"}, map[string][]string{}},
		{"/buckets/*", nil, map[string][]string{}},
	} {
		wantAccessible(t, s, []string{"alice"}, tc.pattern, tc.perms, tc.want)
	}
	wantAccessible(t, s, nil, "/buckets/*", all, map[string][]string{})
}

func permAccessibleMerge(t *testing.T, s ports.Permission) {
	const (
		c1 = "/buckets/b/collections/c1"
		c2 = "/buckets/b/collections/c2"
		c3 = "/buckets/b/collections/c3"
	)
	group := "/buckets/b/groups/g"
	mustAdd(t, s, c1, "read", "alice")
	mustAdd(t, s, c1, "read", group) // same perm through two principals
	mustAdd(t, s, c1, "write", group)
	mustAdd(t, s, c2, "record:create", "system.Everyone")
	mustAdd(t, s, c3, "read", "bob")

	principals := []string{"alice", "system.Everyone", "system.Authenticated", group, "alice"}
	wantAccessible(t, s, principals, "/buckets/b/collections/*", []string{"read", "write", "record:create"},
		map[string][]string{
			c1: {"read", "write"},
			c2: {"record:create"},
		})
	wantAccessible(t, s, principals, "/buckets/b/collections/*", []string{"write", "write"},
		map[string][]string{c1: {"write"}})
}

func permUserPrincipals(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	wantUserPrincipals(t, s, "account:alice", nil)

	mustAddUser(t, s, "account:alice", "/buckets/b/groups/g2")
	mustAddUser(t, s, "account:alice", "/buckets/b/groups/g1")
	mustAddUser(t, s, "account:alice", "/buckets/b/groups/g1") // idempotent
	mustAddUser(t, s, "account:bob", "/buckets/b/groups/g1")
	mustAddUser(t, s, "system.Authenticated", "/buckets/b/groups/all")
	wantUserPrincipals(t, s, "account:alice", []string{"/buckets/b/groups/g1", "/buckets/b/groups/g2"})
	wantUserPrincipals(t, s, "account:bob", []string{"/buckets/b/groups/g1"})
	wantUserPrincipals(t, s, "system.Authenticated", []string{"/buckets/b/groups/all"})
	// Several users at once: the union, sorted, each principal once.
	both, err := s.UserPrincipals(ctx, "account:alice", "account:bob", "system.Authenticated", "account:nobody")
	if err != nil {
		t.Fatalf("UserPrincipals(alice, bob, Authenticated): %v", err)
	}
	if want := []string{"/buckets/b/groups/all", "/buckets/b/groups/g1", "/buckets/b/groups/g2"}; !slices.Equal(both, want) {
		t.Errorf("UserPrincipals(alice, bob, Authenticated) = %v, want %v", both, want)
	}

	for _, tc := range []struct{ user, principal string }{
		{"account:alice", "/buckets/b/groups/g1"},
		{"account:alice", "/buckets/b/groups/g1"}, // idempotent
		{"account:alice", "/buckets/b/groups/none"},
		{"account:nobody", "/buckets/b/groups/g2"},
	} {
		if err := s.RemoveUserPrincipal(ctx, tc.user, tc.principal); err != nil {
			t.Fatalf("RemoveUserPrincipal(%s, %s): %v", tc.user, tc.principal, err)
		}
	}
	wantUserPrincipals(t, s, "account:alice", []string{"/buckets/b/groups/g2"})
	wantUserPrincipals(t, s, "account:bob", []string{"/buckets/b/groups/g1"})

	// A user can hold the same principal again after losing it.
	mustAddUser(t, s, "account:alice", "/buckets/b/groups/g1")
	wantUserPrincipals(t, s, "account:alice", []string{"/buckets/b/groups/g1", "/buckets/b/groups/g2"})
}

func permRemoveUserPrincipalsUnder(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	for _, user := range []string{"account:alice", "account:bob"} {
		for _, principal := range []string{
			"/buckets/b1/groups/g",
			"/buckets/b1/groups/h",
			"/buckets/b10/groups/g", // sibling sharing a string prefix
			"/buckets/b2/groups/g",
			"other",
		} {
			mustAddUser(t, s, user, principal)
		}
	}
	mustAddUser(t, s, "account:carol", "/buckets/b1/groups/h")

	// Exact: one group.
	if err := s.RemoveUserPrincipalsUnder(ctx, "/buckets/b1/groups/g"); err != nil {
		t.Fatalf("RemoveUserPrincipalsUnder(group): %v", err)
	}
	rest := []string{"/buckets/b1/groups/h", "/buckets/b10/groups/g", "/buckets/b2/groups/g", "other"}
	wantUserPrincipals(t, s, "account:alice", rest)
	wantUserPrincipals(t, s, "account:bob", rest)

	// Under a prefix: every group of a bucket, not those of b10.
	if err := s.RemoveUserPrincipalsUnder(ctx, "/buckets/b1"); err != nil {
		t.Fatalf("RemoveUserPrincipalsUnder(bucket): %v", err)
	}
	rest = []string{"/buckets/b10/groups/g", "/buckets/b2/groups/g", "other"}
	wantUserPrincipals(t, s, "account:alice", rest)
	wantUserPrincipals(t, s, "account:bob", rest)
	wantUserPrincipals(t, s, "account:carol", nil)

	// Unknown prefixes and string prefixes that are not path prefixes
	// remove nothing.
	for _, prefix := range []string{"/buckets/none", "/buckets/b", "/buckets/b2/groups/g/"} {
		if err := s.RemoveUserPrincipalsUnder(ctx, prefix); err != nil {
			t.Fatalf("RemoveUserPrincipalsUnder(%q): %v", prefix, err)
		}
	}
	wantUserPrincipals(t, s, "account:alice", rest)

	// A removed group can be joined again.
	mustAddUser(t, s, "account:carol", "/buckets/b1/groups/h")
	wantUserPrincipals(t, s, "account:carol", []string{"/buckets/b1/groups/h"})
}

func permConcurrentWriters(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	const (
		writers = 8
		objects = 20
	)
	coll := func(i int) string { return fmt.Sprintf("/buckets/b/collections/c%02d", i) }
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			principal := fmt.Sprintf("user%d", w)
			for i := range objects {
				// Every writer adds read and write, then removes read
				// from the odd objects; readers run in between.
				for _, perm := range []string{"read", "write"} {
					if err := s.AddPrincipal(ctx, coll(i), perm, principal); err != nil {
						errs <- fmt.Errorf("AddPrincipal: %w", err)
						return
					}
				}
				if err := s.AddUserPrincipal(ctx, principal, coll(i)); err != nil {
					errs <- fmt.Errorf("AddUserPrincipal: %w", err)
					return
				}
				if _, err := s.Accessible(ctx, []string{principal}, "/buckets/b/collections/*", []string{"read"}); err != nil {
					errs <- fmt.Errorf("Accessible: %w", err)
					return
				}
				if i%2 == 1 {
					if err := s.RemovePrincipal(ctx, coll(i), "read", principal); err != nil {
						errs <- fmt.Errorf("RemovePrincipal: %w", err)
						return
					}
					if err := s.RemoveUserPrincipal(ctx, principal, coll(i)); err != nil {
						errs <- fmt.Errorf("RemoveUserPrincipal: %w", err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent writer: %v", err)
	}

	everyone := make([]string, writers)
	for w := range writers {
		everyone[w] = fmt.Sprintf("user%d", w)
	}
	slices.Sort(everyone)
	for i := range objects {
		want := ports.ACL{"write": everyone}
		if i%2 == 0 {
			want["read"] = everyone
		}
		wantACL(t, s, coll(i), want)
	}
	for w := range writers {
		principal := fmt.Sprintf("user%d", w)
		wantRead := make(map[string][]string)
		var wantGroups []string
		for i := 0; i < objects; i += 2 {
			wantRead[coll(i)] = []string{"read"}
			wantGroups = append(wantGroups, coll(i))
		}
		wantAccessible(t, s, []string{principal}, "/buckets/b/collections/*", []string{"read"}, wantRead)
		wantUserPrincipals(t, s, principal, wantGroups)
	}
}

func permReturnsCopies(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	const obj = "/buckets/b"
	input := ports.ACL{"read": {"alice", "bob"}}
	if err := s.ReplaceACL(ctx, obj, input); err != nil {
		t.Fatalf("ReplaceACL: %v", err)
	}
	// The store keeps no reference to the caller's ACL.
	input["read"][0] = "mallory"
	input["write"] = []string{"mallory"}

	acl, err := s.ObjectACL(ctx, obj)
	if err != nil {
		t.Fatalf("ObjectACL: %v", err)
	}
	if len(acl["read"]) != 2 {
		t.Fatalf("ObjectACL(%s) = %v, want 2 readers", obj, acl)
	}
	acl["read"][0] = "mallory"
	acl["write"] = []string{"mallory"}
	delete(acl, "read")
	wantACL(t, s, obj, ports.ACL{"read": {"alice", "bob"}})

	got, err := s.Accessible(ctx, []string{"alice"}, "/buckets/*", []string{"read"})
	if err != nil {
		t.Fatalf("Accessible: %v", err)
	}
	if len(got[obj]) != 1 {
		t.Fatalf("Accessible(alice, /buckets/*, read) = %v, want %s: [read]", got, obj)
	}
	got[obj][0] = "write"
	got["/buckets/x"] = []string{"read"}
	wantAccessible(t, s, []string{"alice"}, "/buckets/*", []string{"read"}, map[string][]string{obj: {"read"}})

	mustAddUser(t, s, "account:alice", "/buckets/b/groups/g")
	principals, err := s.UserPrincipals(ctx, "account:alice")
	if err != nil {
		t.Fatalf("UserPrincipals: %v", err)
	}
	if len(principals) != 1 {
		t.Fatalf("UserPrincipals(account:alice) = %v, want one principal", principals)
	}
	principals[0] = "mallory"
	wantUserPrincipals(t, s, "account:alice", []string{"/buckets/b/groups/g"})
}

func mustAdd(t *testing.T, s ports.Permission, object, perm, principal string) {
	t.Helper()
	if err := s.AddPrincipal(context.Background(), object, perm, principal); err != nil {
		t.Fatalf("AddPrincipal(%s, %s, %s): %v", object, perm, principal, err)
	}
}

func mustRemove(t *testing.T, s ports.Permission, object, perm, principal string) {
	t.Helper()
	if err := s.RemovePrincipal(context.Background(), object, perm, principal); err != nil {
		t.Fatalf("RemovePrincipal(%s, %s, %s): %v", object, perm, principal, err)
	}
}

func mustAddUser(t *testing.T, s ports.Permission, user, principal string) {
	t.Helper()
	if err := s.AddUserPrincipal(context.Background(), user, principal); err != nil {
		t.Fatalf("AddUserPrincipal(%s, %s): %v", user, principal, err)
	}
}

// wantACL compares the ACL of object with want, ignoring principal order; a
// permission listed with no principals fails, as the port forbids it.
func wantACL(t *testing.T, s ports.Permission, object string, want ports.ACL) {
	t.Helper()
	got, err := s.ObjectACL(context.Background(), object)
	if err != nil {
		t.Fatalf("ObjectACL(%s): %v", object, err)
	}
	if !reflect.DeepEqual(sortedLists(got), sortedLists(want)) {
		t.Errorf("ObjectACL(%s) = %v, want %v", object, got, want)
	}
}

// wantAccessible compares Accessible's answer with want, ignoring the order
// of permissions but not duplicates.
func wantAccessible(t *testing.T, s ports.Permission, principals []string, pattern string, perms []string, want map[string][]string) {
	t.Helper()
	got, err := s.Accessible(context.Background(), principals, pattern, perms)
	if err != nil {
		t.Fatalf("Accessible(%v, %s, %v): %v", principals, pattern, perms, err)
	}
	if !reflect.DeepEqual(sortedLists(got), sortedLists(want)) {
		t.Errorf("Accessible(%v, %s, %v) = %v, want %v", principals, pattern, perms, got, want)
	}
}

// wantUserPrincipals compares the principals of user with want, ignoring
// order but not duplicates.
func wantUserPrincipals(t *testing.T, s ports.Permission, user string, want []string) {
	t.Helper()
	got, err := s.UserPrincipals(context.Background(), user)
	if err != nil {
		t.Fatalf("UserPrincipals(%s): %v", user, err)
	}
	if !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("UserPrincipals(%s) = %v, want %v", user, got, want)
	}
}

// sortedLists copies m with each list sorted; a nil map becomes empty.
func sortedLists(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = sorted(v)
	}
	return out
}

// sorted returns a sorted copy of s, never nil.
func sorted(s []string) []string {
	out := append([]string{}, s...)
	slices.Sort(out)
	return out
}

// permConcurrentReplace runs many ReplaceACL calls on one object at once:
// each sets exactly its own principals, so the end state must be one
// caller's list, never a mix (a mix could leave a principal access that the
// last writer removed).
func permConcurrentReplace(t *testing.T, s ports.Permission) {
	ctx := context.Background()
	const object = "/buckets/b/collections/c"
	const writers = 8
	for round := range 5 {
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := []string{fmt.Sprintf("r%d-w%d-a", round, w), fmt.Sprintf("r%d-w%d-b", round, w)}
				if err := s.ReplaceACL(ctx, object, ports.ACL{"read": mine}); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("ReplaceACL: %v", err)
		}
		acl, err := s.ObjectACL(ctx, object)
		if err != nil {
			t.Fatalf("ObjectACL: %v", err)
		}
		got := acl["read"]
		if len(got) != 2 || strings.TrimSuffix(got[0], "-a") != strings.TrimSuffix(got[1], "-b") {
			t.Fatalf("round %d: read = %v after concurrent replacements, want exactly one writer's two principals", round, got)
		}
	}
}
