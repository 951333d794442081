package config

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Core holds the generic Cliquet (Kinto-Core) settings that every service
// embeds in its own settings struct. Defaults are Kinto's; the names and
// meanings follow Kinto's settings (PROTOCOL-core §10).
type Core struct {
	// Service identity, shown by the hello view.
	ProjectName    string `setting:"project_name" envconfig:"PROJECT_NAME" def:"kinto"`
	ProjectVersion string `setting:"project_version" envconfig:"PROJECT_VERSION"` // empty: the binary's version
	ProjectDocs    string `setting:"project_docs" envconfig:"PROJECT_DOCS" def:"https://kinto.readthedocs.io/"`
	HTTPAPIVersion string `setting:"http_api_version" envconfig:"HTTP_API_VERSION" def:"1.23"`

	// Where the server listens. Neither is a Kinto setting: Kinto's WSGI
	// server reads [server:main] host and port, which are honoured here
	// too, and KINTO_HTTP_PORT is the variable behind the %(http_port)s
	// that kinto init writes there.
	ListenHost string `setting:"listen_host" envconfig:"LISTEN_HOST" server:"host" def:"127.0.0.1"`
	HTTPPort   int    `setting:"http_port" envconfig:"HTTP_PORT" ini:"-" server:"port" def:"8888"`

	// HTTPScheme and HTTPHost replace the request's scheme and Host in the
	// absolute URLs the service writes (Kinto's http_scheme and http_host:
	// the public address behind a proxy, not where to listen).
	HTTPScheme string `setting:"http_scheme" envconfig:"HTTP_SCHEME"`
	HTTPHost   string `setting:"http_host" envconfig:"HTTP_HOST"`

	ReadOnly            Bool `setting:"readonly" envconfig:"READONLY" def:"false"`
	BatchMaxRequests    int  `setting:"batch_max_requests" envconfig:"BATCH_MAX_REQUESTS" def:"25"`
	ExplicitPermissions Bool `setting:"explicit_permissions" envconfig:"EXPLICIT_PERMISSIONS" def:"true"`

	PaginateBy                     NullInt `setting:"paginate_by" envconfig:"PAGINATE_BY" def:"null"`
	StorageMaxFetchSize            int     `setting:"storage_max_fetch_size" envconfig:"STORAGE_MAX_FETCH_SIZE" def:"10000"`
	PaginationTokenValiditySeconds int     `setting:"pagination_token_validity_seconds" envconfig:"PAGINATION_TOKEN_VALIDITY_SECONDS" def:"600"`

	Backoff           NullInt `setting:"backoff" envconfig:"BACKOFF" def:"null"`
	BackoffPercentage NullInt `setting:"backoff_percentage" envconfig:"BACKOFF_PERCENTAGE" def:"null"`
	RetryAfterSeconds int     `setting:"retry_after_seconds" envconfig:"RETRY_AFTER_SECONDS" def:"3"`
	EOS               string  `setting:"eos" envconfig:"EOS"`
	EOSMessage        string  `setting:"eos_message" envconfig:"EOS_MESSAGE"`
	EOSURL            string  `setting:"eos_url" envconfig:"EOS_URL"`

	CORSOrigins       List    `setting:"cors_origins" envconfig:"CORS_ORIGINS" def:"*"`
	CORSMaxAgeSeconds NullInt `setting:"cors_max_age_seconds" envconfig:"CORS_MAX_AGE_SECONDS" def:"3600"`

	VersionPrefixRedirectEnabled    Bool `setting:"version_prefix_redirect_enabled" envconfig:"VERSION_PREFIX_REDIRECT_ENABLED" def:"true"`
	VersionPrefixRedirectTTLSeconds int  `setting:"version_prefix_redirect_ttl_seconds" envconfig:"VERSION_PREFIX_REDIRECT_TTL_SECONDS" def:"-1"`
	TrailingSlashRedirectEnabled    Bool `setting:"trailing_slash_redirect_enabled" envconfig:"TRAILING_SLASH_REDIRECT_ENABLED" def:"true"`
	TrailingSlashRedirectTTLSeconds int  `setting:"trailing_slash_redirect_ttl_seconds" envconfig:"TRAILING_SLASH_REDIRECT_TTL_SECONDS" def:"3600"`
	RootCacheExpiresSeconds         int  `setting:"root_cache_expires_seconds" envconfig:"ROOT_CACHE_EXPIRES_SECONDS" def:"86400"`

	HeartbeatTimeoutSeconds float64 `setting:"heartbeat_timeout_seconds" envconfig:"HEARTBEAT_TIMEOUT_SECONDS" def:"10"`
	VersionJSONPath         string  `setting:"version_json_path" envconfig:"VERSION_JSON_PATH" def:"version.json"`
	ErrorInfoLink           string  `setting:"error_info_link" envconfig:"ERROR_INFO_LINK" def:"https://github.com/Kinto/kinto/issues/"`

	StorageBackend    Backend `setting:"storage_backend" envconfig:"STORAGE_BACKEND" def:"memory"`
	StorageURL        string  `setting:"storage_url" envconfig:"STORAGE_URL"`
	CacheBackend      Backend `setting:"cache_backend" envconfig:"CACHE_BACKEND" def:"memory"`
	CacheURL          string  `setting:"cache_url" envconfig:"CACHE_URL"`
	CachePrefix       string  `setting:"cache_prefix" envconfig:"CACHE_PREFIX"`
	CacheMaxSizeBytes int     `setting:"cache_max_size_bytes" envconfig:"CACHE_MAX_SIZE_BYTES" def:"524288"`
	PermissionBackend Backend `setting:"permission_backend" envconfig:"PERMISSION_BACKEND" def:"memory"`
	PermissionURL     string  `setting:"permission_url" envconfig:"PERMISSION_URL"`

	// Connection pools of the PostgreSQL backends (Kinto's SQLAlchemy
	// names; recycle and backlog -1 mean unlimited).
	StoragePoolSize       int `setting:"storage_pool_size" envconfig:"STORAGE_POOL_SIZE" def:"25"`
	StorageMaxOverflow    int `setting:"storage_max_overflow" envconfig:"STORAGE_MAX_OVERFLOW" def:"5"`
	StoragePoolRecycle    int `setting:"storage_pool_recycle" envconfig:"STORAGE_POOL_RECYCLE" def:"-1"`
	StoragePoolTimeout    int `setting:"storage_pool_timeout" envconfig:"STORAGE_POOL_TIMEOUT" def:"30"`
	StorageMaxBacklog     int `setting:"storage_max_backlog" envconfig:"STORAGE_MAX_BACKLOG" def:"-1"`
	CachePoolSize         int `setting:"cache_pool_size" envconfig:"CACHE_POOL_SIZE" def:"25"`
	CacheMaxOverflow      int `setting:"cache_max_overflow" envconfig:"CACHE_MAX_OVERFLOW" def:"5"`
	CachePoolRecycle      int `setting:"cache_pool_recycle" envconfig:"CACHE_POOL_RECYCLE" def:"-1"`
	CachePoolTimeout      int `setting:"cache_pool_timeout" envconfig:"CACHE_POOL_TIMEOUT" def:"30"`
	CacheMaxBacklog       int `setting:"cache_max_backlog" envconfig:"CACHE_MAX_BACKLOG" def:"-1"`
	PermissionPoolSize    int `setting:"permission_pool_size" envconfig:"PERMISSION_POOL_SIZE" def:"25"`
	PermissionMaxOverflow int `setting:"permission_max_overflow" envconfig:"PERMISSION_MAX_OVERFLOW" def:"5"`
	PermissionPoolRecycle int `setting:"permission_pool_recycle" envconfig:"PERMISSION_POOL_RECYCLE" def:"-1"`
	PermissionPoolTimeout int `setting:"permission_pool_timeout" envconfig:"PERMISSION_POOL_TIMEOUT" def:"30"`
	PermissionMaxBacklog  int `setting:"permission_max_backlog" envconfig:"PERMISSION_MAX_BACKLOG" def:"-1"`

	// Bounds on a PostgreSQL backend that is slow, frozen or unreachable
	// (not Kinto settings: SQLAlchemy takes them from the URL). The
	// statement timeout is the server's statement_timeout, and it also sets
	// how long a connection may stay silent before it is deemed stalled (0:
	// neither). The connect timeout bounds dialing and the handshake.
	StorageStatementTimeoutMS       int `setting:"storage_statement_timeout_ms" envconfig:"STORAGE_STATEMENT_TIMEOUT_MS" def:"30000"`
	StorageConnectTimeoutSeconds    int `setting:"storage_connect_timeout_seconds" envconfig:"STORAGE_CONNECT_TIMEOUT_SECONDS" def:"10"`
	PermissionStatementTimeoutMS    int `setting:"permission_statement_timeout_ms" envconfig:"PERMISSION_STATEMENT_TIMEOUT_MS" def:"30000"`
	PermissionConnectTimeoutSeconds int `setting:"permission_connect_timeout_seconds" envconfig:"PERMISSION_CONNECT_TIMEOUT_SECONDS" def:"10"`
	// The same bounds for a PostgreSQL or Redis cache (on Redis the
	// statement timeout bounds each command's reads and writes). Shorter
	// than storage's: a cache command has no reason to run long, and a
	// login waits on it.
	CacheStatementTimeoutMS    int `setting:"cache_statement_timeout_ms" envconfig:"CACHE_STATEMENT_TIMEOUT_MS" def:"5000"`
	CacheConnectTimeoutSeconds int `setting:"cache_connect_timeout_seconds" envconfig:"CACHE_CONNECT_TIMEOUT_SECONDS" def:"10"`

	// Background tombstone retention (not Kinto settings: Kinto only
	// purges tombstones on demand, with `kinto purge-deleted`). With a
	// retention, every node removes, every purge interval, the tombstones
	// older than the retention, each purge bounded by the timeout, and
	// warns the clients whose _since is older than that (README,
	// "Tombstones"). 0 keeps tombstones forever.
	TombstonesRetentionSeconds     int `setting:"tombstones_retention_seconds" envconfig:"TOMBSTONES_RETENTION_SECONDS" def:"0"`
	TombstonesPurgeIntervalSeconds int `setting:"tombstones_purge_interval_seconds" envconfig:"TOMBSTONES_PURGE_INTERVAL_SECONDS" def:"3600"`
	TombstonesPurgeTimeoutSeconds  int `setting:"tombstones_purge_timeout_seconds" envconfig:"TOMBSTONES_PURGE_TIMEOUT_SECONDS" def:"300"`

	Includes       List `setting:"includes" envconfig:"INCLUDES"`
	EventListeners List `setting:"event_listeners" envconfig:"EVENT_LISTENERS"`

	// MultiauthPolicies defaults to basicauth (Kinto's core default is no
	// policy at all, which leaves a fresh server usable only anonymously).
	MultiauthPolicies List   `setting:"multiauth.policies" envconfig:"MULTIAUTH_POLICIES" def:"basicauth"`
	UserIDHMACSecret  string `setting:"userid_hmac_secret" envconfig:"USERID_HMAC_SECRET"`

	StatsdURL string `setting:"statsd_url" envconfig:"STATSD_URL"`

	// Sentry error reports: the cause of every 5xx answer goes to
	// sentry_dsn when set. sentry_timeout_seconds is not a Kinto setting:
	// it bounds each send and the flush of queued reports at shutdown.
	SentryDSN            string `setting:"sentry_dsn" envconfig:"SENTRY_DSN"`
	SentryEnv            string `setting:"sentry_env" envconfig:"SENTRY_ENV"`
	SentryTimeoutSeconds int    `setting:"sentry_timeout_seconds" envconfig:"SENTRY_TIMEOUT_SECONDS" def:"5"`
	StatsdPrefix         string `setting:"statsd_prefix" envconfig:"STATSD_PREFIX" def:"kinto.core"`

	// Kinto's prometheus plugin settings, read when includes lists
	// kinto.plugins.prometheus. prometheus_prefix defaults to project_name
	// (an empty value means no prefix, so it is looked up, not defaulted).
	PrometheusPrefix           string `setting:"prometheus_prefix" envconfig:"PROMETHEUS_PREFIX"`
	PrometheusDisabledMetrics  List   `setting:"prometheus_disabled_metrics" envconfig:"PROMETHEUS_DISABLED_METRICS"`
	PrometheusHistogramBuckets List   `setting:"prometheus_histogram_buckets" envconfig:"PROMETHEUS_HISTOGRAM_BUCKETS" def:"0.01 0.05 0.1 0.5 1.0 3.0 6.0 Inf"`

	// TrustedRequestIDHeader names a request header whose value becomes
	// the request id (rid) when a proxy in front sets it, as dockerflow's
	// X-Request-ID does for Kinto; empty: every request gets a fresh id.
	// Not a Kinto setting: Kinto always trusts X-Request-ID, which lets
	// any client choose what the logs say.
	TrustedRequestIDHeader string `setting:"trusted_request_id_header" envconfig:"TRUSTED_REQUEST_ID_HEADER"`

	// The Go profiler (net/http/pprof), served on its own listener only
	// when pprof_enabled, never on the public port. Not Kinto settings:
	// Kinto's profiler_enabled writes Python profiles to profiler_dir.
	PprofEnabled    Bool   `setting:"pprof_enabled" envconfig:"PPROF_ENABLED" def:"false"`
	PprofListenHost string `setting:"pprof_listen_host" envconfig:"PPROF_LISTEN_HOST" def:"127.0.0.1"`
	PprofPort       int    `setting:"pprof_port" envconfig:"PPROF_PORT" def:"6060"`

	// Not Kinto settings: Kinto configures these through its WSGI server
	// and Python logging sections.
	LogFormat              string  `setting:"log_format" envconfig:"LOG_FORMAT" def:"text"`
	LogLevel               string  `setting:"log_level" envconfig:"LOG_LEVEL" def:"info"`
	MaxBodyBytes           int64   `setting:"max_body_bytes" envconfig:"MAX_BODY_BYTES" def:"8388608"`
	ShutdownTimeoutSeconds float64 `setting:"shutdown_timeout_seconds" envconfig:"SHUTDOWN_TIMEOUT_SECONDS" def:"15"`

	// Bounds on slow and idle clients, which would otherwise each hold a
	// connection and a goroutine for as long as they like (net/http's
	// Server timeouts; see the HTTP* methods). Not Kinto settings either:
	// Kinto leaves them to its WSGI server.
	HTTPReadTimeoutSeconds       float64 `setting:"http_read_timeout_seconds" envconfig:"HTTP_READ_TIMEOUT_SECONDS" def:"60"`
	HTTPReadHeaderTimeoutSeconds float64 `setting:"http_read_header_timeout_seconds" envconfig:"HTTP_READ_HEADER_TIMEOUT_SECONDS" def:"10"`
	HTTPWriteTimeoutSeconds      float64 `setting:"http_write_timeout_seconds" envconfig:"HTTP_WRITE_TIMEOUT_SECONDS" def:"60"`
	HTTPIdleTimeoutSeconds       float64 `setting:"http_idle_timeout_seconds" envconfig:"HTTP_IDLE_TIMEOUT_SECONDS" def:"120"`
	// HTTPBodyMemoryBytes caps the request bodies held in memory at once,
	// across all requests, so that many concurrent uploads cannot exhaust
	// memory: max_body_bytes alone bounds one body, not their sum. 0
	// removes the cap.
	HTTPBodyMemoryBytes int64 `setting:"http_body_memory_bytes" envconfig:"HTTP_BODY_MEMORY_BYTES" def:"67108864"`
	// HTTPBodyMemoryWaitSeconds is how long a request waits for room in
	// http_body_memory_bytes before it gets a 503 (0: not at all). Short,
	// so that an overloaded service sheds load and clients back off with
	// Retry-After, rather than queue for the whole read timeout.
	HTTPBodyMemoryWaitSeconds float64 `setting:"http_body_memory_wait_seconds" envconfig:"HTTP_BODY_MEMORY_WAIT_SECONDS" def:"5"`
}

