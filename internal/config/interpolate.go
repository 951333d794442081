package config

import (
	"fmt"
	"strings"
)

// maxInterpolationDepth is how many references deep a value may go, as in
// Python's configparser (MAX_INTERPOLATION_DEPTH): deeper is a loop.
const maxInterpolationDepth = 10

// InterpolationError reports an INI value whose %(name)s references cannot
// be filled: a name defined nowhere, a loop, or a stray %. Python's
// configparser, through which Kinto reads its INI file, refuses the same
// values at start-up.
type InterpolationError struct {
	Section string // "app:main"
	Key     string // "kinto.version_json_path"
	Missing string // the name referenced but defined nowhere; "" for other problems
	Err     error
}

// Error names the section, the key and the problem.
func (e *InterpolationError) Error() string {
	return fmt.Sprintf("[%s] %s: %v", e.Section, e.Key, e.Err)
}

// Unwrap returns the problem.
func (e *InterpolationError) Unwrap() error { return e.Err }

// interpolate fills the %(name)s references of value as Python's
// configparser BasicInterpolation does: names are looked up, lower-cased,
// in vars (the section's keys over [DEFAULT]'s, with PasteDeploy's here and
// __file__ underneath); a referenced value is itself interpolated; %% is a
// literal %, and any other % is an error.
func interpolate(section, key, value string, vars map[string]string) (string, error) {
	var b strings.Builder
	if err := interpolateInto(&b, section, key, value, vars, 1); err != nil {
		return "", err
	}
	return b.String(), nil
}

func interpolateInto(b *strings.Builder, section, key, rest string, vars map[string]string, depth int) error {
	if depth > maxInterpolationDepth {
		return &InterpolationError{Section: section, Key: key,
			Err: fmt.Errorf("references nested more than %d deep (a loop?)", maxInterpolationDepth)}
	}
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			b.WriteString(rest)
			return nil
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			end := strings.IndexByte(rest, ')')
			if end < 0 || end == 2 || !strings.HasPrefix(rest[end:], ")s") {
				return &InterpolationError{Section: section, Key: key,
					Err: fmt.Errorf("bad reference %q (want %%(name)s, or %%%% for a literal %%)", excerpt(rest))}
			}
			name := strings.ToLower(rest[2:end])
			v, ok := vars[name]
			if !ok {
				return &InterpolationError{Section: section, Key: key, Missing: name,
					Err: fmt.Errorf("%%(%s)s refers to %q, which is defined neither in [%s] nor in [DEFAULT]", name, name, section)}
			}
			rest = rest[end+2:]
			if strings.IndexByte(v, '%') < 0 {
				b.WriteString(v)
				continue
			}
			if err := interpolateInto(b, section, key, v, vars, depth+1); err != nil {
				return err
			}
		default:
			return &InterpolationError{Section: section, Key: key,
				Err: fmt.Errorf("%q: %% must be followed by %% or (name)s", excerpt(rest))}
		}
	}
}

// excerpt keeps error messages short when a value is long.
func excerpt(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
