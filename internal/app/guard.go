package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Principals every caller holds, and every authenticated caller.
const (
	Everyone      = "system.Everyone"
	Authenticated = "system.Authenticated"
)

// Guard enforces Kinto's permission model on shared resources: the
// (object, permission) pairs that grant a need are derived from the resource
// tree (write on an ancestor implies everything below; read on an ancestor
// implies read below; <child>:create on a parent), checked against grants
// from settings first and then the ACE store. Business rules live here,
// never in handlers or SQL.
type Guard struct {
	perms    ports.Permission
	settings map[string][]string
	explicit bool

	// keys remembers settingsKey's answers: every request checks the
	// settings for each pair it asks about, and the pairs' resources and
	// permissions are the few the services declare, so the strings are
	// built once rather than per pair per request.
	keysMu sync.RWMutex
	keys   map[settingsQuery]string
}

// settingsQuery is what a settings key is named after.
type settingsQuery struct{ resource, perm string }

// NewGuard builds a guard over the ACE store. settings maps
// "<resource>_<perm>_principals" keys (bucket_create_principals,
// record_read_principals…) to principals granted by configuration.
// explicit adds the writer to the write ACL of what it creates or changes
// (Kinto's explicit_permissions).
func NewGuard(perms ports.Permission, settings map[string][]string, explicit bool) *Guard {
	return &Guard{perms: perms, settings: settings, explicit: explicit}
}

// need is what an action requires.
type need int

const (
	needRead       need = iota // read an object's data
	needAttributes             // read an object's attributes (GET bucket/collection)
	needWrite                  // change or delete an object
)

// objectPairs returns the pairs that grant n on the object id of res.
func objectPairs(res *Resource, vars map[string]string, id string, n need) []ports.ObjectPerm {
	return objectPairsAt(res, vars, res.URI(vars, id), id, n)
}

// objectPairsAt is objectPairs when the object's URI is at hand. The
// ancestors' URIs are prefixes of it, and the pairs are counted first, so
// that the whole answer costs one allocation.
func objectPairsAt(res *Resource, vars map[string]string, uri, id string, n need) []ports.ObjectPerm {
	perLevel := 2
	if n == needWrite {
		perLevel = 1
	}
	size := perLevel
	if n == needAttributes {
		for _, p := range res.Permissions {
			if strings.HasSuffix(p, ":create") {
				size++
			}
		}
	}
	for p := res.Parent; p != nil; p = p.Parent {
		size += perLevel
	}
	pairs := make([]ports.ObjectPerm, 0, size)
	pairs = append(pairs, ports.ObjectPerm{Object: uri, Perm: "write"})
	if n != needWrite {
		pairs = append(pairs, ports.ObjectPerm{Object: uri, Perm: "read"})
	}
	if n == needAttributes {
		for _, p := range res.Permissions {
			if strings.HasSuffix(p, ":create") {
				pairs = append(pairs, ports.ObjectPerm{Object: uri, Perm: p})
			}
		}
	}
	a := uri
	for p, pid := res, id; p.Parent != nil; p = p.Parent {
		a = p.parentOfURI(a, pid)
		pid = vars[p.Parent.idVar()]
		pairs = append(pairs, ports.ObjectPerm{Object: a, Perm: "write"})
		if n != needWrite {
			pairs = append(pairs, ports.ObjectPerm{Object: a, Perm: "read"})
		}
	}
	return pairs
}

// listPairs returns the pairs that grant reading (or writing) the whole list
// of res: the same need on the parent object. A root list has none.
func listPairs(res *Resource, vars map[string]string, n need) []ports.ObjectPerm {
	if res.Parent == nil {
		return nil
	}
	if n == needAttributes {
		n = needRead
	}
	return objectPairs(res.Parent, vars, vars[res.Parent.idVar()], n)
}