// Backends each backend setting accepts; services may build fewer.
var (
	StorageBackends    = []Backend{BackendMemory, BackendPostgreSQL, BackendRedis}
	CacheBackends      = []Backend{BackendMemory, BackendPostgreSQL, BackendRedis}
	PermissionBackends = []Backend{BackendMemory, BackendPostgreSQL, BackendRedis}
)

// LogFormats are the accepted values of log_format.
var LogFormats = []string{"json", "text"}

// Validate checks the values Load cannot check while parsing. Its errors
// are *SettingError naming the first bad setting.
func (c *Core) Validate() error {
	for _, b := range []struct {
		setting string
		value   Backend
		allowed []Backend
		url     string
		urlName string
	}{
		{"storage_backend", c.StorageBackend, StorageBackends, c.StorageURL, "storage_url"},
		{"cache_backend", c.CacheBackend, CacheBackends, c.CacheURL, "cache_url"},
		{"permission_backend", c.PermissionBackend, PermissionBackends, c.PermissionURL, "permission_url"},
	} {
		if !containsBackend(b.allowed, b.value) {
			return &SettingError{Setting: b.setting, Err: fmt.Errorf("unknown backend %q (want %s)", b.value, joinBackends(b.allowed))}
		}
		if err := checkURL(b.url, false); err != nil {
			return &SettingError{Setting: b.urlName, Err: err}
		}
		if b.value != BackendMemory && b.url == "" {
			return &SettingError{Setting: b.urlName, Err: fmt.Errorf("empty, but %s is %q", b.setting, b.value)}
		}
	}
	for _, u := range []struct {
		setting, value string
		web            bool
	}{
		{"statsd_url", c.StatsdURL, false},
		{"project_docs", c.ProjectDocs, true},
		{"eos_url", c.EOSURL, true},
		{"error_info_link", c.ErrorInfoLink, true},
	} {
		if err := checkURL(u.value, u.web); err != nil {
			return &SettingError{Setting: u.setting, Err: err}
		}
	}
	if _, err := c.HistogramBuckets(); err != nil {
		return &SettingError{Setting: "prometheus_histogram_buckets", Err: err}
	}
	if c.TrustedRequestIDHeader != "" && strings.ContainsAny(c.TrustedRequestIDHeader, " \t\r\n:") {
		return &SettingError{Setting: "trusted_request_id_header", Err: fmt.Errorf("%q is not a header name", c.TrustedRequestIDHeader)}
	}
	if c.PprofPort < 0 || c.PprofPort > 65535 {
		return &SettingError{Setting: "pprof_port", Err: fmt.Errorf("%d is not a TCP port (want 0-65535)", c.PprofPort)}
	}
	if c.PprofEnabled && c.PprofPort != 0 && c.PprofPort == c.HTTPPort {
		return &SettingError{Setting: "pprof_port", Err: fmt.Errorf("%d is http_port: the profiler never shares the public port", c.PprofPort)}
	}
	if c.HTTPPort < 0 || c.HTTPPort > 65535 {
		return &SettingError{Setting: "http_port", Err: fmt.Errorf("%d is not a TCP port (want 0-65535)", c.HTTPPort)}
	}
	if c.HTTPScheme != "" && c.HTTPScheme != "http" && c.HTTPScheme != "https" {
		return &SettingError{Setting: "http_scheme", Err: fmt.Errorf("%q is not http or https", c.HTTPScheme)}
	}
	if major, _, ok := strings.Cut(c.HTTPAPIVersion, "."); !ok || major == "" || strings.Trim(major, "0123456789") != "" {
		return &SettingError{Setting: "http_api_version", Err: fmt.Errorf("%q is not MAJOR.MINOR", c.HTTPAPIVersion)}
	}
	if c.EOS != "" {
		_, errDate := time.Parse(time.DateOnly, c.EOS)
		_, errTime := time.Parse(time.RFC3339, c.EOS)
		if errDate != nil && errTime != nil {
			return &SettingError{Setting: "eos", Err: fmt.Errorf("%q is not a date (want YYYY-MM-DD or an RFC 3339 time)", c.EOS)}
		}
	}
	if p := c.BackoffPercentage; p.Valid && (p.Int < 0 || p.Int > 100) {
		return &SettingError{Setting: "backoff_percentage", Err: fmt.Errorf("%d is not a percentage (want 0-100)", p.Int)}
	}
	if p := c.PaginateBy; p.Valid && p.Int <= 0 {
		return &SettingError{Setting: "paginate_by", Err: fmt.Errorf("%d is not a positive number", p.Int)}
	}
	for _, n := range []struct {
		setting string
		value   int
	}{
		{"batch_max_requests", c.BatchMaxRequests},
		{"storage_max_fetch_size", c.StorageMaxFetchSize},
		{"retry_after_seconds", c.RetryAfterSeconds},
		{"root_cache_expires_seconds", c.RootCacheExpiresSeconds},
		{"pagination_token_validity_seconds", c.PaginationTokenValiditySeconds},
		{"storage_statement_timeout_ms", c.StorageStatementTimeoutMS},
		{"permission_statement_timeout_ms", c.PermissionStatementTimeoutMS},
		{"cache_statement_timeout_ms", c.CacheStatementTimeoutMS},
		{"cache_max_size_bytes", c.CacheMaxSizeBytes},
	} {
		if n.value < 0 {
			return &SettingError{Setting: n.setting, Err: fmt.Errorf("%d is negative", n.value)}
		}
	}
	// A pool or connect timeout of 0 would wait forever (SQLAlchemy and
	// lib/pq read 0 as no limit), which is what these settings exist to
	// prevent; the ceilings keep the durations from overflowing.
	for _, d := range []struct {
		setting string
		value   int
	}{
		{"storage_pool_timeout", c.StoragePoolTimeout},
		{"permission_pool_timeout", c.PermissionPoolTimeout},
		{"cache_pool_timeout", c.CachePoolTimeout},
		{"storage_connect_timeout_seconds", c.StorageConnectTimeoutSeconds},
		{"permission_connect_timeout_seconds", c.PermissionConnectTimeoutSeconds},
		{"cache_connect_timeout_seconds", c.CacheConnectTimeoutSeconds},
		{"sentry_timeout_seconds", c.SentryTimeoutSeconds},
	} {
		if d.value <= 0 {
			return &SettingError{Setting: d.setting, Err: fmt.Errorf("%d is not a positive number of seconds", d.value)}
		}
		if d.value > maxTimeoutSeconds {
			return &SettingError{Setting: d.setting, Err: fmt.Errorf("%d is too large (at most %d)", d.value, maxTimeoutSeconds)}
		}
	}
	for _, d := range []struct {
		setting string
		value   int
	}{
		{"storage_statement_timeout_ms", c.StorageStatementTimeoutMS},
		{"permission_statement_timeout_ms", c.PermissionStatementTimeoutMS},
		{"cache_statement_timeout_ms", c.CacheStatementTimeoutMS},
	} {
		// PostgreSQL's statement_timeout is an int of milliseconds.
		if d.value > math.MaxInt32 {
			return &SettingError{Setting: d.setting, Err: fmt.Errorf("%d is too large (at most %d)", d.value, math.MaxInt32)}
		}
	}
	if err := c.validateTombstones(); err != nil {
		return err
	}
	if c.HeartbeatTimeoutSeconds <= 0 {
		return &SettingError{Setting: "heartbeat_timeout_seconds", Err: fmt.Errorf("%v is not a positive number", c.HeartbeatTimeoutSeconds)}
	}
	if c.ShutdownTimeoutSeconds < 0 {
		return &SettingError{Setting: "shutdown_timeout_seconds", Err: fmt.Errorf("%v is negative", c.ShutdownTimeoutSeconds)}
	}
	if c.MaxBodyBytes <= 0 {
		return &SettingError{Setting: "max_body_bytes", Err: fmt.Errorf("%d is not a positive number", c.MaxBodyBytes)}
	}
	for _, d := range []struct {
		setting string
		value   float64
	}{
		{"http_read_timeout_seconds", c.HTTPReadTimeoutSeconds},
		{"http_read_header_timeout_seconds", c.HTTPReadHeaderTimeoutSeconds},
		{"http_write_timeout_seconds", c.HTTPWriteTimeoutSeconds},
		{"http_idle_timeout_seconds", c.HTTPIdleTimeoutSeconds},
		{"http_body_memory_wait_seconds", c.HTTPBodyMemoryWaitSeconds},
	} {
		if err := checkSeconds(d.value); err != nil {
			return &SettingError{Setting: d.setting, Err: err}
		}
	}
	if c.HTTPBodyMemoryBytes < 0 {
		return &SettingError{Setting: "http_body_memory_bytes", Err: fmt.Errorf("%d is negative", c.HTTPBodyMemoryBytes)}
	}
	// A body the budget cannot hold whole would wait for it in vain and
	// always be refused with a 503, which would tell its client to retry.
	if c.HTTPBodyMemoryBytes > 0 && c.HTTPBodyMemoryBytes < c.MaxBodyBytes {
		return &SettingError{Setting: "http_body_memory_bytes", Err: fmt.Errorf(
			"%d is less than max_body_bytes (%d): a body of that size could never be read (0 removes the cap)",
			c.HTTPBodyMemoryBytes, c.MaxBodyBytes)}
	}
	// The wait counts against the connection's read and write deadlines: a
	// wait that outlasts one would end in an unreadable body or a lost
	// answer instead of the 503 that tells the client to come back.
	if c.HTTPBodyMemoryBytes > 0 {
		for _, d := range []struct {
			setting string
			value   float64
		}{
			{"http_read_timeout_seconds", c.HTTPReadTimeoutSeconds},
			{"http_write_timeout_seconds", c.HTTPWriteTimeoutSeconds},
		} {
			if d.value > 0 && c.HTTPBodyMemoryWaitSeconds >= d.value {
				return &SettingError{Setting: "http_body_memory_wait_seconds", Err: fmt.Errorf(
					"%v is not less than %s (%v): a request would time out waiting for room", c.HTTPBodyMemoryWaitSeconds, d.setting, d.value)}
			}
		}
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return &SettingError{Setting: "log_format", Err: fmt.Errorf("unknown log format %q (want %s)", c.LogFormat, strings.Join(LogFormats, ", "))}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return &SettingError{Setting: "log_level", Err: err}
	}
	return nil
}

