package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/config"
)

// service is a settings struct shaped like a service's: Core plus its own.
type service struct {
	config.Core
	BucketCreatePrincipals  config.List `setting:"bucket_create_principals" envconfig:"BUCKET_CREATE_PRINCIPALS" def:"system.Authenticated"`
	ExperimentalPermissions config.Bool `setting:"experimental_permissions_endpoint" envconfig:"EXPERIMENTAL_PERMISSIONS_ENDPOINT" def:"false"`
	DefaultBucketSecret     string      `setting:"default_bucket_hmac_secret" envconfig:"DEFAULT_BUCKET_HMAC_SECRET"`
}

// cleanEnv unsets every variable a service could read, so that the
// developer's environment cannot change a test; t.Setenv restores them.
func cleanEnv(t *testing.T) {
	t.Helper()
	settings, err := config.Describe(&service{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	names := []string{"KINTO_INI", "TEST_INI"}
	for _, s := range settings {
		names = append(names, s.Env, "KINTO_"+s.Env, "TEST_"+s.Env)
	}
	for _, n := range names {
		if _, ok := os.LookupEnv(n); ok {
			t.Setenv(n, "")
			os.Unsetenv(n)
		}
	}
}

// writeINI writes an INI file into the test's directory and returns its path.
func writeINI(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.ini")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatalf("write ini: %v", err)
	}
	return path
}

func load(t *testing.T, ini string) (*service, *config.Source, error) {
	t.Helper()
	var s service
	src, err := config.Load("KINTO", ini, &s)
	return &s, src, err
}

func TestDefaultsAreKintos(t *testing.T) {
	cleanEnv(t)
	s, src, err := load(t, "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if src.INIPath() != "" {
		t.Errorf("INIPath() = %q, want none", src.INIPath())
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"project_name", s.ProjectName, "kinto"},
		{"project_version", s.ProjectVersion, ""},
		{"project_docs", s.ProjectDocs, "https://kinto.readthedocs.io/"},
		{"http_api_version", s.HTTPAPIVersion, "1.23"},
		{"listen_host", s.ListenHost, "127.0.0.1"},
		{"http_host", s.HTTPHost, ""},
		{"http_port", s.HTTPPort, 8888},
		{"readonly", s.ReadOnly, config.Bool(false)},
		{"batch_max_requests", s.BatchMaxRequests, 25},
		{"explicit_permissions", s.ExplicitPermissions, config.Bool(true)},
		{"paginate_by", s.PaginateBy, config.NullInt{}},
		{"storage_max_fetch_size", s.StorageMaxFetchSize, 10000},
		{"pagination_token_validity_seconds", s.PaginationTokenValiditySeconds, 600},
		{"backoff", s.Backoff, config.NullInt{}},
		{"retry_after_seconds", s.RetryAfterSeconds, 3},
		{"cors_origins", s.CORSOrigins, config.List{"*"}},
		{"cors_max_age_seconds", s.CORSMaxAgeSeconds, config.NullInt{Int: 3600, Valid: true}},
		{"version_prefix_redirect_enabled", s.VersionPrefixRedirectEnabled, config.Bool(true)},
		{"version_prefix_redirect_ttl_seconds", s.VersionPrefixRedirectTTLSeconds, -1},
		{"trailing_slash_redirect_enabled", s.TrailingSlashRedirectEnabled, config.Bool(true)},
		{"trailing_slash_redirect_ttl_seconds", s.TrailingSlashRedirectTTLSeconds, 3600},
		{"root_cache_expires_seconds", s.RootCacheExpiresSeconds, 86400},
		{"heartbeat_timeout_seconds", s.HeartbeatTimeoutSeconds, 10.0},
		{"version_json_path", s.VersionJSONPath, "version.json"},
		{"error_info_link", s.ErrorInfoLink, "https://github.com/Kinto/kinto/issues/"},
		{"storage_backend", s.StorageBackend, config.BackendMemory},
		{"cache_backend", s.CacheBackend, config.BackendMemory},
		{"permission_backend", s.PermissionBackend, config.BackendMemory},
		{"cache_max_size_bytes", s.CacheMaxSizeBytes, 524288},
		{"storage_pool_size", s.StoragePoolSize, 25},
		{"permission_pool_timeout", s.PermissionPoolTimeout, 30},
		{"storage_statement_timeout_ms", s.StorageStatementTimeoutMS, 30000},
		{"permission_statement_timeout_ms", s.PermissionStatementTimeoutMS, 30000},
		{"storage_connect_timeout_seconds", s.StorageConnectTimeoutSeconds, 10},
		{"permission_connect_timeout_seconds", s.PermissionConnectTimeoutSeconds, 10},
		{"cache_statement_timeout_ms", s.CacheStatementTimeoutMS, 5000},
		{"cache_connect_timeout_seconds", s.CacheConnectTimeoutSeconds, 10},
		{"cache_pool_size", s.CachePoolSize, 25},
		{"cache_pool_timeout", s.CachePoolTimeout, 30},
		{"multiauth.policies", s.MultiauthPolicies, config.List{"basicauth"}},
		{"statsd_prefix", s.StatsdPrefix, "kinto.core"},
		{"log_format", s.LogFormat, "text"},
		{"max_body_bytes", s.MaxBodyBytes, int64(8388608)},
		{"http_read_timeout_seconds", s.HTTPReadTimeoutSeconds, 60.0},
		{"http_read_header_timeout_seconds", s.HTTPReadHeaderTimeoutSeconds, 10.0},
		{"http_write_timeout_seconds", s.HTTPWriteTimeoutSeconds, 60.0},
		{"http_idle_timeout_seconds", s.HTTPIdleTimeoutSeconds, 120.0},
		{"http_body_memory_bytes", s.HTTPBodyMemoryBytes, int64(64 << 20)},
		{"http_body_memory_wait_seconds", s.HTTPBodyMemoryWaitSeconds, 5.0},
		{"tombstones_retention_seconds", s.TombstonesRetentionSeconds, 0},
		{"tombstones_purge_interval_seconds", s.TombstonesPurgeIntervalSeconds, 3600},
		{"tombstones_purge_timeout_seconds", s.TombstonesPurgeTimeoutSeconds, 300},
		{"bucket_create_principals", s.BucketCreatePrincipals, config.List{"system.Authenticated"}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("default %s = %#v, want %#v", c.name, c.got, c.want)
		}
		if o := src.Origin(c.name); c.name != "project_version" && c.name != "http_host" && c.name != "multiauth.policies" && o != "default" {
			t.Errorf("Origin(%s) = %q, want default", c.name, o)
		}
	}
	if got := s.HeartbeatTimeout().Seconds(); got != 10 {
		t.Errorf("HeartbeatTimeout() = %vs, want 10s", got)
	}
	if got := s.ShutdownTimeout().Seconds(); got != 15 {
		t.Errorf("ShutdownTimeout() = %vs, want 15s", got)
	}
	for _, d := range []struct {
		name      string
		got, want time.Duration
	}{
		{"HTTPReadTimeout", s.HTTPReadTimeout(), time.Minute},
		{"HTTPReadHeaderTimeout", s.HTTPReadHeaderTimeout(), 10 * time.Second},
		{"HTTPWriteTimeout", s.HTTPWriteTimeout(), time.Minute},
		{"HTTPIdleTimeout", s.HTTPIdleTimeout(), 2 * time.Minute},
		{"HTTPBodyMemoryWait", s.HTTPBodyMemoryWait(), 5 * time.Second},
		{"TombstonesRetention", s.TombstonesRetention(), 0},
		{"TombstonesPurgeInterval", s.TombstonesPurgeInterval(), time.Hour},
		{"TombstonesPurgeTimeout", s.TombstonesPurgeTimeout(), 5 * time.Minute},
	} {
		if d.got != d.want {
			t.Errorf("%s() = %v, want %v", d.name, d.got, d.want)
		}
	}
}

