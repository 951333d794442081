package domain

import (
	"encoding/json"
	"fmt"
)

// Parent names one list of objects: the objects of one resource type under
// one parent object. Its Timestamp is the list's ETag.
//
// Kinto's parents are object URIs ("/buckets/b/collections/c" for records),
// per-user resources use the user id, root resources use "".
type Parent struct {
	Resource string // singular resource name, e.g. "record"
	ID       string // the parent object's URI or the owner's user id
}

func (p Parent) String() string { return p.Resource + "@" + p.ID }

// Record is one stored object. Its JSON form is the protocol's: the fields of
// Data with "id" and "last_modified" added, and "deleted": true for tombstones.
type Record struct {
	ID           string
	LastModified int64
	Deleted      bool
	// Data holds every other field, decoded with json.Number for numbers so
	// that they round-trip exactly. It never holds "id" or "last_modified".
	Data map[string]any
}

// Tombstone returns the deletion marker of r stamped ts.
func (r Record) Tombstone(ts int64) Record {
	return Record{ID: r.ID, LastModified: ts, Deleted: true}
}

// Field returns the value at a dotted path ("author.name"), and whether it is
// present. "id" and "last_modified" are fields like any other. A key that
// itself contains dots is matched by the longest existing prefix, as Kinto
// does.
func (r Record) Field(path string) (any, bool) {
	switch path {
	case "id":
		return r.ID, true
	case "last_modified":
		return json.Number(fmt.Sprint(r.LastModified)), true
	case "deleted":
		if r.Deleted {
			return true, true
		}
	}
	return lookupPath(r.Data, path)
}

func lookupPath(obj map[string]any, path string) (any, bool) {
	if v, ok := obj[path]; ok {
		return v, true
	}
	// Try the longest prefix that names a key, then descend.
	for i := len(path) - 1; i > 0; i-- {
		if path[i] != '.' {
			continue
		}
		v, ok := obj[path[:i]]
		if !ok {
			continue
		}
		child, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		return lookupPath(child, path[i+1:])
	}
	return nil, false
}

// Map returns the record's protocol form as a fresh map.
func (r Record) Map() map[string]any {
	m := make(map[string]any, len(r.Data)+3)
	if !r.Deleted {
		for k, v := range r.Data {
			m[k] = v
		}
	}
	m["id"] = r.ID
	m["last_modified"] = r.LastModified
	if r.Deleted {
		m["deleted"] = true
	}
	return m
}

// MarshalJSON writes the protocol form.
func (r Record) MarshalJSON() ([]byte, error) {
	// HTML escaped, as json.Marshal of Map would write it.
	return r.AppendJSON(nil, true)
}

// AsInt returns v as an int64 when it is an integral JSON number.
func AsInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}

// Clone returns a deep copy of r, so that stores never share maps with
// callers.
func (r Record) Clone() Record {
	r.Data = CloneMap(r.Data)
	return r
}

// CloneMap deep-copies a decoded JSON object.
func CloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return CloneMap(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}