// maxRetentionSeconds caps tombstones_retention_seconds at a century,
// well below what a duration holds: longer is keeping them forever.
const maxRetentionSeconds = 100 * 365 * 24 * 3600

// validateTombstones checks the tombstone retention settings. The interval
// and the timeout are checked even with retention off, so that turning it
// on never reveals a bad value long after it was written.
func (c *Core) validateTombstones() error {
	if r := c.TombstonesRetentionSeconds; r < 0 || r > maxRetentionSeconds {
		return &SettingError{Setting: "tombstones_retention_seconds", Err: fmt.Errorf("%d is not a number of seconds in [0, %d] (0: keep tombstones forever)", r, maxRetentionSeconds)}
	}
	for _, d := range []struct {
		setting string
		value   int
	}{
		{"tombstones_purge_interval_seconds", c.TombstonesPurgeIntervalSeconds},
		{"tombstones_purge_timeout_seconds", c.TombstonesPurgeTimeoutSeconds},
	} {
		if d.value <= 0 || d.value > maxTimeoutSeconds {
			return &SettingError{Setting: d.setting, Err: fmt.Errorf("%d is not a number of seconds in (0, %d]", d.value, maxTimeoutSeconds)}
		}
	}
	return nil
}

// TombstonesRetention returns tombstones_retention_seconds as a duration;
// 0 means tombstones are kept forever (no background purge, no warning).
func (c *Core) TombstonesRetention() time.Duration {
	return time.Duration(c.TombstonesRetentionSeconds) * time.Second
}

