// Package app holds the use cases of the protocol: the resource engine that
// gives every declared resource the whole Cliquet protocol (CRUD,
// timestamps, preconditions, queries, paging), with authorization,
// preconditions and validation. It speaks domain types and ports only.
package app

import (
	"context"
	"strings"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// Resource declares one resource type. A service declares its resources as
// values and hands them to the engine and the http adapter; nothing is
// registered implicitly.
type Resource struct {
	// Name is the singular name ("article"), used as the storage resource
	// name and as resource_name in errors.
	Name string
	// Plural is the URL segment of the list ("articles").
	Plural string
	// Parent is the resource this one lives under (records under a
	// collection), or nil. The storage parent of an object is its parent
	// object's URI; the parent must exist or requests fail with
	// MissingParent.
	Parent *Resource
	// IDVar names the URL variable that holds this resource's id in object
	// paths; "id" when empty. Child resources refer to it.
	IDVar string
	// PerUser makes every object private to the authenticated user who
	// created it (Cliquet's UserResource): the storage parent is the user id
	// and anonymous requests get 401.
	PerUser bool
	// IDs generates and validates object ids.
	IDs domain.IDGenerator
	// Schema, when set, validates the data of every write.
	Schema *Schema
	// Permissions are the permission names objects of this resource accept
	// in their ACL ("read", "write", "record:create"…). Resources with
	// permissions are guarded by the engine's Guard; per-user resources
	// need none.
	Permissions []string
	// ParentBeforeAuth makes writes check that the parent object exists
	// before authorizing, so that every caller gets 404 errno 111 for a
	// missing parent, as Kinto does for records. Without it, a write under
	// a missing parent is authorized first: a caller without the right
	// gets 401/403 whether or not the parent exists (Kinto's collections
	// and groups), and only an allowed caller learns it is missing.
	ParentBeforeAuth bool
	// Writer, when set, names the principal credited with writing object
	// id for req (Kinto's current principal), instead of the caller: it
	// gets the object's write permission and sees the object's ACL.
	// Returning "" keeps the caller.
	Writer func(req *Request, id string) string
	// Cascade makes deleting an object also purge every object stored
	// below it and their ACLs (buckets, collections).
	Cascade bool
	// ReadonlyFields may be set on creation but never changed afterwards.
	ReadonlyFields []string
	// UniqueFields must hold distinct values among the live objects of one
	// parent (dotted paths).
	UniqueFields []string
	// DefaultSort orders lists when the request gives no _sort; the engine
	// always adds -last_modified as the final tie-breaker.
	DefaultSort []domain.Sort
	// ListMethods and ObjectMethods restrict the methods served; nil serves
	// the whole protocol.
	ListMethods, ObjectMethods []string
	// Process runs before every write, after the engine has built the new
	// object; it may change w.New or refuse the write with an error.
	Process func(ctx context.Context, w *Write) error
	// AfterWrite runs after an object is stored (old is nil on creation),
	// e.g. to keep group memberships in step; an error fails the request.
	AfterWrite func(ctx context.Context, req *Request, old *domain.Record, rec domain.Record) error
	// AfterDelete runs after an object became a tombstone.
	AfterDelete func(ctx context.Context, req *Request, old domain.Record) error
	// CacheExpires, when set, returns how long anonymous GETs of this
	// resource may be cached (Kinto's collection cache_expires), and false
	// when no cache policy applies.
	CacheExpires func(ctx context.Context, req *Request) (seconds int, ok bool)
	// AfterRead runs on every object the engine returns.
	AfterRead func(ctx context.Context, req *Request, rec domain.Record) domain.Record

	// StorageName is the storage resource name of the objects when it is
	// not Name: it makes this resource a view of another resource's
	// objects (the same lists, ids and timestamps) under its own routes,
	// usually narrowed by FixedFilters and made ReadOnly. Route names,
	// errors, events and permission names keep Name. ACLs are stored by
	// URI, so a view of a resource with Permissions would not see them:
	// views are for per-user resources and unguarded ones.
	StorageName string
	// FixedFilters are applied to every request, before the querystring's:
	// lists, counts, _since and change streams show only the objects that
	// match them all, and any other object is as good as missing here:
	// GET, PATCH and DELETE of it answer 404, while PUT or POST of its id
	// answer 403 (it exists, this endpoint may not touch it). A write
	// whose result would not match is refused with 400. Tombstones keep no
	// fields, so a view filtered on a field shows no deletions.
	FixedFilters []domain.Filter
	// ReadOnly refuses every write: the http adapter serves GET and HEAD
	// only (other methods answer 405 errno 115 with an Allow header) and
	// the engine's write actions fail with MethodNotAllowed, whoever calls
	// them.
	ReadOnly bool
}

// storageName returns the storage resource name of this resource's
// objects.
func (r *Resource) storageName() string {
	if r.StorageName == "" {
		return r.Name
	}
	return r.StorageName
}

// idVar returns the URL variable holding this resource's object id.
func (r *Resource) idVar() string {
	if r.IDVar == "" {
		return "id"
	}
	return r.IDVar
}

// IDVarName returns the URL variable holding this resource's object id.
func (r *Resource) IDVarName() string { return r.idVar() }

// ParentURI returns the URI of the parent object named by vars ("" at the
// root).
func (r *Resource) ParentURI(vars map[string]string) string {
	if r.Parent == nil {
		return ""
	}
	return r.Parent.URI(vars, vars[r.Parent.idVar()])
}

// URI returns the object URI of id, e.g. "/buckets/b/collections/c". It
// is built in one allocation: the permission checks of every request ask
// for it and for its ancestors', and joining the parts level by level
// allocated once per part.
func (r *Resource) URI(vars map[string]string, id string) string {
	n := 0
	for p, pid := r, id; p != nil; p = p.Parent {
		n += len("/") + len(p.Plural) + len("/") + len(pid)
		if p.Parent != nil {
			pid = vars[p.Parent.idVar()]
		}
	}
	var b strings.Builder
	b.Grow(n)
	writeURI(&b, r, vars, id)
	return b.String()
}

// writeURI writes the URI of the object id of r to b, root first.
func writeURI(b *strings.Builder, r *Resource, vars map[string]string, id string) {
	if r.Parent != nil {
		writeURI(b, r.Parent, vars, vars[r.Parent.idVar()])
	}
	b.WriteByte('/')
	b.WriteString(r.Plural)
	b.WriteByte('/')
	b.WriteString(id)
}

// parentOfURI is the URI of the parent of the object uri of r whose id is
// id: uri without its last "/<plural>/<id>", a substring, not a copy.
func (r *Resource) parentOfURI(uri, id string) string {
	return uri[:len(uri)-len(r.Plural)-len(id)-2]
}

// isURI reports whether uri is the URI of the object id of r named by
// vars, comparing it part by part: checking a remembered URI costs no
// allocation, building it again would.
func (r *Resource) isURI(vars map[string]string, id, uri string) bool {
	for p, pid := r, id; p != nil; p = p.Parent {
		n := len("/") + len(p.Plural) + len("/") + len(pid)
		if len(uri) < n {
			return false
		}
		part := uri[len(uri)-n:]
		if part[0] != '/' || part[1:1+len(p.Plural)] != p.Plural || part[1+len(p.Plural)] != '/' || part[2+len(p.Plural):] != pid {
			return false
		}
		uri = uri[:len(uri)-n]
		if p.Parent != nil {
			pid = vars[p.Parent.idVar()]
		}
	}
	return uri == ""
}

// parentURIOf is req.Resource.ParentURI(req.Vars), remembered on req while
// its resource and vars name the same parent.
func (req *Request) parentURIOf() string {
	res := req.Resource
	if res.Parent == nil {
		return ""
	}
	pres := res.Parent
	pid := req.Vars[pres.idVar()]
	if req.parentURI != "" && pres.isURI(req.Vars, pid, req.parentURI) {
		return req.parentURI
	}
	req.parentURI = pres.URI(req.Vars, pid)
	return req.parentURI
}

// grandparentURI is the URI of the parent of req's parent object: a
// prefix of parentURIOf, not a new string. req.Resource must have a parent.
func (req *Request) grandparentURI() string {
	pres := req.Resource.Parent
	return pres.parentOfURI(req.parentURIOf(), req.Vars[pres.idVar()])
}

// listURIOf is req.Resource.listURI(req.Vars), on the remembered parent
// URI.
func (req *Request) listURIOf() string {
	return req.parentURIOf() + "/" + req.Resource.Plural
}

// listURI returns the URI of the list of objects named by vars.
func (r *Resource) listURI(vars map[string]string) string {
	return r.ParentURI(vars) + "/" + r.Plural
}

// Caller identifies who makes a request.
type Caller struct {
	// UserID is the prefixed user id ("basicauth:…"), "" when anonymous.
	UserID string
	// Principals are every principal the caller holds, UserID first.
	Principals []string
}

// Authenticated reports whether the caller is a known user.
func (c Caller) Authenticated() bool { return c.UserID != "" }

// Request is what every engine action needs to know about the request.
type Request struct {
	Resource *Resource
	Caller   Caller
	// Vars are the URL variables (parent ids and the object id).
	Vars map[string]string
	// Header returns a request header, for Process hooks; may be nil.
	Header func(name string) string
	// Pre holds If-Match / If-None-Match.
	Pre domain.Preconditions

	// What the request already read, so that it reads each thing once:
	// the parent object was found live; the permission checks answered.
	parentChecked bool
	grants        []askedGrant
	// parentURI is the last answer of parentURI, kept because a request
	// asks it several times (its list, its parent's check, its event).
	parentURI string
	// onList is set when a POST on the list creates: its event names the
	// list's URI, as Kinto's names the request path.
	onList bool
}

// HeaderValue returns the request header name, or "".
func (r *Request) HeaderValue(name string) string {
	if r.Header == nil {
		return ""
	}
	return r.Header(name)
}

// Action names a write for Process hooks.
type Action string

// The writes a Process hook sees.
const (
	ActionCreate  Action = "create"
	ActionReplace Action = "update"
	ActionPatch   Action = "patch"
)

// Write is what a Process hook sees and may change.
type Write struct {
	Action  Action
	Request *Request
	// Old is the object being replaced or patched; nil on creation.
	Old *domain.Record
	// New is the object about to be stored.
	New domain.Record
}
