// Package config loads a service's settings from, highest first, the
// environment, an INI file in Kinto's format and Kinto's defaults.
//
// A service describes its settings as one struct (embedding Core for the
// generic Cliquet settings); each field carries struct tags:
//
//	setting:"paginate_by"     the setting's name (required)
//	envconfig:"PAGINATE_BY"   its environment name without the prefix (required;
//	                          must be the name upper-cased with . and - as _)
//	def:"null"                the default, parsed like any other value
//	ini:"other" or ini:"-"    the [app:main] key when it differs from the name,
//	                          or "-" when the setting is not read from [app:main]
//	server:"port"             also read from [server:main] under this key
//
// The environment variable is <PREFIX>_<NAME>, and, as in Kinto, the bare
// <NAME> when the prefixed one is absent (the tag keeps envconfig's name).
// Every value, from the environment, the INI file or a default, is decoded
// as Kinto decodes it (DecodeNative): `"x"` is x, null is no value. The INI layer reads [app:main] keys "<prefix>.<name>" (lower-case
// prefix, as "kinto.paginate_by") or the bare "<name>".
package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/ini.v1"
)

// SettingError reports a setting whose value is unusable. Its message
// names the setting, the value and, when known, where the value came from.
type SettingError struct {
	Setting string // "storage_backend"
	Origin  string // "env KINTO_STORAGE_BACKEND", "ini config/kinto.ini", "default"; may be empty
	Err     error  // what is wrong with the value; it quotes the value
}

// Error returns "setting <name> (from <origin>): <problem>", on one line.
func (e *SettingError) Error() string {
	if e.Origin != "" {
		return fmt.Sprintf("setting %s (from %s): %v", e.Setting, e.Origin, e.Err)
	}
	return fmt.Sprintf("setting %s: %v", e.Setting, e.Err)
}

// Unwrap returns the problem with the value.
func (e *SettingError) Unwrap() error { return e.Err }

// Validator is implemented by settings structs that check their values
// after loading. Load calls it and returns its error.
type Validator interface {
	Validate() error
}

// Source keeps what Load read, for settings whose names are only known at
// run time (for example "record_write_principals" or
// "multiauth.policy.<name>.use").
type Source struct {
	prefix  string
	iniPath string
	app     map[string]string // [app:main], keys lower-case as in the file
	// env is the process environment as Load found it: settings are read
	// once, at start-up, so that a request never reads the environment
	// and every lookup agrees with what Load decoded.
	env     map[string]string
	origins map[string]string
}

// INIPath returns the INI file that was read, or "" when there was none.
func (s *Source) INIPath() string { return s.iniPath }

// Origin tells where the value of a declared setting came from: "default",
// "ini <path>" or "env <VARIABLE>".
func (s *Source) Origin(setting string) string { return s.origins[setting] }

// Lookup returns the value of any setting by name, with the same
// precedence as Load: <PREFIX>_<NAME>, <NAME>, then [app:main]
// "<prefix>.<name>" or "<name>". The value is decoded as Load decodes
// values (DecodeNative's Text: `"x"` gives x, null gives ""). It reports
// false when no source has it.
func (s *Source) Lookup(name string) (string, bool) {
	raw, ok := s.lookupRaw(name)
	if !ok {
		return "", false
	}
	return DecodeNative(raw).Text, true
}

// LookupList is Lookup for a list setting: a JSON array gives its items,
// other values are split on whitespace, as List settings are.
func (s *Source) LookupList(name string) ([]string, bool) {
	raw, ok := s.lookupRaw(name)
	if !ok {
		return nil, false
	}
	var l List
	_ = l.decodeNative(DecodeNative(raw)) // a List accepts any value
	return l, true
}

