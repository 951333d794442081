package domain

import "strings"

// Project applies a _fields projection (PROTOCOL-core §7.7) to rec and
// returns its protocol form restricted to fields: "title" keeps a top-level
// field, "author.name" keeps that nested value and trims its parents to it
// (a non-object parent is kept whole). Unknown fields are simply absent.
// id and last_modified are always kept, and "deleted" on tombstones (unlike
// Kinto, which drops it unless asked). With no fields, the whole object is
// returned. Values are shared with rec: clone before mutating.
func Project(rec Record, fields []string) map[string]any {
	full := rec.Map()
	if len(fields) == 0 {
		return full
	}
	out := subset(full, fields)
	out["id"] = full["id"]
	out["last_modified"] = full["last_modified"]
	if rec.Deleted {
		out["deleted"] = true
	}
	return out
}

// subset keeps the given dotted paths of m, splitting each path at its first
// dot as Kinto does.
func subset(m map[string]any, paths []string) map[string]any {
	out := map[string]any{}
	for _, p := range paths {
		head, rest, nested := strings.Cut(p, ".")
		if !nested {
			if v, ok := m[p]; ok {
				out[p] = v
			}
			continue
		}
		v, ok := m[head]
		if !ok {
			continue
		}
		child, isObj := v.(map[string]any)
		if !isObj {
			out[head] = v
			continue
		}
		sub := subset(child, []string{rest})
		if prev, ok := out[head].(map[string]any); ok {
			sub = mergeMaps(sub, prev)
		}
		out[head] = sub
	}
	return out
}

// mergeMaps merges a into a copy of b, recursively for nested objects.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range b {
		out[k] = v
	}
	for k, v := range a {
		if am, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				v = mergeMaps(am, bm)
			}
		}
		out[k] = v
	}
	return out
}