// createPairs returns the pairs that grant creating an object of req's
// resource: its create permission on the parent, then write on the parent
// and its ancestors. The parent's URI is req's remembered one, the
// ancestors' are prefixes of it and the create permission's name is
// remembered on g: one allocation, the pairs.
func (g *Guard) createPairs(req *Request) []ports.ObjectPerm {
	res := req.Resource
	if res.Parent == nil {
		return nil
	}
	size := 1
	for p := res.Parent; p != nil; p = p.Parent {
		size++
	}
	pairs := make([]ports.ObjectPerm, 0, size)
	parent := req.parentURIOf()
	pairs = append(pairs, ports.ObjectPerm{Object: parent, Perm: g.createPerm(res)})
	a := parent
	for p := res.Parent; p != nil; p = p.Parent {
		pairs = append(pairs, ports.ObjectPerm{Object: a, Perm: "write"})
		if p.Parent != nil {
			a = p.parentOfURI(a, req.Vars[p.idVar()])
		}
	}
	return pairs
}

// createPerm is res.Name + ":create", remembered with the settings keys.
func (g *Guard) createPerm(res *Resource) string {
	// No permission is named ":create": the query cannot be a settings key's.
	return g.remembered(settingsQuery{resource: res.Name, perm: ":create"}, func() string { return res.Name + ":create" })
}

// settingsKey names the setting that grants pair on a request about res
// (PROTOCOL-kinto §2.3): "<res>:create" becomes "<res>_create_principals",
// any other permission "<res>_<perm>_principals", whatever the pair's
// object.
func settingsKey(res *Resource, perm string) string {
	if strings.HasPrefix(perm, res.Name+":") {
		return strings.ReplaceAll(perm, ":", "_") + "_principals"
	}
	return res.Name + "_" + perm + "_principals"
}

// allowed reports whether the caller holds one of pairs, through settings or
// the ACE store. fallback names the settings permission used when there are
// no pairs at all (root lists).
func (g *Guard) allowed(ctx context.Context, req *Request, pairs []ports.ObjectPerm, fallback string) (bool, error) {
	principals := req.Caller.Principals
	if g.settingsAllow(req, pairs, fallback) {
		return true, nil
	}
	if len(pairs) == 0 {
		return false, nil
	}
	// A request asks the same question more than once (before reading its
	// body, then inside its unit of work): the store answers it once.
	for _, a := range req.grants {
		if slices.Equal(a.pairs, pairs) {
			return a.granted, nil
		}
	}
	// A batch asks it once for all its subrequests (batch_memo.go); a
	// request outside a batch has no memo, nor the key's cost to pay.
	inBatch := memoOf(ctx) != nil
	var batchKey string
	var ok, asked bool
	if inBatch {
		batchKey = strings.Join(principals, "\x00") + "\x01" + grantKey(pairs)
		ok, asked = memoGrant(ctx, batchKey)
	}
	if !asked {
		var err error
		if ok, err = g.perms.AnyGranted(ctx, principals, pairs); err != nil {
			return false, fmt.Errorf("check permissions: %w", err)
		}
		if inBatch {
			objects := make([]string, len(pairs))
			for i, p := range pairs {
				objects[i] = p.Object
			}
			rememberGrant(ctx, batchKey, ok, objects)
		}
	}
	req.grants = append(req.grants, askedGrant{pairs: pairs, granted: ok})
	return ok, nil
}

// askedGrant is a permission question a request asked, and the answer.
// A request asks few, so a list compared pair by pair beats a map keyed
// by a string built for each question.
type askedGrant struct {
	pairs   []ports.ObjectPerm // not changed once asked
	granted bool
}

// grantKey identifies a permission question within a batch.
func grantKey(pairs []ports.ObjectPerm) string {
	n := 0
	for _, p := range pairs {
		n += len(p.Object) + len(p.Perm) + 2
	}
	var b strings.Builder
	b.Grow(n) // one allocation
	for _, p := range pairs {
		b.WriteString(p.Object)
		b.WriteByte(0)
		b.WriteString(p.Perm)
		b.WriteByte(0)
	}
	return b.String()
}

