package kinto

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// implied lists, per resource, what each permission implies on the same
// object (the inverse of the inheritance tree, PROTOCOL-kinto §3.1).
var implied = map[string]map[string][]string{
	"bucket": {
		"write":             {"write", "read", "read:attributes", "collection:create", "group:create"},
		"read":              {"read", "read:attributes"},
		"collection:create": {"collection:create", "read:attributes"},
		"group:create":      {"group:create", "read:attributes"},
	},
	"collection": {
		"write":         {"write", "read", "read:attributes", "record:create"},
		"read":          {"read", "read:attributes"},
		"record:create": {"record:create", "read:attributes"},
	},
	"group":   {"write": {"write", "read"}, "read": {"read"}},
	"account": {"write": {"write", "read"}, "read": {"read"}},
	"record":  {"write": {"write", "read"}, "read": {"read"}},
}

// Entry is one line of the /permissions listing.
type Entry map[string]any

// Permissions lists every object on which the caller's principals hold a
// permission, with the permissions expanded to what they imply on the same
// object, plus the root entry granted by settings. It reads the ACE store by
// principal, never scanning every object, unless a bucket-, collection- or
// group-level *_principals setting grants the caller something on all of
// them.
func (s *Service) Permissions(ctx context.Context, caller app.Caller) ([]Entry, error) {
	var out []Entry
	var root []string
	for _, perm := range []string{"bucket:create", "account:create"} {
		key := strings.ReplaceAll(perm, ":", "_") + "_principals"
		for _, p := range s.settings.Principals[key] {
			if slices.Contains(caller.Principals, p) && !slices.Contains(root, perm) {
				root = append(root, perm)
			}
		}
	}
	if len(root) > 0 {
		out = append(out, Entry{"uri": "/", "resource_name": "root", "permissions": root})
	}
	for _, res := range append(s.Resources(), s.listed...) {
		perms := res.Permissions
		found, err := s.perms.Accessible(ctx, caller.Principals, res.URI(wildcards(res), "*"), perms)
		if err != nil {
			return nil, fmt.Errorf("list %s permissions: %w", res.Name, err)
		}
		if err := s.stampSettings(ctx, caller, res, found); err != nil {
			return nil, err
		}
		for uri, held := range found {
			out = append(out, entry(res.Name, uri, expand(res.Name, held)))
		}
	}
	return out, nil
}

// stampSettings adds, to every existing bucket, collection or group, the
// permissions that settings such as bucket_write_principals grant the
// caller on all of them (PROTOCOL-kinto §3.1). Only then are the objects
// enumerated: without such a setting nothing is scanned.
func (s *Service) stampSettings(ctx context.Context, caller app.Caller, res *app.Resource, found map[string][]string) error {
	if res != s.Bucket && res != s.Collection && res != s.Group {
		return nil
	}
	var granted []string
	for _, perm := range res.Permissions {
		key := res.Name + "_" + strings.ReplaceAll(perm, ":", "_") + "_principals"
		for _, p := range s.settings.Principals[key] {
			if slices.Contains(caller.Principals, p) && !slices.Contains(granted, perm) {
				granted = append(granted, perm)
			}
		}
	}
	if len(granted) == 0 {
		return nil
	}
	uris, err := s.allURIs(ctx, res)
	if err != nil {
		return err
	}
	for _, uri := range uris {
		for _, perm := range granted {
			if !slices.Contains(found[uri], perm) {
				found[uri] = append(found[uri], perm)
			}
		}
	}
	return nil
}

// allURIs lists the URIs of every live object of res.
func (s *Service) allURIs(ctx context.Context, res *app.Resource) ([]string, error) {
	parents := []string{""}
	if res.Parent != nil {
		var err error
		if parents, err = s.allURIs(ctx, res.Parent); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, parent := range parents {
		recs, err := s.store.List(ctx, domain.Parent{Resource: res.Name, ID: parent}, domain.Query{})
		if err != nil {
			return nil, fmt.Errorf("list %s under %q: %w", res.Name, parent, err)
		}
		for _, r := range recs {
			out = append(out, parent+"/"+res.Plural+"/"+r.ID)
		}
	}
	return out, nil
}

// ListInPermissions adds a resource served outside the service (such as
// accounts) to the /permissions listing.
func (s *Service) ListInPermissions(res *app.Resource) {
	s.listed = append(s.listed, res)
}

// wildcards names every ancestor id "*", for a pattern over all objects of
// a resource.
func wildcards(res *app.Resource) map[string]string {
	vars := map[string]string{}
	for p := res.Parent; p != nil; p = p.Parent {
		vars[p.IDVarName()] = "*"
	}
	return vars
}

// expand adds what each held permission implies.
func expand(resource string, held []string) []string {
	var out []string
	for _, h := range held {
		imp := implied[resource][h]
		if imp == nil {
			imp = []string{h}
		}
		for _, p := range imp {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// entry parses an object URI into the listing's fields.
func entry(resource, uri string, perms []string) Entry {
	e := Entry{"uri": uri, "resource_name": resource, "permissions": perms}
	parts := strings.Split(strings.TrimPrefix(uri, "/"), "/")
	for i := 0; i+1 < len(parts); i += 2 {
		switch parts[i] {
		case "buckets":
			e["bucket_id"] = parts[i+1]
		case "collections":
			e["collection_id"] = parts[i+1]
		case "groups":
			e["group_id"] = parts[i+1]
		case "records":
			e["record_id"] = parts[i+1]
		case "accounts":
			e["account_id"] = parts[i+1]
		}
	}
	e["id"] = parts[len(parts)-1]
	return e
}
