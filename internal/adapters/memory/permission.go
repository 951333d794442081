// Package memory holds in-process adapters of the ports, for tests and
// single-process development servers: nothing survives a restart.
package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Permission = (*Permission)(nil)

// set is a set of strings; the empty struct costs no memory per element.
type set = map[string]struct{}

// Permission is an in-memory ports.Permission. Every entry is indexed three
// ways so that no query scans the whole store: by object (ObjectACL,
// AnyGranted), by principal (Accessible, whose cost follows the entries of
// the caller's principals), and in a tree of object paths (DeleteACLs, whose
// cost follows the size of the deleted subtree). Its methods never fail,
// except Healthy once its context is done.
type Permission struct {
	lk *lock

	// byObject maps object → permission → principals.
	byObject map[string]map[string]set
	// byPrincipal maps principal → object → permissions; the mirror of
	// byObject, kept in step with it on every write.
	byPrincipal map[string]map[string]set
	// byPrincipalParent maps principal → parent path → the objects under
	// that parent on which the principal holds something, so that listing
	// the visible children of one list costs what the caller holds there,
	// not what it holds everywhere.
	byPrincipalParent map[string]map[string]set
	// children maps a path to the paths one segment below it that hold
	// entries or have descendants that do. The root is "". A path is linked
	// to its parent exactly when it holds entries or has children, so a
	// subtree walk from a prefix finds every object below it.
	children map[string]set

	// users maps user → principals held; holders is its mirror, principal
	// → users, so that removing a group visits only the principals, not
	// every (user, principal) pair.
	users   map[string]set
	holders map[string]set
}

// NewPermission returns an empty permission store.
func NewPermission() *Permission {
	return newPermission(&lock{})
}

func newPermission(lk *lock) *Permission {
	return &Permission{
		lk:                lk,
		byObject:          make(map[string]map[string]set),
		byPrincipal:       make(map[string]map[string]set),
		byPrincipalParent: make(map[string]map[string]set),
		children:          make(map[string]set),
		users:             make(map[string]set),
		holders:           make(map[string]set),
	}
}

// Healthy returns nil: memory is always available. It reports an Unavailable
// error only when ctx is already done, as a remote backend would.
func (p *Permission) Healthy(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return domain.Wrap(domain.Unavailable, "memory.Permission.Healthy", err)
	}
	return nil
}

// ObjectACL returns a copy of the ACL of object, with principals sorted.
func (p *Permission) ObjectACL(ctx context.Context, object string) (ports.ACL, error) {
	defer p.lk.read(ctx).done()
	acl := make(ports.ACL, len(p.byObject[object]))
	for perm, principals := range p.byObject[object] {
		acl[perm] = sortedKeys(principals)
	}
	return acl, nil
}

// ReplaceACL sets exactly the given principals for each permission named in
// acl, leaving the other permissions of object alone.
func (p *Permission) ReplaceACL(ctx context.Context, object string, acl ports.ACL) error {
	defer p.lk.write(ctx).done()
	for perm, principals := range acl {
		want := make(set, len(principals))
		for _, principal := range principals {
			want[principal] = struct{}{}
		}
		for principal := range p.byObject[object][perm] {
			if _, keep := want[principal]; !keep {
				p.remove(object, perm, principal)
			}
		}
		for principal := range want {
			p.add(object, perm, principal)
		}
	}
	return nil
}

// AddPrincipal grants perm on object to principal.
func (p *Permission) AddPrincipal(ctx context.Context, object, perm, principal string) error {
	defer p.lk.write(ctx).done()
	p.add(object, perm, principal)
	return nil
}

// RemovePrincipal revokes perm on object from principal.
func (p *Permission) RemovePrincipal(ctx context.Context, object, perm, principal string) error {
	defer p.lk.write(ctx).done()
	p.remove(object, perm, principal)
	return nil
}

// DeleteACLs removes the entries of prefix and of every object below
// prefix+"/", walking only that subtree of the path index.
func (p *Permission) DeleteACLs(ctx context.Context, prefix string) error {
	defer p.lk.write(ctx).done()
	below := prefix + "/"
	var doomed []string
	stack := []string{prefix}
	for len(stack) > 0 {
		n := len(stack) - 1
		path := stack[n]
		stack = stack[:n]
		// The predicate is checked again because, from the root "", the
		// walk also reaches paths without a leading "/".
		if _, ok := p.byObject[path]; ok && (path == prefix || strings.HasPrefix(path, below)) {
			doomed = append(doomed, path)
		}
		for child := range p.children[path] {
			stack = append(stack, child)
		}
	}
	for _, object := range doomed {
		for perm, principals := range p.byObject[object] {
			for principal := range principals {
				p.remove(object, perm, principal)
			}
		}
	}
	return nil
}