func TestHTTPBoundsFromEnvAndINI(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_HTTP_READ_TIMEOUT_SECONDS", "0.25")
	t.Setenv("KINTO_HTTP_READ_HEADER_TIMEOUT_SECONDS", "0")
	t.Setenv("KINTO_HTTP_WRITE_TIMEOUT_SECONDS", "1.5")
	t.Setenv("KINTO_HTTP_BODY_MEMORY_BYTES", "0")
	path := writeINI(t, "[app:main]\nkinto.http_idle_timeout_seconds = 7\nkinto.http_write_timeout_seconds = 99\n")
	s, src, err := load(t, path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, d := range []struct {
		name      string
		got, want time.Duration
	}{
		{"HTTPReadTimeout", s.HTTPReadTimeout(), 250 * time.Millisecond},
		{"HTTPReadHeaderTimeout", s.HTTPReadHeaderTimeout(), 0},
		{"HTTPWriteTimeout (env over ini)", s.HTTPWriteTimeout(), 1500 * time.Millisecond},
		{"HTTPIdleTimeout (ini)", s.HTTPIdleTimeout(), 7 * time.Second},
	} {
		if d.got != d.want {
			t.Errorf("%s() = %v, want %v", d.name, d.got, d.want)
		}
	}
	if s.HTTPBodyMemoryBytes != 0 {
		t.Errorf("http_body_memory_bytes = %d, want 0 (no cap) from the environment", s.HTTPBodyMemoryBytes)
	}
	if o := src.Origin("http_idle_timeout_seconds"); !strings.HasPrefix(o, "ini ") {
		t.Errorf("Origin(http_idle_timeout_seconds) = %q, want the ini file", o)
	}
	if o := src.Origin("http_read_timeout_seconds"); o != "env KINTO_HTTP_READ_TIMEOUT_SECONDS" {
		t.Errorf("Origin(http_read_timeout_seconds) = %q, want env KINTO_HTTP_READ_TIMEOUT_SECONDS", o)
	}
}

func TestPrecedenceEnvOverINIOverDefault(t *testing.T) {
	const iniBody = `
[server:main]
host = 0.0.0.0
port = 7001

[app:main]
use = egg:kinto
kinto.paginate_by = 50
readonly = yes
kinto.project_name = from-ini
`
	tests := []struct {
		name        string
		env         map[string]string
		ini         bool
		paginate    config.NullInt
		readonly    config.Bool
		projectName string
		port        int
		host        string
		portOrigin  string
	}{
		{name: "defaults only", paginate: config.NullInt{}, projectName: "kinto", port: 8888, host: "127.0.0.1", portOrigin: "default"},
		{name: "ini over default", ini: true, paginate: config.NullInt{Int: 50, Valid: true}, readonly: true,
			projectName: "from-ini", port: 7001, host: "0.0.0.0", portOrigin: "ini "},
		{name: "env over ini", ini: true,
			env:      map[string]string{"KINTO_PAGINATE_BY": "7", "KINTO_READONLY": "off", "KINTO_HTTP_PORT": "9999"},
			paginate: config.NullInt{Int: 7, Valid: true}, readonly: false, projectName: "from-ini", port: 9999,
			host: "0.0.0.0", portOrigin: "env KINTO_HTTP_PORT"},
		{name: "env null over ini", ini: true, env: map[string]string{"KINTO_PAGINATE_BY": "null"},
			paginate: config.NullInt{}, readonly: true, projectName: "from-ini", port: 7001, host: "0.0.0.0", portOrigin: "ini "},
		{name: "env over default", env: map[string]string{"KINTO_PROJECT_NAME": "env-name", "KINTO_LISTEN_HOST": "::1"},
			paginate: config.NullInt{}, projectName: "env-name", port: 8888, host: "::1", portOrigin: "default"},
		{name: "bare env name as in Kinto", env: map[string]string{"PROJECT_NAME": "bare"},
			projectName: "bare", port: 8888, host: "127.0.0.1", portOrigin: "default"},
		{name: "prefixed env wins over bare", env: map[string]string{"PROJECT_NAME": "bare", "KINTO_PROJECT_NAME": "prefixed"},
			projectName: "prefixed", port: 8888, host: "127.0.0.1", portOrigin: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := ""
			if tt.ini {
				path = writeINI(t, iniBody)
			}
			s, src, err := load(t, path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.PaginateBy != tt.paginate {
				t.Errorf("paginate_by = %+v, want %+v", s.PaginateBy, tt.paginate)
			}
			if s.ReadOnly != tt.readonly {
				t.Errorf("readonly = %v, want %v", s.ReadOnly, tt.readonly)
			}
			if s.ProjectName != tt.projectName {
				t.Errorf("project_name = %q, want %q", s.ProjectName, tt.projectName)
			}
			if s.HTTPPort != tt.port || s.ListenHost != tt.host {
				t.Errorf("listen = %s:%d, want %s:%d", s.ListenHost, s.HTTPPort, tt.host, tt.port)
			}
			if o := src.Origin("http_port"); !strings.HasPrefix(o, tt.portOrigin) {
				t.Errorf("Origin(http_port) = %q, want prefix %q", o, tt.portOrigin)
			}
		})
	}
}

func TestINIPathFromEnvironment(t *testing.T) {
	cleanEnv(t)
	path := writeINI(t, "[app:main]\nkinto.batch_max_requests = 3\n")
	t.Setenv("KINTO_INI", path)
	s, src, err := load(t, "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.BatchMaxRequests != 3 {
		t.Errorf("batch_max_requests = %d, want 3 from KINTO_INI file", s.BatchMaxRequests)
	}
	if src.INIPath() != path {
		t.Errorf("INIPath() = %q, want %q", src.INIPath(), path)
	}

	// The --ini flag wins over KINTO_INI.
	flagPath := writeINI(t, "[app:main]\nkinto.batch_max_requests = 4\n")
	s, _, err = load(t, flagPath)
	if err != nil {
		t.Fatalf("Load(flag): %v", err)
	}
	if s.BatchMaxRequests != 4 {
		t.Errorf("batch_max_requests = %d, want 4 from the --ini file", s.BatchMaxRequests)
	}
}

func TestReadsKintoStyleINI(t *testing.T) {
	cleanEnv(t)
	s, src, err := load(t, filepath.Join("testdata", "kinto.ini"))
	if err != nil {
		t.Fatalf("Load(testdata/kinto.ini): %v", err)
	}
	if s.StorageBackend != config.BackendMemory || s.CacheBackend != config.BackendMemory || s.PermissionBackend != config.BackendMemory {
		t.Errorf("backends = %q/%q/%q, want memory everywhere", s.StorageBackend, s.CacheBackend, s.PermissionBackend)
	}
	wantIncludes := config.List{"kinto.plugins.default_bucket", "kinto.plugins.admin", "kinto.plugins.accounts"}
	if !reflect.DeepEqual(s.Includes, wantIncludes) {
		t.Errorf("includes = %q, want %q (continuation lines)", s.Includes, wantIncludes)
	}
	if !reflect.DeepEqual(s.MultiauthPolicies, config.List{"account"}) {
		t.Errorf("multiauth.policies = %q, want [account] (bare key)", s.MultiauthPolicies)
	}
	if s.UserIDHMACSecret != "5a1c2b7e#not-a-comment" {
		t.Errorf("userid_hmac_secret = %q, want the value with its #", s.UserIDHMACSecret)
	}
	if !reflect.DeepEqual(s.BucketCreatePrincipals, config.List{"account:admin"}) {
		t.Errorf("bucket_create_principals = %q, want [account:admin]", s.BucketCreatePrincipals)
	}
	if s.DefaultBucketSecret != "0c3e9e6b" {
		t.Errorf("default_bucket_hmac_secret = %q, want 0c3e9e6b", s.DefaultBucketSecret)
	}
	if s.HTTPHost != "kinto.example.com" {
		t.Errorf("http_host = %q, want kinto.example.com (ini kinto.http_host)", s.HTTPHost)
	}
	if s.ListenHost != "127.0.0.1" || s.HTTPPort != 8888 {
		t.Errorf("listen = %s:%d, want 127.0.0.1:8888 ([server:main], port left to the launcher)", s.ListenHost, s.HTTPPort)
	}
	if s.PaginateBy.Valid {
		t.Errorf("paginate_by = %d, want null (commented out)", s.PaginateBy.Int)
	}
	lookups := []struct{ name, want string }{
		{"multiauth.policy.account.use", "kinto.plugins.accounts.AccountsPolicy"},
		{"account_write_principals", "account:admin"},
		{"account_create_principals", "system.Everyone"},
		{"use", "egg:kinto"},
	}
	for _, l := range lookups {
		if got, ok := src.Lookup(l.name); !ok || got != l.want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", l.name, got, ok, l.want)
		}
	}
	if got, ok := src.Lookup("record_write_principals"); ok {
		t.Errorf("Lookup(record_write_principals) = %q, want absent", got)
	}
	// The environment is read once, by Load: a variable set afterwards
	// changes nothing until the next Load, which gives it precedence.
	t.Setenv("KINTO_ACCOUNT_WRITE_PRINCIPALS", "account:root")
	t.Setenv("MULTIAUTH_POLICY_ACCOUNT_USE", "bare")
	if got, _ := src.Lookup("account_write_principals"); got != "account:admin" {
		t.Errorf("Lookup(account_write_principals) after a later Setenv = %q, want the loaded account:admin", got)
	}
	_, src, err = load(t, filepath.Join("testdata", "kinto.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := src.Lookup("account_write_principals"); got != "account:root" {
		t.Errorf("Lookup(account_write_principals) with env = %q, want account:root", got)
	}
	if got, _ := src.Lookup("multiauth.policy.account.use"); got != "bare" {
		t.Errorf("Lookup(multiauth.policy.account.use) with bare env = %q, want bare", got)
	}
}

func TestBadValuesNameTheSetting(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		ini     string // [app:main] body
		setting string
		want    string // in the message, beside the setting
	}{
		{name: "unknown storage backend", env: map[string]string{"KINTO_STORAGE_BACKEND": "bogus"},
			setting: "storage_backend", want: `unknown backend "bogus" (want memory, postgresql, redis)`},
		{name: "unknown dotted cache backend", env: map[string]string{"KINTO_CACHE_BACKEND": "kinto.core.cache.memcached"},
			setting: "cache_backend", want: `unknown backend "memcached"`},
		{name: "unknown permission backend in ini", ini: "kinto.permission_backend = mongo\n",
			setting: "permission_backend", want: `"mongo"`},
		{name: "port not a number", env: map[string]string{"KINTO_HTTP_PORT": "abc"},
			setting: "http_port", want: `"abc" is not a number`},
		{name: "port out of range", env: map[string]string{"KINTO_HTTP_PORT": "70000"},
			setting: "http_port", want: `70000 is not a TCP port`},
		{name: "int not a number in ini", ini: "kinto.batch_max_requests = lots\n",
			setting: "batch_max_requests", want: `"lots" is not a number`},
		{name: "nullable int not a number", env: map[string]string{"KINTO_PAGINATE_BY": "ten"},
			setting: "paginate_by", want: `"ten" is not a number`},
		{name: "float not a number", env: map[string]string{"KINTO_HEARTBEAT_TIMEOUT_SECONDS": "soon"},
			setting: "heartbeat_timeout_seconds", want: `"soon" is not a number`},
		{name: "bad bool", env: map[string]string{"KINTO_READONLY": "maybe"},
			setting: "readonly", want: `"maybe" is not a boolean`},
		{name: "bad bool in ini", ini: "kinto.readonly = sometimes\n",
			setting: "readonly", want: `"sometimes" is not a boolean`},
		{name: "bad storage url", env: map[string]string{"KINTO_STORAGE_BACKEND": "postgresql", "KINTO_STORAGE_URL": "not a url"},
			setting: "storage_url", want: `"not a url" is not a URL`},
		{name: "postgresql without url", env: map[string]string{"KINTO_STORAGE_BACKEND": "kinto.core.storage.postgresql"},
			setting: "storage_url", want: `empty, but storage_backend is "postgresql"`},
		{name: "bad cache url", env: map[string]string{"KINTO_CACHE_BACKEND": "redis", "KINTO_CACHE_URL": "://x"},
			setting: "cache_url", want: `"://x" is not a URL`},
		{name: "bad statsd url", env: map[string]string{"KINTO_STATSD_URL": "localhost"},
			setting: "statsd_url", want: `"localhost" is not a URL`},
		{name: "project docs not http", env: map[string]string{"KINTO_PROJECT_DOCS": "ftp://docs.example.com/"},
			setting: "project_docs", want: `not an http(s) URL`},
		{name: "eos url without host", env: map[string]string{"KINTO_EOS_URL": "http:///x"},
			setting: "eos_url", want: `has no host`},
		{name: "unknown log format", env: map[string]string{"KINTO_LOG_FORMAT": "xml"},
			setting: "log_format", want: `unknown log format "xml" (want json, text)`},
		{name: "unknown log level", env: map[string]string{"KINTO_LOG_LEVEL": "loud"},
			setting: "log_level", want: `unknown log level "loud"`},
		{name: "bad eos date", env: map[string]string{"KINTO_EOS": "next year"},
			setting: "eos", want: `"next year" is not a date`},
		{name: "bad scheme", env: map[string]string{"KINTO_HTTP_SCHEME": "gopher"},
			setting: "http_scheme", want: `"gopher" is not http or https`},
		{name: "bad api version", env: map[string]string{"KINTO_HTTP_API_VERSION": "v1"},
			setting: "http_api_version", want: `"v1" is not MAJOR.MINOR`},
		{name: "backoff percentage over 100", env: map[string]string{"KINTO_BACKOFF_PERCENTAGE": "101"},
			setting: "backoff_percentage", want: `101 is not a percentage`},
		{name: "paginate_by zero", env: map[string]string{"KINTO_PAGINATE_BY": "0"},
			setting: "paginate_by", want: `0 is not a positive number`},
		{name: "negative batch max", env: map[string]string{"KINTO_BATCH_MAX_REQUESTS": "-1"},
			setting: "batch_max_requests", want: `-1 is negative`},
		{name: "zero pool timeout", env: map[string]string{"KINTO_STORAGE_POOL_TIMEOUT": "0"},
			setting: "storage_pool_timeout", want: `0 is not a positive number of seconds`},
		{name: "huge permission pool timeout", env: map[string]string{"KINTO_PERMISSION_POOL_TIMEOUT": "99999999999"},
			setting: "permission_pool_timeout", want: `is too large`},
		{name: "zero connect timeout", env: map[string]string{"KINTO_PERMISSION_CONNECT_TIMEOUT_SECONDS": "0"},
			setting: "permission_connect_timeout_seconds", want: `0 is not a positive number of seconds`},
		{name: "zero cache pool timeout", env: map[string]string{"KINTO_CACHE_POOL_TIMEOUT": "0"},
			setting: "cache_pool_timeout", want: `0 is not a positive number of seconds`},
		{name: "zero cache connect timeout", env: map[string]string{"KINTO_CACHE_CONNECT_TIMEOUT_SECONDS": "0"},
			setting: "cache_connect_timeout_seconds", want: `0 is not a positive number of seconds`},
		{name: "negative cache statement timeout", env: map[string]string{"KINTO_CACHE_STATEMENT_TIMEOUT_MS": "-1"},
			setting: "cache_statement_timeout_ms", want: `-1 is negative`},
		{name: "negative cache size", env: map[string]string{"KINTO_CACHE_MAX_SIZE_BYTES": "-1"},
			setting: "cache_max_size_bytes", want: `-1 is negative`},
		{name: "negative statement timeout", env: map[string]string{"KINTO_STORAGE_STATEMENT_TIMEOUT_MS": "-1"},
			setting: "storage_statement_timeout_ms", want: `-1 is negative`},
		{name: "statement timeout past int32", env: map[string]string{"KINTO_PERMISSION_STATEMENT_TIMEOUT_MS": "2147483648"},
			setting: "permission_statement_timeout_ms", want: `is too large`},
		{name: "zero heartbeat timeout", env: map[string]string{"KINTO_HEARTBEAT_TIMEOUT_SECONDS": "0"},
			setting: "heartbeat_timeout_seconds", want: `0 is not a positive number`},
		{name: "negative shutdown timeout", env: map[string]string{"KINTO_SHUTDOWN_TIMEOUT_SECONDS": "-2"},
			setting: "shutdown_timeout_seconds", want: `-2 is negative`},
		{name: "zero body limit", env: map[string]string{"KINTO_MAX_BODY_BYTES": "0"},
			setting: "max_body_bytes", want: `0 is not a positive number`},
		{name: "negative read timeout", env: map[string]string{"KINTO_HTTP_READ_TIMEOUT_SECONDS": "-1"},
			setting: "http_read_timeout_seconds", want: `-1 is negative`},
		{name: "read header timeout not a number", env: map[string]string{"KINTO_HTTP_READ_HEADER_TIMEOUT_SECONDS": "ten"},
			setting: "http_read_header_timeout_seconds", want: `"ten" is not a number`},
		{name: "write timeout not finite", env: map[string]string{"KINTO_HTTP_WRITE_TIMEOUT_SECONDS": "NaN"},
			setting: "http_write_timeout_seconds", want: `NaN is not a finite number`},
		{name: "idle timeout overflowing a duration", ini: "kinto.http_idle_timeout_seconds = 1e12\n",
			setting: "http_idle_timeout_seconds", want: `1e+12 is too large`},
		{name: "negative body memory", env: map[string]string{"KINTO_HTTP_BODY_MEMORY_BYTES": "-1"},
			setting: "http_body_memory_bytes", want: `-1 is negative`},
		{name: "body memory below the body limit", env: map[string]string{"KINTO_HTTP_BODY_MEMORY_BYTES": "1000", "KINTO_MAX_BODY_BYTES": "2000"},
			setting: "http_body_memory_bytes", want: `1000 is less than max_body_bytes (2000)`},
		{name: "negative body memory wait", env: map[string]string{"KINTO_HTTP_BODY_MEMORY_WAIT_SECONDS": "-1"},
			setting: "http_body_memory_wait_seconds", want: `-1 is negative`},
		{name: "body memory wait outlasting the read timeout", env: map[string]string{"KINTO_HTTP_BODY_MEMORY_WAIT_SECONDS": "60"},
			setting: "http_body_memory_wait_seconds", want: `60 is not less than http_read_timeout_seconds (60)`},
		{name: "body memory wait outlasting the write timeout", env: map[string]string{"KINTO_HTTP_BODY_MEMORY_WAIT_SECONDS": "10", "KINTO_HTTP_READ_TIMEOUT_SECONDS": "0", "KINTO_HTTP_WRITE_TIMEOUT_SECONDS": "2"},
			setting: "http_body_memory_wait_seconds", want: `10 is not less than http_write_timeout_seconds (2)`},
		{name: "body memory not a number", env: map[string]string{"KINTO_HTTP_BODY_MEMORY_BYTES": "64MiB"},
			setting: "http_body_memory_bytes", want: `"64MiB" is not a number`},
		{name: "negative tombstone retention", env: map[string]string{"KINTO_TOMBSTONES_RETENTION_SECONDS": "-1"},
			setting: "tombstones_retention_seconds", want: `-1 is not a number of seconds in [0, `},
		{name: "tombstone retention past a century", env: map[string]string{"KINTO_TOMBSTONES_RETENTION_SECONDS": "9999999999"},
			setting: "tombstones_retention_seconds", want: `9999999999 is not a number of seconds`},
		{name: "zero tombstone purge interval", env: map[string]string{"KINTO_TOMBSTONES_PURGE_INTERVAL_SECONDS": "0"},
			setting: "tombstones_purge_interval_seconds", want: `0 is not a number of seconds in (0, `},
		{name: "zero tombstone purge timeout", env: map[string]string{"KINTO_TOMBSTONES_PURGE_TIMEOUT_SECONDS": "0"},
			setting: "tombstones_purge_timeout_seconds", want: `0 is not a number of seconds in (0, `},
		{name: "both spellings differ", ini: "kinto.paginate_by = 10\npaginate_by = 20\n",
			setting: "paginate_by", want: `both kinto.paginate_by = "10" and paginate_by = "20" are set`},
		{name: "both spellings differ on an undeclared setting", ini: "kinto.record_write_principals = a\nrecord_write_principals = b\n",
			setting: "record_write_principals", want: `both kinto.record_write_principals`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			path := ""
			if tt.ini != "" {
				path = writeINI(t, "[app:main]\n"+tt.ini)
			}
			_, _, err := load(t, path)
			if err == nil {
				t.Fatalf("Load: no error, want one naming %s", tt.setting)
			}
			var se *config.SettingError
			if !errors.As(err, &se) {
				t.Fatalf("Load: %v (%T), want a *SettingError", err, err)
			}
			if se.Setting != tt.setting {
				t.Errorf("SettingError.Setting = %q, want %q (%v)", se.Setting, tt.setting, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "setting "+tt.setting) || !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want it to start with %q and contain %q", msg, "setting "+tt.setting, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line", msg)
			}
		})
	}
}

