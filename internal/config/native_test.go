package config_test

import (
	"reflect"
	"testing"

	"github.com/cliquet-go/cliquet/internal/config"
)

// The cases of Kinto's own tests of its value decoding (native_value in
// tests/core/test_utils.py), restated, plus the JSON shapes it also lets
// through.
func TestDecodeNativeAsKinto(t *testing.T) {
	cases := []struct {
		raw  string
		want config.Native
	}{
		{"value", config.Native{Kind: config.NativeText, Text: "value"}},
		{`"value"`, config.Native{Kind: config.NativeString, Text: "value"}},
		{"null", config.Native{Kind: config.NativeNull}},
		{`"null"`, config.Native{Kind: config.NativeString, Text: "null"}},
		{"7", config.Native{Kind: config.NativeNumber, Text: "7"}},
		{`"7"`, config.Native{Kind: config.NativeString, Text: "7"}},
		{"'7'", config.Native{Kind: config.NativeText, Text: "'7'"}},
		{"1", config.Native{Kind: config.NativeNumber, Text: "1"}},
		{"0", config.Native{Kind: config.NativeNumber, Text: "0"}},
		{"3.14", config.Native{Kind: config.NativeNumber, Text: "3.14"}},
		{"true", config.Native{Kind: config.NativeBool, Text: "true"}},
		{"false", config.Native{Kind: config.NativeBool, Text: "false"}},
		{"\u0000", config.Native{Kind: config.NativeText, Text: "\u0000"}},
		// Beyond Kinto's cases: what json.loads also does.
		{` "padded" `, config.Native{Kind: config.NativeString, Text: "padded"}},
		{`"a \"quoted\" \u00e9"`, config.Native{Kind: config.NativeString, Text: `a "quoted" é`}},
		{"", config.Native{Kind: config.NativeText, Text: ""}},
		{"None", config.Native{Kind: config.NativeText, Text: "None"}},
		{"True", config.Native{Kind: config.NativeText, Text: "True"}},
		{"yes", config.Native{Kind: config.NativeText, Text: "yes"}},
		{"2099-01-01", config.Native{Kind: config.NativeText, Text: "2099-01-01"}},
		{`"2099-01-01"`, config.Native{Kind: config.NativeString, Text: "2099-01-01"}},
		{"1 2", config.Native{Kind: config.NativeText, Text: "1 2"}},
		{`"unterminated`, config.Native{Kind: config.NativeText, Text: `"unterminated`}},
		{"-Infinity", config.Native{Kind: config.NativeNumber, Text: "-Infinity"}},
		{"1e3", config.Native{Kind: config.NativeNumber, Text: "1e3"}},
		{`["a", 2, null]`, config.Native{Kind: config.NativeArray, Text: `["a", 2, null]`, Items: []string{"a", "2", "null"}}},
		{`{"a": 1}`, config.Native{Kind: config.NativeObject, Text: `{"a": 1}`}},
	}
	for _, c := range cases {
		if got := config.DecodeNative(c.raw); !reflect.DeepEqual(got, c.want) {
			t.Errorf("DecodeNative(%q) = %+v, want %+v", c.raw, got, c.want)
		}
	}
}

// Every setting, whatever its type and source, is decoded before it is
// parsed: the environment as the INI file.
func TestSettingsAreDecodedAsKinto(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_EOS", `"2099-01-01"`)
	t.Setenv("KINTO_READONLY", `"yes"`)
	t.Setenv("KINTO_PAGINATE_BY", "null")
	t.Setenv("KINTO_BATCH_MAX_REQUESTS", "25.0")
	t.Setenv("KINTO_HEARTBEAT_TIMEOUT_SECONDS", `"2.5"`)
	t.Setenv("KINTO_CORS_ORIGINS", `["https://a.example", "https://b.example"]`)
	t.Setenv("KINTO_PROJECT_VERSION", "1.0")
	t.Setenv("KINTO_ERROR_INFO_LINK", "null")
	ini := writeINI(t, `[app:main]
kinto.project_name = "my kinto"
kinto.storage_backend = "kinto.core.storage.memory"
kinto.explicit_permissions = false
kinto.retry_after_seconds = "7"
bucket_create_principals = ["system.Everyone account:admin"]
`)
	s, _, err := load(t, ini)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"eos", s.EOS, "2099-01-01"},
		{"readonly", s.ReadOnly, config.Bool(true)},
		{"paginate_by", s.PaginateBy, config.NullInt{}},
		{"batch_max_requests", s.BatchMaxRequests, 25},
		{"heartbeat_timeout_seconds", s.HeartbeatTimeoutSeconds, 2.5},
		{"cors_origins", s.CORSOrigins, config.List{"https://a.example", "https://b.example"}},
		{"project_version", s.ProjectVersion, "1.0"},
		{"error_info_link", s.ErrorInfoLink, ""},
		{"project_name", s.ProjectName, "my kinto"},
		{"storage_backend", s.StorageBackend, config.BackendMemory},
		{"explicit_permissions", s.ExplicitPermissions, config.Bool(false)},
		{"retry_after_seconds", s.RetryAfterSeconds, 7},
		{"bucket_create_principals", s.BucketCreatePrincipals, config.List{"system.Everyone", "account:admin"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestDecodedValuesOfTheWrongTypeAreRefused(t *testing.T) {
	for _, c := range []struct{ env, value string }{
		{"KINTO_BATCH_MAX_REQUESTS", "null"},
		{"KINTO_BATCH_MAX_REQUESTS", "true"},
		{"KINTO_BATCH_MAX_REQUESTS", "2.5"},
		{"KINTO_BATCH_MAX_REQUESTS", "[1]"},
		{"KINTO_HEARTBEAT_TIMEOUT_SECONDS", "false"},
		{"KINTO_READONLY", "2"},
		{"KINTO_EOS", `"tomorrow"`},
	} {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			cleanEnv(t)
			t.Setenv(c.env, c.value)
			if _, _, err := load(t, ""); err == nil {
				t.Fatalf("Load with %s=%s: no error", c.env, c.value)
			}
		})
	}
}

func TestLookupDecodesLikeLoad(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_RECORD_READ_PRINCIPALS", `["system.Everyone", "account:bob"]`)
	t.Setenv("KINTO_MULTIAUTH_POLICY_X_USE", `"pkg.Policy"`)
	_, src, err := load(t, "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, _ := src.LookupList("record_read_principals"); !reflect.DeepEqual(got, []string{"system.Everyone", "account:bob"}) {
		t.Errorf("LookupList(record_read_principals) = %q", got)
	}
	if got, _ := src.Lookup("multiauth.policy.x.use"); got != "pkg.Policy" {
		t.Errorf("Lookup(multiauth.policy.x.use) = %q, want pkg.Policy", got)
	}
}