// settingsAllow reports whether the settings grant one of pairs (or, with
// no pairs, the fallback permission) to the caller.
func (g *Guard) settingsAllow(req *Request, pairs []ports.ObjectPerm, fallback string) bool {
	if len(g.settings) == 0 {
		return false
	}
	if len(pairs) == 0 {
		return g.settingsGrant(req, g.settingsKeyOf(req.Resource, fallback))
	}
	for _, p := range pairs {
		if g.settingsGrant(req, g.settingsKeyOf(req.Resource, p.Perm)) {
			return true
		}
	}
	return false
}

// settingsGrant reports whether the setting key grants the caller.
func (g *Guard) settingsGrant(req *Request, key string) bool {
	for _, p := range g.settings[key] {
		if slices.Contains(req.Caller.Principals, p) {
			return true
		}
	}
	return false
}

// settingsKeyOf is settingsKey, remembered.
func (g *Guard) settingsKeyOf(res *Resource, perm string) string {
	return g.remembered(settingsQuery{resource: res.Name, perm: perm}, func() string { return settingsKey(res, perm) })
}

// remembered is the string q names, built once.
func (g *Guard) remembered(q settingsQuery, build func() string) string {
	g.keysMu.RLock()
	k, ok := g.keys[q]
	g.keysMu.RUnlock()
	if ok {
		return k
	}
	k = build()
	g.keysMu.Lock()
	if g.keys == nil {
		g.keys = map[settingsQuery]string{}
	}
	g.keys[q] = k
	g.keysMu.Unlock()
	return k
}

// authorizeObject is checkObject that also returns the ACL of the object
// the caller may see (shownACL), from the same permission query.
func (g *Guard) authorizeObject(ctx context.Context, req *Request, uri, id string, n need) (map[string][]string, error) {
	fallback := "read"
	if n == needWrite {
		fallback = "write"
	}
	pairs := objectPairsAt(req.Resource, req.Vars, uri, id, n)
	granted, acl, err := g.perms.GrantedAndACL(ctx, req.Caller.Principals, pairs, uri)
	if err != nil {
		return nil, fmt.Errorf("check permissions on %s: %w", uri, err)
	}
	if !granted && !g.settingsAllow(req, pairs, fallback) {
		return nil, deny(req)
	}
	return g.shown(req, id, acl), nil
}

// deny is 401 for anonymous callers, 403 for the others.
func deny(req *Request) error {
	if !req.Caller.Authenticated() {
		return &Error{Kind: domain.Unauthenticated, Op: "app.Guard", Message: "Please authenticate yourself to use this endpoint."}
	}
	return &Error{Kind: domain.Forbidden, Op: "app.Guard", Message: "This user cannot access this resource."}
}

// checkObject requires n on the object id of req's resource.
func (g *Guard) checkObject(ctx context.Context, req *Request, id string, n need) error {
	fallback := "read"
	if n == needWrite {
		fallback = "write"
	}
	ok, err := g.allowed(ctx, req, objectPairs(req.Resource, req.Vars, id, n), fallback)
	if err != nil || ok {
		return err
	}
	return deny(req)
}

// canCreate reports whether the caller may create objects of req's resource.
func (g *Guard) canCreate(ctx context.Context, req *Request) (bool, error) {
	return g.allowed(ctx, req, g.createPairs(req), "create")
}

// checkCreate requires the right to create objects of req's resource.
func (g *Guard) checkCreate(ctx context.Context, req *Request) error {
	ok, err := g.canCreate(ctx, req)
	if err != nil || ok {
		return err
	}
	return deny(req)
}

