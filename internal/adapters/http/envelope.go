package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// envelope is a decoded write body: {"data": {...}, "permissions": {...}}.
type envelope struct {
	data        map[string]any
	hasData     bool
	permissions map[string]any // values: []any of strings, or nil (JSON null)
	hasPerms    bool
}

// parseEnvelope checks the protocol's body shape: only "data" (an object)
// and "permissions" (an object of principal lists, null values tolerated).
func parseEnvelope(body map[string]any) (envelope, error) {
	var env envelope
	var unknown []string
	for k := range body {
		if k != "data" && k != "permissions" {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		extra := map[string]any{}
		for _, k := range unknown {
			extra[k] = body[k]
		}
		return env, invalidError(http.StatusBadRequest, []detail{bodyIssue(fmt.Sprintf("Unrecognized keys in mapping: %q", pyRepr(extra)))})
	}
	if raw, ok := body["data"]; ok && raw != nil {
		m, isObj := raw.(map[string]any)
		if !isObj {
			return env, namedIssue("data", fmt.Sprintf("%q is not a mapping type: Does not implement dict-like functionality.", pyRepr(raw)))
		}
		env.data, env.hasData = m, true
	}
	if raw, ok := body["permissions"]; ok && raw != nil {
		m, isObj := raw.(map[string]any)
		if !isObj {
			return env, namedIssue("permissions", fmt.Sprintf("%q is not a mapping type: Does not implement dict-like functionality.", pyRepr(raw)))
		}
		for perm, v := range m {
			if v == nil {
				continue
			}
			list, isList := v.([]any)
			if !isList {
				return env, namedIssue("permissions."+perm, fmt.Sprintf("%q is not iterable", pyRepr(v)))
			}
			for i, p := range list {
				if _, isString := p.(string); !isString {
					return env, namedIssue(fmt.Sprintf("permissions.%s.%d", perm, i), fmt.Sprintf("%s is not a string: {'type': 'string'}", pyRepr(p)))
				}
			}
		}
		env.permissions, env.hasPerms = m, true
	}
	return env, nil
}

// namedIssue is a 400 about one named field of the body.
func namedIssue(name, description string) *apiError {
	return invalidError(http.StatusBadRequest, []detail{{Location: string(domain.InBody), Name: &name, Description: description}})
}

// aclSet turns the permissions of a body into the principals to set: null
// values are skipped (PUT, POST, JSON PATCH) or clear the permission
// (nullClears, merge-patch).
func (env envelope) aclSet(nullClears bool) map[string][]string {
	if !env.hasPerms {
		return nil
	}
	out := map[string][]string{}
	for perm, v := range env.permissions {
		if v == nil {
			if nullClears {
				out[perm] = []string{}
			}
			continue
		}
		list := v.([]any) // checked by parseEnvelope
		principals := make([]string, 0, len(list))
		for _, p := range list {
			principals = append(principals, p.(string))
		}
		out[perm] = principals
	}
	return out
}

// aclChange is the ACL change a body asks for; permissions sent as null
// are listed as ignored (unless nullClears) so that their names are checked.
func (env envelope) aclChange(nullClears bool) app.ACLChange {
	c := app.ACLChange{Set: env.aclSet(nullClears)}
	if !nullClears {
		for perm, v := range env.permissions {
			if v == nil {
				c.Ignored = append(c.Ignored, perm)
			}
		}
	}
	return c
}

// body builds the app's view of a POST or PUT body.
func (env envelope) body(replaceAll bool) app.Body {
	b := app.Body{ACL: env.aclChange(false)}
	b.ACL.ReplaceAll = replaceAll && env.hasPerms
	if env.hasData {
		b.Data = env.data
	}
	return b
}

// parsePatchOps reads a JSON-Patch body: data operations for the engine,
// /permissions/<perm>/<principal> operations as ACL changes.
func parsePatchOps(v any) (app.Patcher, app.ACLChange, error) {
	var acl app.ACLChange
	list, ok := v.([]any)
	if !ok {
		return nil, acl, jsonPatchIssue("the body is not a list of operations")
	}
	ops := make([]app.JSONPatchOp, 0, len(list))
	for i, raw := range list {
		m, isObj := raw.(map[string]any)
		if !isObj {
			return nil, acl, jsonPatchIssue(fmt.Sprintf("operation %d is not an object", i))
		}
		op, _ := m["op"].(string)
		path, _ := m["path"].(string)
		from, _ := m["from"].(string)
		perm, principal, isPerm := permissionPath(path)
		if !isPerm && (path == "/permissions" || strings.HasPrefix(path, "/permissions/")) {
			// Whole ACLs or permissions cannot be set this way; ignoring
			// the operation would silently drop what the client asked.
			return nil, acl, jsonPatchIssue(fmt.Sprintf("path %q is not /permissions/<permission>/<principal>", path))
		}
		if isPerm {
			switch op {
			case "add", "replace":
				acl.Add = append(acl.Add, app.PermPrincipal{Perm: perm, Principal: principal})
			case "remove":
				acl.Remove = append(acl.Remove, app.PermPrincipal{Perm: perm, Principal: principal})
			default:
				return nil, acl, jsonPatchIssue(fmt.Sprintf("operation %q is not supported on permissions", op))
			}
			continue
		}
		entry := app.JSONPatchOp{Op: op, Path: path, From: from}
		if val, has := m["value"]; has {
			b, err := json.Marshal(val)
			if err != nil {
				return nil, acl, jsonPatchIssue(err.Error())
			}
			entry.Value = b
		}
		ops = append(ops, entry)
	}
	patcher, err := app.JSONPatch(ops)
	return patcher, acl, err
}

// permissionPath splits "/permissions/<perm>/<principal>".
func permissionPath(path string) (perm, principal string, ok bool) {
	rest, found := strings.CutPrefix(path, "/permissions/")
	if !found {
		return "", "", false
	}
	perm, principal, ok = strings.Cut(rest, "/")
	if !ok || perm == "" || principal == "" {
		return "", "", false
	}
	// JSON Pointer escapes: ~1 is "/", ~0 is "~".
	principal = strings.ReplaceAll(strings.ReplaceAll(principal, "~1", "/"), "~0", "~")
	return perm, principal, true
}

func jsonPatchIssue(description string) *apiError {
	return invalidError(http.StatusBadRequest, []detail{{Location: string(domain.InBody), Description: "JSON Patch operation failed: " + description}})
}