// Present lists the settings whose name starts with prefix and that the
// INI file's [app:main] ("<prefix>.x" or "x") or a <PREFIX>_* variable
// sets, by name (lower case, without the service prefix; from the
// environment, "_" stands for any "." of the name), sorted. It finds the
// settings of families nobody declares, such as "prometheus_".
func (s *Source) Present(prefix string) []string {
	prefix = strings.ToLower(prefix)
	seen := map[string]bool{}
	pfx := strings.ToLower(s.prefix) + "."
	for key := range s.app {
		name := strings.TrimPrefix(key, pfx)
		if strings.HasPrefix(name, prefix) {
			seen[name] = true
		}
	}
	envPrefix := s.prefix + "_" + EnvName(prefix)
	for key := range s.env {
		if strings.HasPrefix(key, envPrefix) {
			seen[strings.ToLower(strings.TrimPrefix(key, s.prefix+"_"))] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// environment returns a copy of the process environment.
func environment() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

func (s *Source) lookupRaw(name string) (string, bool) {
	env := EnvName(name)
	if v, ok := s.env[s.prefix+"_"+env]; ok {
		return v, true
	}
	if v, ok := s.env[env]; ok {
		return v, true
	}
	name = strings.ToLower(name)
	if v, ok := s.app[strings.ToLower(s.prefix)+"."+name]; ok {
		return v, true
	}
	v, ok := s.app[name]
	return v, ok
}

// EnvName is the environment name of a setting without the service prefix:
// upper case, with "." and "-" turned into "_" ("multiauth.policies" gives
// "MULTIAUTH_POLICIES").
func EnvName(setting string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(setting))
}

// Setting describes one declared setting, for documentation and tests.
type Setting struct {
	Name    string // "paginate_by"
	Env     string // without the prefix: "PAGINATE_BY"
	INIKey  string // [app:main] key without the prefix; "" when not read there
	Server  string // [server:main] key, or ""
	Default string // the def tag; "" when none
}

// Describe lists the settings declared by dst, a pointer to a settings
// struct, in declaration order.
func Describe(dst any) ([]Setting, error) {
	fields, err := settingFields(dst)
	if err != nil {
		return nil, err
	}
	out := make([]Setting, len(fields))
	for i, f := range fields {
		out[i] = Setting{Name: f.setting, Env: f.env, INIKey: f.iniKey, Server: f.server, Default: f.def}
	}
	return out, nil
}

// field is one declared setting of the destination struct.
type field struct {
	value   reflect.Value
	setting string
	env     string // without prefix
	iniKey  string // "" when not read from [app:main]
	server  string // [server:main] key, or ""
	def     string
	hasDef  bool
}

// Load fills dst, a pointer to a settings struct, from the defaults, then
// the INI file, then the environment, and finally calls dst's Validate when
// it has one. prefix is the service's name in upper case ("KINTO"); iniPath
// is the --ini flag, and when empty the <PREFIX>_INI variable is used; with
// neither, no file is read. Errors about a value are *SettingError.
func Load(prefix, iniPath string, dst any) (*Source, error) {
	fields, err := settingFields(dst)
	if err != nil {
		return nil, err
	}
	if iniPath == "" {
		iniPath = os.Getenv(prefix + "_INI")
	}
	src := &Source{prefix: prefix, iniPath: iniPath, app: map[string]string{}, env: environment(), origins: map[string]string{}}

	for _, f := range fields {
		if !f.hasDef {
			continue
		}
		if err := decodeValue(f.value, f.def); err != nil {
			return nil, fmt.Errorf("config: default of %s: %w", f.setting, err) // a bug in the struct tags
		}
		src.origins[f.setting] = "default"
	}

	if iniPath != "" {
		if err := src.applyINI(fields); err != nil {
			return nil, err
		}
	}

	if err := src.applyEnv(fields); err != nil {
		return nil, err
	}

	if v, ok := dst.(Validator); ok {
		if err := v.Validate(); err != nil {
			var se *SettingError
			if errors.As(err, &se) && se.Origin == "" {
				se.Origin = src.origins[se.Setting]
			}
			return nil, err
		}
	}
	return src, nil
}

func (s *Source) applyINI(fields []field) error {
	file, err := ini.LoadSources(ini.LoadOptions{
		// Python's configparser, which Kinto's ini goes through, keeps
		// "#" inside values, folds indented continuation lines into the
		// value and lower-cases keys.
		IgnoreInlineComment:        true,
		AllowPythonMultilineValues: true,
		InsensitiveKeys:            true,
	}, s.iniPath)
	if err != nil {
		return fmt.Errorf("config: read ini file %s: %w", s.iniPath, err)
	}
	app, err := file.GetSection("app:main")
	if err != nil {
		return fmt.Errorf("config: ini file %s has no [app:main] section", s.iniPath)
	}
	defaults, err := iniDefaults(file, s.iniPath)
	if err != nil {
		return err
	}
	appVars := sectionVars(app, defaults)
	for _, k := range app.Keys() {
		if _, global := defaults[k.Name()]; global {
			// PasteDeploy hands the application only the keys of its
			// own section that [DEFAULT] does not also define.
			continue
		}
		v, err := interpolate("app:main", k.Name(), strings.TrimSpace(k.Value()), appVars)
		if err != nil {
			return fmt.Errorf("config: ini file %s: %w", s.iniPath, err)
		}
		s.app[k.Name()] = v
	}
	server := map[string]string{}
	if sec, err := file.GetSection("server:main"); err == nil {
		vars := sectionVars(sec, defaults)
		for _, k := range sec.Keys() {
			v, err := interpolate("server:main", k.Name(), strings.TrimSpace(k.Value()), vars)
			var ie *InterpolationError
			if errors.As(err, &ie) && ie.Missing == "http_port" {
				// "port = %(http_port)s", as kinto init writes it,
				// is filled by Kinto's launcher (kinto start
				// --port); here the http_port setting applies.
				continue
			}
			if err != nil {
				return fmt.Errorf("config: ini file %s: %w", s.iniPath, err)
			}
			server[k.Name()] = v
		}
	}

	// Kinto refuses a file that sets both spellings of a setting to
	// different values; check every key, declared or not.
	pfx := strings.ToLower(s.prefix) + "."
	for key, v := range s.app {
		bare, ok := strings.CutPrefix(key, pfx)
		if !ok {
			continue
		}
		if other, dup := s.app[bare]; dup && other != v {
			return &SettingError{Setting: bare, Origin: "ini " + s.iniPath,
				Err: fmt.Errorf("both %s = %q and %s = %q are set", key, v, bare, other)}
		}
	}

	origin := "ini " + s.iniPath
	for _, f := range fields {
		v, ok := "", false
		if f.iniKey != "" {
			v, ok = s.app[pfx+f.iniKey]
			if !ok {
				v, ok = s.app[f.iniKey]
			}
		}
		if !ok && f.server != "" {
			v, ok = server[f.server]
		}
		if !ok {
			continue
		}
		if err := decodeValue(f.value, v); err != nil {
			return &SettingError{Setting: f.setting, Origin: origin, Err: err}
		}
		s.origins[f.setting] = origin
	}
	return nil
}

func (s *Source) applyEnv(fields []field) error {
	for _, f := range fields {
		key := s.prefix + "_" + f.env
		v, ok := s.env[key]
		if !ok {
			// As in Kinto, the bare name applies when the prefixed
			// one is absent.
			key = f.env
			v, ok = s.env[key]
		}
		if !ok {
			continue
		}
		origin := "env " + key
		if err := decodeValue(f.value, v); err != nil {
			return &SettingError{Setting: f.setting, Origin: origin, Err: err}
		}
		s.origins[f.setting] = origin
	}
	return nil
}

// iniDefaults returns the names every section's values may refer to, as
// PasteDeploy gives them to Python's configparser: here (the file's
// folder) and __file__ (its path), then the keys of [DEFAULT], raw.
func iniDefaults(file *ini.File, path string) (map[string]string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: ini file %s: %w", path, err)
	}
	vars := map[string]string{"here": filepath.Dir(abs), "__file__": abs}
	if sec, err := file.GetSection(ini.DefaultSection); err == nil {
		for _, k := range sec.Keys() {
			vars[k.Name()] = strings.TrimSpace(k.Value())
		}
	}
	return vars, nil
}

// sectionVars is what a section's references resolve to: its own keys
// over the defaults.
func sectionVars(sec *ini.Section, defaults map[string]string) map[string]string {
	vars := maps.Clone(defaults)
	for _, k := range sec.Keys() {
		vars[k.Name()] = strings.TrimSpace(k.Value())
	}
	return vars
}

var decoderType = reflect.TypeFor[Decoder]()

// settingFields lists the declared settings of dst, descending into
// embedded structs, and checks the tags so that a mistake in a settings
// struct fails at once rather than silently ignoring a variable.
func settingFields(dst any) ([]field, error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: Load needs a pointer to a struct, got %T", dst)
	}
	var out []field
	seen := map[string]bool{}
	var walk func(v reflect.Value) error
	walk = func(v reflect.Value) error {
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			fv := v.Field(i)
			if !sf.IsExported() {
				continue
			}
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct && !reflect.PointerTo(sf.Type).Implements(decoderType) {
				if err := walk(fv); err != nil {
					return err
				}
				continue
			}
			name := sf.Tag.Get("setting")
			if name == "" {
				return fmt.Errorf("config: field %s.%s has no setting tag", t.Name(), sf.Name)
			}
			if seen[name] {
				return fmt.Errorf("config: setting %s declared twice", name)
			}
			seen[name] = true
			env := sf.Tag.Get("envconfig")
			if env != EnvName(name) {
				return fmt.Errorf("config: field %s.%s: envconfig tag %q, want %q", t.Name(), sf.Name, env, EnvName(name))
			}
			if _, ok := sf.Tag.Lookup("default"); ok {
				// The name envconfig gives defaults; here it would
				// be silently ignored.
				return fmt.Errorf("config: field %s.%s: use def, not default", t.Name(), sf.Name)
			}
			f := field{value: fv, setting: name, env: env, iniKey: name, server: sf.Tag.Get("server")}
			switch k := sf.Tag.Get("ini"); k {
			case "":
			case "-":
				f.iniKey = ""
			default:
				f.iniKey = k
			}
			f.def, f.hasDef = sf.Tag.Lookup("def")
			out = append(out, f)
		}
		return nil
	}
	if err := walk(rv.Elem()); err != nil {
		return nil, err
	}
	return out, nil
}