// TombstonesPurgeInterval returns tombstones_purge_interval_seconds as a
// duration: the time between two background purges.
func (c *Core) TombstonesPurgeInterval() time.Duration {
	return time.Duration(c.TombstonesPurgeIntervalSeconds) * time.Second
}

// TombstonesPurgeTimeout returns tombstones_purge_timeout_seconds as a
// duration: how long one background purge (all resources) may take.
func (c *Core) TombstonesPurgeTimeout() time.Duration {
	return time.Duration(c.TombstonesPurgeTimeoutSeconds) * time.Second
}

// HeartbeatTimeout returns heartbeat_timeout_seconds as a duration.
func (c *Core) HeartbeatTimeout() time.Duration {
	return time.Duration(c.HeartbeatTimeoutSeconds * float64(time.Second))
}

// ShutdownTimeout returns shutdown_timeout_seconds as a duration.
func (c *Core) ShutdownTimeout() time.Duration {
	return time.Duration(c.ShutdownTimeoutSeconds * float64(time.Second))
}

// HTTPReadTimeout returns http_read_timeout_seconds as a duration: the
// time a client has to send a whole request, body included (0: no limit).
func (c *Core) HTTPReadTimeout() time.Duration { return seconds(c.HTTPReadTimeoutSeconds) }