func TestErrorNamesOrigin(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_STORAGE_BACKEND", "bogus")
	_, _, err := load(t, "")
	want := `setting storage_backend (from env KINTO_STORAGE_BACKEND): unknown backend "bogus" (want memory, postgresql, redis)`
	if err == nil || err.Error() != want {
		t.Errorf("Load: %v, want %s", err, want)
	}
	var se *config.SettingError
	if !errors.As(err, &se) || se.Unwrap() == nil || strings.Contains(se.Unwrap().Error(), "storage_backend") {
		t.Errorf("Unwrap() of %v: want the bare problem with the value", err)
	}

	cleanEnv(t)
	path := writeINI(t, "[app:main]\nkinto.http_api_version = one\n")
	_, _, err = load(t, path)
	if err == nil || !strings.Contains(err.Error(), "(from ini "+path+")") {
		t.Errorf("Load(bad ini value): %v, want the ini file as origin", err)
	}
}

func TestBothSpellingsWithTheSameValueAreFine(t *testing.T) {
	cleanEnv(t)
	path := writeINI(t, "[app:main]\nkinto.paginate_by = 10\npaginate_by = 10\n")
	s, _, err := load(t, path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if s.PaginateBy != (config.NullInt{Int: 10, Valid: true}) {
		t.Errorf("paginate_by = %+v, want 10", s.PaginateBy)
	}
}

func TestINIFileErrors(t *testing.T) {
	cleanEnv(t)
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(t.TempDir(), "absent.ini"), "read ini file"},
		{"no app:main", writeINI(t, "[server:main]\nport = 1\n"), "has no [app:main] section"},
		{"bad server port", writeINI(t, "[server:main]\nport = eighty\n[app:main]\n"), `setting http_port (from ini`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s): %v, want an error containing %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestOtherPrefixIsItsOwn(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_PROJECT_NAME", "kinto-env")
	t.Setenv("TEST_PROJECT_NAME", "test-env")
	path := writeINI(t, "[app:main]\ntest.paginate_by = 5\nkinto.batch_max_requests = 9\n")
	var s service
	if _, err := config.Load("TEST", path, &s); err != nil {
		t.Fatalf("Load(TEST): %v", err)
	}
	if s.ProjectName != "test-env" {
		t.Errorf("project_name = %q, want test-env from TEST_PROJECT_NAME", s.ProjectName)
	}
	if s.PaginateBy.Int != 5 {
		t.Errorf("paginate_by = %+v, want 5 from test.paginate_by", s.PaginateBy)
	}
	if s.BatchMaxRequests != 25 {
		t.Errorf("batch_max_requests = %d, want the default: kinto. keys belong to another service", s.BatchMaxRequests)
	}
}

func TestBadSettingsStructs(t *testing.T) {
	cleanEnv(t)
	var noTag struct {
		Name string `envconfig:"NAME"`
	}
	var badEnv struct {
		Name string `setting:"project_name" envconfig:"NAME"`
	}
	var withDefault struct {
		Name string `setting:"name" envconfig:"NAME" default:"x"`
	}
	var twice struct {
		config.Core
		Again string `setting:"paginate_by" envconfig:"PAGINATE_BY"`
	}
	var badDef struct {
		N int `setting:"n" envconfig:"N" def:"x"`
	}
	var unsupported struct {
		B bool `setting:"b" envconfig:"B" def:"true"`
	}
	tests := []struct {
		name string
		dst  any
		want string
	}{
		{"not a pointer", service{}, "needs a pointer to a struct"},
		{"no setting tag", &noTag, "has no setting tag"},
		{"envconfig tag mismatch", &badEnv, `want "PROJECT_NAME"`},
		{"default tag", &withDefault, "use def, not default"},
		{"declared twice", &twice, "declared twice"},
		{"bad def", &badDef, "default of n"},
		{"unsupported type", &unsupported, "unsupported setting type bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load("KINTO", "", tt.dst)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	settings, err := config.Describe(&service{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	byName := map[string]config.Setting{}
	for _, s := range settings {
		byName[s.Name] = s
	}
	want := []config.Setting{
		{Name: "multiauth.policies", Env: "MULTIAUTH_POLICIES", INIKey: "multiauth.policies", Default: "basicauth"},
		{Name: "http_port", Env: "HTTP_PORT", Server: "port", Default: "8888"},
		{Name: "http_host", Env: "HTTP_HOST", INIKey: "http_host"},
		{Name: "listen_host", Env: "LISTEN_HOST", INIKey: "listen_host", Server: "host", Default: "127.0.0.1"},
		{Name: "bucket_create_principals", Env: "BUCKET_CREATE_PRINCIPALS", INIKey: "bucket_create_principals", Default: "system.Authenticated"},
	}
	for _, w := range want {
		if got := byName[w.Name]; got != w {
			t.Errorf("Describe()[%s] = %+v, want %+v", w.Name, got, w)
		}
	}
	if _, err := config.Describe(42); err == nil {
		t.Error("Describe(42): no error, want one")
	}
}

func TestEnvName(t *testing.T) {
	for in, want := range map[string]string{
		"multiauth.policies":           "MULTIAUTH_POLICIES",
		"paginate_by":                  "PAGINATE_BY",
		"multiauth.policy.basic-x.use": "MULTIAUTH_POLICY_BASIC_X_USE",
	} {
		if got := config.EnvName(in); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", in, got, want)
		}
	}
}