// AnyGranted looks each pair up by object, so it costs
// O(len(pairs) × len(principals)) whatever the size of the store.
func (p *Permission) AnyGranted(ctx context.Context, principals []string, pairs []ports.ObjectPerm) (bool, error) {
	defer p.lk.read(ctx).done()
	for _, pair := range pairs {
		holders := p.byObject[pair.Object][pair.Perm]
		if len(holders) == 0 {
			continue
		}
		for _, principal := range principals {
			if _, ok := holders[principal]; ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// GrantedAndACL answers AnyGranted and ObjectACL under one read lock.
func (p *Permission) GrantedAndACL(ctx context.Context, principals []string, pairs []ports.ObjectPerm, object string) (bool, ports.ACL, error) {
	defer p.lk.read(ctx).done()
	granted := false
	for _, pair := range pairs {
		for _, principal := range principals {
			if _, ok := p.byObject[pair.Object][pair.Perm][principal]; ok {
				granted = true
				break
			}
		}
		if granted {
			break
		}
	}
	acl := make(ports.ACL, len(p.byObject[object]))
	for perm, holders := range p.byObject[object] {
		acl[perm] = sortedKeys(holders)
	}
	return granted, acl, nil
}

// Accessible visits only the entries held by principals (or, for a pattern
// without "*", the single object it names). Permissions are sorted and
// deduplicated across principals. Within a segment, "*" matches any run of
// characters other than "/".
func (p *Permission) Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error) {
	wanted := make(set, len(perms))
	for _, perm := range perms {
		wanted[perm] = struct{}{}
	}
	// An object holds a handful of permissions at most, so a linear
	// duplicate check on a small slice beats a set per object.
	out := make(map[string][]string)
	grant := func(object, perm string) {
		if held := out[object]; !slices.Contains(held, perm) {
			out[object] = append(held, perm)
		}
	}

	release := p.lk.read(ctx)
	if !strings.Contains(pattern, "*") {
		for perm := range wanted {
			holders := p.byObject[pattern][perm]
			for _, principal := range principals {
				if _, ok := holders[principal]; ok {
					grant(pattern, perm)
					break
				}
			}
		}
	} else if parent, ok := childrenPattern(pattern); ok && len(wanted) > 0 {
		// The common case, a list's visible children: only the objects the
		// principals hold under that one parent are visited.
		for _, principal := range principals {
			held := p.byPrincipal[principal]
			for object := range p.byPrincipalParent[principal][parent] {
				for perm := range held[object] {
					if _, ok := wanted[perm]; ok {
						grant(object, perm)
					}
				}
			}
		}
	} else if len(wanted) > 0 {
		for _, principal := range principals {
			for object, held := range p.byPrincipal[principal] {
				if !domain.MatchObjectPattern(pattern, object) {
					continue
				}
				for perm := range held {
					if _, ok := wanted[perm]; ok {
						grant(object, perm)
					}
				}
			}
		}
	}
	release.done()

	for _, held := range out {
		slices.Sort(held)
	}
	return out, nil
}

// UserPrincipals returns a sorted copy of the principals user holds.
func (p *Permission) UserPrincipals(ctx context.Context, users ...string) ([]string, error) {
	defer p.lk.read(ctx).done()
	if len(users) == 1 {
		return sortedKeys(p.users[users[0]]), nil
	}
	held := set{}
	for _, u := range users {
		for principal := range p.users[u] {
			held[principal] = struct{}{}
		}
	}
	return sortedKeys(held), nil
}

// AddUserPrincipal records that user holds principal.
func (p *Permission) AddUserPrincipal(ctx context.Context, user, principal string) error {
	defer p.lk.write(ctx).done()
	p.addUser(user, principal)
	return nil
}

// RemoveUserPrincipal removes principal from user.
func (p *Permission) RemoveUserPrincipal(ctx context.Context, user, principal string) error {
	defer p.lk.write(ctx).done()
	p.removeUser(user, principal)
	return nil
}

// RemoveUserPrincipalsUnder visits each distinct principal once, then only
// the users holding the matching ones.
func (p *Permission) RemoveUserPrincipalsUnder(ctx context.Context, prefix string) error {
	defer p.lk.write(ctx).done()
	below := prefix + "/"
	for principal, users := range p.holders {
		if principal != prefix && !strings.HasPrefix(principal, below) {
			continue
		}
		for user := range users {
			p.removeUser(user, principal)
		}
	}
	return nil
}

// childrenPattern reports whether pattern is "<parent>/*" with no other
// wildcard, and returns the parent path.
func childrenPattern(pattern string) (string, bool) {
	parent, found := strings.CutSuffix(pattern, "/*")
	if !found || strings.Contains(parent, "*") {
		return "", false
	}
	return parent, true
}

// addUser records that user holds principal, in both maps. The caller
// holds the write lock.
func (p *Permission) addUser(user, principal string) {
	if _, ok := p.users[user][principal]; ok {
		return
	}
	addTo(p.users, user, principal)
	addTo(p.holders, principal, user)
	p.lk.record(func() { p.removeUser(user, principal) })
}

// removeUser forgets that user holds principal, in both maps. The caller
// holds the write lock.
func (p *Permission) removeUser(user, principal string) {
	if _, ok := p.users[user][principal]; !ok {
		return
	}
	removeFrom(p.users, user, principal)
	removeFrom(p.holders, principal, user)
	p.lk.record(func() { p.addUser(user, principal) })
}

// add records one entry in both indexes and links a new object into the
// path tree. The caller holds the write lock.
func (p *Permission) add(object, perm, principal string) {
	if _, ok := p.byObject[object][perm][principal]; ok {
		return
	}
	p.lk.record(func() { p.remove(object, perm, principal) })
	perms, known := p.byObject[object]
	if !known {
		perms = make(map[string]set)
		p.byObject[object] = perms
	}
	addTo(perms, perm, principal)
	objects := p.byPrincipal[principal]
	if objects == nil {
		objects = make(map[string]set)
		p.byPrincipal[principal] = objects
	}
	addTo(objects, object, perm)
	if len(objects[object]) == 1 {
		parents := p.byPrincipalParent[principal]
		if parents == nil {
			parents = make(map[string]set)
			p.byPrincipalParent[principal] = parents
		}
		addTo(parents, parentPath(object), object)
	}
	if !known {
		p.link(object)
	}
}

// remove deletes one entry from both indexes, dropping empty maps so that
// the indexes only ever hold live entries, and unlinks an object left
// without entries. The caller holds the write lock.
func (p *Permission) remove(object, perm, principal string) {
	perms := p.byObject[object]
	if _, ok := perms[perm][principal]; !ok {
		return
	}
	p.lk.record(func() { p.add(object, perm, principal) })
	removeFrom(perms, perm, principal)
	if len(perms) == 0 {
		delete(p.byObject, object)
		p.unlink(object)
	}
	objects := p.byPrincipal[principal]
	removeFrom(objects, object, perm)
	if _, still := objects[object]; !still {
		parents := p.byPrincipalParent[principal]
		removeFrom(parents, parentPath(object), object)
		if len(parents) == 0 {
			delete(p.byPrincipalParent, principal)
		}
	}
	if len(objects) == 0 {
		delete(p.byPrincipal, principal)
	}
}

// link adds path and its missing ancestors to the path tree, stopping at the
// first ancestor already linked (whose own ancestors are then linked too).
func (p *Permission) link(path string) {
	for path != "" {
		parent := parentPath(path)
		if _, ok := p.children[parent][path]; ok {
			return
		}
		addTo(p.children, parent, path)
		path = parent
	}
}

// unlink removes path from the path tree if it holds no entries and has no
// children, then does the same for its ancestors.
func (p *Permission) unlink(path string) {
	for path != "" {
		if _, ok := p.byObject[path]; ok || len(p.children[path]) > 0 {
			return
		}
		parent := parentPath(path)
		removeFrom(p.children, parent, path)
		path = parent
	}
}

// parentPath returns path without its last "/segment"; "" is the root.
func parentPath(path string) string {
	if i := strings.LastIndexByte(path, '/'); i > 0 {
		return path[:i]
	}
	return ""
}

// addTo adds value to the set m[key], creating it when needed.
func addTo(m map[string]set, key, value string) {
	s := m[key]
	if s == nil {
		s = make(set)
		m[key] = s
	}
	s[value] = struct{}{}
}

// removeFrom removes value from the set m[key], dropping the set once empty.
func removeFrom(m map[string]set, key, value string) {
	s := m[key]
	delete(s, value)
	if len(s) == 0 {
		delete(m, key)
	}
}

// sortedKeys returns the elements of s in a new sorted slice, never nil, so
// that responses are deterministic and callers cannot alias the store.
func sortedKeys(s set) []string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