// Decoder is implemented by setting types that parse their own values
// (Bool, List, NullInt, Backend). Decode receives the value after Kinto's
// decoding (DecodeNative): `"x"` arrives as x.
type Decoder interface {
	Decode(s string) error
}

// nativeDecoder is implemented by the setting types that treat a decoded
// null or JSON array in their own way.
type nativeDecoder interface {
	decodeNative(n Native) error
}

// decodeValue sets v from the raw text s of an INI key, an environment
// variable or a default: s goes through Kinto's decoding (DecodeNative),
// then the type's Decode method when it has one, else by kind. Errors
// quote s as written.
func decodeValue(v reflect.Value, s string) error {
	n := DecodeNative(s)
	if d, ok := v.Addr().Interface().(nativeDecoder); ok {
		return d.decodeNative(n)
	}
	if d, ok := v.Addr().Interface().(Decoder); ok {
		return d.Decode(n.Text)
	}
	switch v.Kind() {
	case reflect.String:
		// null leaves a string setting empty, as Kinto's None; a number
		// or a boolean keeps its literal ("1.0", "true").
		v.SetString(n.Text)
	case reflect.Int, reflect.Int64, reflect.Int32:
		i, err := nativeInt(n, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetInt(i)
	case reflect.Float64:
		if n.Kind == NativeNull || n.Kind == NativeBool {
			return fmt.Errorf("%q is not a number", s)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(n.Text), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// nativeInt reads an integer setting: a JSON integer, or a number written
// with a fraction or exponent that is still a whole number ("25.0", "1e3",
// which Kinto would use as they are), or a quoted integer.
func nativeInt(n Native, bits int) (int64, error) {
	if n.Kind == NativeNull || n.Kind == NativeBool || n.Kind == NativeArray || n.Kind == NativeObject {
		return 0, fmt.Errorf("not a number")
	}
	text := strings.TrimSpace(n.Text)
	i, err := strconv.ParseInt(text, 10, bits)
	if err == nil {
		return i, nil
	}
	if n.Kind != NativeNumber {
		return 0, err
	}
	f, ferr := strconv.ParseFloat(text, 64)
	limit := math.Ldexp(1, bits-1)
	if ferr != nil || f != math.Trunc(f) || f >= limit || f < -limit {
		return 0, err
	}
	return int64(f), nil
}
