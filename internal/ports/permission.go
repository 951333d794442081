package ports

import (
	"context"
)

// ACL maps a permission name ("read", "write", "record:create") to the
// principals that hold it on one object.
type ACL map[string][]string

// Permission stores access-control entries (object URI, permission,
// principal) and the principals users hold through groups. Object URIs are
// request paths without the version prefix ("/buckets/b/collections/c").
// Implementations must be safe for concurrent use.
type Permission interface {
	HealthChecker

	// ObjectACL returns the ACL stored for one object: every permission with
	// at least one principal (an object without entries gives an empty ACL).
	ObjectACL(ctx context.Context, object string) (ACL, error)

	// ReplaceACL sets, for each permission named in acl, exactly the given
	// principals (an empty list removes every entry of that permission).
	// Permissions not named in acl are left unchanged.
	ReplaceACL(ctx context.Context, object string, acl ACL) error

	// AddPrincipal grants perm on object to principal (idempotent).
	AddPrincipal(ctx context.Context, object, perm, principal string) error

	// RemovePrincipal revokes perm on object from principal (idempotent).
	RemovePrincipal(ctx context.Context, object, perm, principal string) error

	// DeleteACLs removes every entry of the objects whose URI equals prefix
	// or starts with prefix+"/" (an object and everything below it).
	DeleteACLs(ctx context.Context, prefix string) error

	// AnyGranted reports whether at least one of principals holds at least
	// one of the (object, permission) pairs.
	AnyGranted(ctx context.Context, principals []string, pairs []ObjectPerm) (bool, error)

	// GrantedAndACL is AnyGranted(principals, pairs) and ObjectACL(object)
	// in one call, which a backend answers in one round trip: what an
	// action on one object needs to decide and then to answer.
	GrantedAndACL(ctx context.Context, principals []string, pairs []ObjectPerm, object string) (bool, ACL, error)

	// Accessible returns, for the objects matching pattern on which at least
	// one of principals holds one of perms, the object URIs mapped to the
	// permissions held. pattern is an object URI whose "*" segments match one
	// path segment each ("/buckets/b/collections/*" lists collections of b,
	// never deeper objects). Its cost grows with the entries of principals,
	// not with the number of objects stored.
	Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error)

	// UserPrincipals returns the principals (such as group URIs) held by
	// at least one of users, sorted and without duplicates: a caller asks
	// for itself and system.Authenticated in one call.
	UserPrincipals(ctx context.Context, users ...string) ([]string, error)

	// AddUserPrincipal records that user holds principal (idempotent).
	AddUserPrincipal(ctx context.Context, user, principal string) error

	// RemoveUserPrincipal removes principal from user (idempotent).
	RemoveUserPrincipal(ctx context.Context, user, principal string) error

	// RemoveUserPrincipalsUnder removes, from every user, every principal
	// equal to prefix or starting with prefix+"/": a deleted group, or all
	// the groups of a deleted bucket.
	RemoveUserPrincipalsUnder(ctx context.Context, prefix string) error

	// Flush removes every entry of every object and every principal of
	// every user (Kinto's flush endpoint).
	Flush(ctx context.Context) error
}

// ObjectPerm is one (object URI, permission) pair.
type ObjectPerm struct {
	Object string
	Perm   string
}