// HTTPReadHeaderTimeout returns http_read_header_timeout_seconds as a
// duration: the time a client has to send a request's headers (0: the
// read timeout, as net/http has it).
func (c *Core) HTTPReadHeaderTimeout() time.Duration { return seconds(c.HTTPReadHeaderTimeoutSeconds) }

// HTTPWriteTimeout returns http_write_timeout_seconds as a duration: the
// time from the end of a request's headers to the end of its response,
// so it covers reading the body and handling too (0: no limit).
func (c *Core) HTTPWriteTimeout() time.Duration { return seconds(c.HTTPWriteTimeoutSeconds) }

// HTTPIdleTimeout returns http_idle_timeout_seconds as a duration: how
// long a kept-alive connection may wait for its next request (0: the read
// timeout, as net/http has it).
func (c *Core) HTTPIdleTimeout() time.Duration { return seconds(c.HTTPIdleTimeoutSeconds) }

// HTTPBodyMemoryWait returns http_body_memory_wait_seconds as a duration:
// how long a request body waits for room in http_body_memory_bytes.
func (c *Core) HTTPBodyMemoryWait() time.Duration { return seconds(c.HTTPBodyMemoryWaitSeconds) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// maxTimeoutSeconds caps the whole-second backend timeouts at a year:
// longer is no bound in practice, and far longer overflows a duration.
const maxTimeoutSeconds = 365 * 24 * 3600

// StorageBounds returns the waits of the storage backend's pool:
// storage_pool_timeout, storage_connect_timeout_seconds and
// storage_statement_timeout_ms (0: none) as durations.
func (c *Core) StorageBounds() (pool, connect, statement time.Duration) {
	return time.Duration(c.StoragePoolTimeout) * time.Second,
		time.Duration(c.StorageConnectTimeoutSeconds) * time.Second,
		time.Duration(c.StorageStatementTimeoutMS) * time.Millisecond
}

// PermissionBounds returns the waits of the permission backend's pool, as
// StorageBounds does for storage.
func (c *Core) PermissionBounds() (pool, connect, statement time.Duration) {
	return time.Duration(c.PermissionPoolTimeout) * time.Second,
		time.Duration(c.PermissionConnectTimeoutSeconds) * time.Second,
		time.Duration(c.PermissionStatementTimeoutMS) * time.Millisecond
}

// CacheBounds returns the waits of the cache backend's pool, as
// StorageBounds does for storage.
func (c *Core) CacheBounds() (pool, connect, statement time.Duration) {
	return time.Duration(c.CachePoolTimeout) * time.Second,
		time.Duration(c.CacheConnectTimeoutSeconds) * time.Second,
		time.Duration(c.CacheStatementTimeoutMS) * time.Millisecond
}

// maxSeconds is about the longest time.Duration, in seconds; longer values
// would overflow it and wrap to negative timeouts.
const maxSeconds = float64(math.MaxInt64 / int64(time.Second))

// checkSeconds accepts a number of seconds that is a usable duration.
func checkSeconds(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%v is not a finite number", v)
	case v < 0:
		return fmt.Errorf("%v is negative", v)
	case v > maxSeconds:
		return fmt.Errorf("%v is too large (at most %.0f)", v, maxSeconds)
	}
	return nil
}