// canReadParentList reports whether the caller may read the list req's
// object belongs to: Kinto's test before answering 404 on a missing object.
func (g *Guard) canReadParentList(ctx context.Context, req *Request) (bool, error) {
	return g.allowed(ctx, req, listPairs(req.Resource, req.Vars, needRead), "read")
}

// listScope decides a list request (GET/HEAD with n=needRead, DELETE with
// needWrite). all means the caller sees the whole list; otherwise ids are
// the only objects visible (possibly none).
func (g *Guard) listScope(ctx context.Context, req *Request, n need) (ids []string, all bool, err error) {
	fallback := "read"
	if n == needWrite {
		fallback = "write"
	}
	ok, err := g.allowed(ctx, req, listPairs(req.Resource, req.Vars, n), fallback)
	if err != nil || ok {
		return nil, ok, err
	}
	res := req.Resource
	perms := []string{"write"}
	if n != needWrite {
		perms = append(perms, "read")
		for _, p := range res.Permissions {
			if strings.HasSuffix(p, ":create") {
				perms = append(perms, p)
			}
		}
	}
	pattern := res.URI(req.Vars, "*")
	found, err := g.perms.Accessible(ctx, req.Caller.Principals, pattern, perms)
	if err != nil {
		return nil, false, fmt.Errorf("list accessible objects: %w", err)
	}
	for uri := range found {
		ids = append(ids, uri[strings.LastIndexByte(uri, '/')+1:])
	}
	sort.Strings(ids)
	if len(ids) > 0 {
		return ids, false, nil
	}
	canCreate, err := g.canCreate(ctx, req)
	if err != nil {
		return nil, false, err
	}
	if !canCreate {
		return nil, false, deny(req)
	}
	return []string{}, false, nil
}

// shownACL returns the object's own ACL when the caller holds its write
// permission directly, else an empty ACL (PROTOCOL-kinto §2.9).
func (g *Guard) shownACL(ctx context.Context, req *Request, id string) (map[string][]string, error) {
	uri := req.Resource.URI(req.Vars, id)
	acl, err := g.perms.ObjectACL(ctx, uri)
	if err != nil {
		return nil, fmt.Errorf("load permissions of %s: %w", uri, err)
	}
	return g.shown(req, id, acl), nil
}

// shown is acl when the caller, or the object's writer (writerOf), holds
// the object's write permission directly, else an empty ACL
// (PROTOCOL-kinto §2.9).
func (g *Guard) shown(req *Request, id string, acl ports.ACL) map[string][]string {
	writer := writerOf(req, id)
	for _, p := range acl["write"] {
		if p == writer || slices.Contains(req.Caller.Principals, p) {
			return acl
		}
	}
	return map[string][]string{}
}

// writerOf is the principal credited with writing object id, Kinto's
// current principal: the resource's Writer when it names one, else the
// caller (system.Everyone when anonymous). With explicit permissions it
// gets the object's write permission.
func writerOf(req *Request, id string) string {
	if w := req.Resource.Writer; w != nil {
		if p := w(req, id); p != "" {
			return p
		}
	}
	if req.Caller.UserID != "" {
		return req.Caller.UserID
	}
	return Everyone
}

// ACLChange is how a write changes an object's ACL.
type ACLChange struct {
	// Set replaces each named permission's principals (an empty list clears
	// it).
	Set map[string][]string
	// ReplaceAll clears every permission of the resource not named in Set
	// (PUT with permissions).
	ReplaceAll bool
	// Add and Remove grant and revoke single principals (JSON-Patch).
	Add, Remove []PermPrincipal
	// Ignored names permissions the body mentioned with a null value, which
	// change nothing but must still be permissions of the resource.
	Ignored []string
}

// PermPrincipal is one permission and one principal.
type PermPrincipal struct {
	Perm, Principal string
}

