package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Bool is a boolean setting parsed the way Kinto does: true, yes, on, y, t
// and 1 are true; false, no, off, n, f and 0 are false (any case).
// envconfig's own bool parsing (strconv.ParseBool) rejects "yes" and "on",
// which existing Kinto configurations use.
type Bool bool

// Decode parses s as a Kinto boolean.
func (b *Bool) Decode(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "y", "t", "1":
		*b = true
	case "false", "no", "off", "n", "f", "0":
		*b = false
	default:
		return fmt.Errorf("%q is not a boolean (want true/yes/on/y/t/1 or false/no/off/n/f/0)", s)
	}
	return nil
}

// decodeNative reads a decoded value: null is false, as Kinto's asbool
// reads None; JSON true, false, 1 and 0 and quoted words go through Decode.
func (b *Bool) decodeNative(n Native) error {
	if n.Kind == NativeNull {
		*b = false
		return nil
	}
	return b.Decode(n.Text)
}

// List is a list setting: the value split on any whitespace, newlines
// included, as Kinto splits principals, origins and policy names.
type List []string

// Decode splits s on whitespace; an empty value is an empty list.
func (l *List) Decode(s string) error {
	*l = List(strings.Fields(s))
	return nil
}

// decodeNative reads a decoded value: a JSON array gives its items, each
// split on whitespace as Kinto's aslist flattens them; null is an empty
// list; anything else is split as text.
func (l *List) decodeNative(n Native) error {
	switch n.Kind {
	case NativeNull:
		*l = nil
	case NativeArray:
		var out List
		for _, item := range n.Items {
			out = append(out, strings.Fields(item)...)
		}
		*l = out
	default:
		return l.Decode(n.Text)
	}
	return nil
}

// Contains reports whether v is one of the list's items.
func (l List) Contains(v string) bool {
	for _, item := range l {
		if item == v {
			return true
		}
	}
	return false
}

// NullInt is an integer setting that Kinto allows to be null ("no value"),
// like paginate_by or backoff. Valid is false when the setting is null.
type NullInt struct {
	Int   int
	Valid bool
}

// Decode parses s as an integer; "null", "none" and the empty string make
// the setting null.
func (n *NullInt) Decode(s string) error {
	v := strings.TrimSpace(s)
	switch strings.ToLower(v) {
	case "", "null", "none":
		*n = NullInt{}
		return nil
	}
	i, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*n = NullInt{Int: i, Valid: true}
	return nil
}

// decodeNative reads a decoded value: null (JSON's) is a null setting.
func (n *NullInt) decodeNative(v Native) error {
	if v.Kind == NativeNull {
		*n = NullInt{}
		return nil
	}
	return n.Decode(v.Text)
}

// Or returns the value, or def when the setting is null.
func (n NullInt) Or(def int) int {
	if !n.Valid {
		return def
	}
	return n.Int
}

// Backend is a backend setting (storage_backend, cache_backend,
// permission_backend). Decode accepts Kinto's dotted module names
// ("kinto.core.storage.postgresql", "kinto_redis.cache") as well as short
// names and keeps the short name ("postgresql"), so that main can switch on
// it. Whether the name is supported is checked by the settings' Validate.
type Backend string

// Short backend names.
const (
	BackendMemory     Backend = "memory"
	BackendPostgreSQL Backend = "postgresql"
	BackendRedis      Backend = "redis"
)

// Decode normalises s to a short backend name; empty means memory, as in
// Kinto.
func (b *Backend) Decode(s string) error {
	*b = normaliseBackend(s)
	return nil
}

func normaliseBackend(s string) Backend {
	v := strings.ToLower(strings.TrimSpace(s))
	switch {
	case v == "":
		return BackendMemory
	case strings.HasPrefix(v, "kinto_redis."):
		// The kinto-redis plugin names its modules by role
		// (kinto_redis.cache), not by technology.
		return BackendRedis
	case v == "postgres":
		return BackendPostgreSQL
	}
	if i := strings.LastIndexByte(v, '.'); i >= 0 {
		v = v[i+1:]
	}
	return Backend(v)
}