// checkURL accepts an empty value or an absolute URL with a host; web URLs
// must also be http or https.
func checkURL(raw string, web bool) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "" && u.Path == "") {
		return fmt.Errorf("%q is not a URL", raw)
	}
	if web && u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if web && u.Host == "" {
		return fmt.Errorf("%q has no host", raw)
	}
	return nil
}

func containsBackend(list []Backend, b Backend) bool {
	for _, v := range list {
		if v == b {
			return true
		}
	}
	return false
}

func joinBackends(list []Backend) string {
	s := make([]string, len(list))
	for i, b := range list {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}

// HistogramBuckets parses prometheus_histogram_buckets: increasing
// numbers of seconds, "Inf" last or left out (it is always implied).
func (c *Core) HistogramBuckets() ([]float64, error) {
	var out []float64
	for i, v := range c.PrometheusHistogramBuckets {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) {
			return nil, fmt.Errorf("%q is not a number", v)
		}
		if math.IsInf(f, 1) {
			if i != len(c.PrometheusHistogramBuckets)-1 {
				return nil, fmt.Errorf("Inf must come last")
			}
			break
		}
		if len(out) > 0 && f <= out[len(out)-1] {
			return nil, fmt.Errorf("%v does not increase", []string(c.PrometheusHistogramBuckets))
		}
		out = append(out, f)
	}
	return out, nil
}