// validate refuses permission names the resource does not know and
// principals that are not strings (already typed here) or empty.
func (c ACLChange) validate(res *Resource) error {
	check := func(perm string) error {
		if !slices.Contains(res.Permissions, perm) {
			// Kinto's wording: the name against the resource's choices.
			return &Error{Kind: domain.Invalid, Op: "app.ACLChange", Issues: []domain.Issue{{Location: domain.InBody, Name: "permissions", Description: fmt.Sprintf("%q is not one of %s", perm, strings.Join(res.Permissions, ", "))}}}
		}
		return nil
	}
	for perm := range c.Set {
		if err := check(perm); err != nil {
			return err
		}
	}
	for _, perm := range c.Ignored {
		if err := check(perm); err != nil {
			return err
		}
	}
	for _, pp := range append(append([]PermPrincipal(nil), c.Add...), c.Remove...) {
		if err := check(pp.Perm); err != nil {
			return err
		}
	}
	return nil
}

// apply stores the change on uri, the URI of the object id, and, with
// explicit permissions, adds the writer to the write ACL.
func (g *Guard) apply(ctx context.Context, req *Request, uri, id string, c ACLChange) error {
	forgetGrantsOn(ctx, uri, false)
	set := c.Set
	if c.ReplaceAll {
		set = map[string][]string{}
		for _, p := range req.Resource.Permissions {
			set[p] = c.Set[p]
			if set[p] == nil {
				set[p] = []string{}
			}
		}
	}
	if len(set) > 0 {
		if err := g.perms.ReplaceACL(ctx, uri, ports.ACL(set)); err != nil {
			return fmt.Errorf("save permissions of %s: %w", uri, err)
		}
	}
	for _, pp := range c.Add {
		if err := g.perms.AddPrincipal(ctx, uri, pp.Perm, pp.Principal); err != nil {
			return fmt.Errorf("grant %s on %s: %w", pp.Perm, uri, err)
		}
	}
	for _, pp := range c.Remove {
		if err := g.perms.RemovePrincipal(ctx, uri, pp.Perm, pp.Principal); err != nil {
			return fmt.Errorf("revoke %s on %s: %w", pp.Perm, uri, err)
		}
	}
	if g.explicit {
		if err := g.perms.AddPrincipal(ctx, uri, "write", writerOf(req, id)); err != nil {
			return fmt.Errorf("grant write on %s: %w", uri, err)
		}
	}
	return nil
}

// createdACL is what apply(c) stores on an object that had no ACL.
func (g *Guard) createdACL(req *Request, id string, c ACLChange) ports.ACL {
	if len(c.Set) == 0 && len(c.Add) == 0 && len(c.Remove) == 0 {
		// The usual create, with no permissions in the body: the writer's
		// grant alone, without the sets the general case builds.
		acl := ports.ACL{}
		if g.explicit {
			acl["write"] = []string{writerOf(req, id)}
		}
		return acl
	}
	held := map[string]map[string]bool{}
	grant := func(perm, principal string) {
		if held[perm] == nil {
			held[perm] = map[string]bool{}
		}
		held[perm][principal] = true
	}
	for perm, principals := range c.Set {
		for _, p := range principals {
			grant(perm, p)
		}
	}
	for _, pp := range c.Add {
		grant(pp.Perm, pp.Principal)
	}
	for _, pp := range c.Remove {
		delete(held[pp.Perm], pp.Principal)
	}
	if g.explicit {
		grant("write", writerOf(req, id))
	}
	acl := ports.ACL{}
	for perm, principals := range held {
		if len(principals) == 0 {
			continue
		}
		for p := range principals {
			acl[perm] = append(acl[perm], p)
		}
		sort.Strings(acl[perm])
	}
	return acl
}

// forget removes the ACLs of uri and of everything below it.
func (g *Guard) forget(ctx context.Context, uri string) error {
	forgetGrantsOn(ctx, uri, true)
	if err := g.perms.DeleteACLs(ctx, uri); err != nil {
		return fmt.Errorf("delete permissions of %s: %w", uri, err)
	}
	return nil
}
