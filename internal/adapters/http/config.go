// Package http is the HTTP adapter: routing under the /v1 prefix, the
// protocol's headers, error format, CORS, utility endpoints and, on top of
// the app layer, the resource endpoints.
package http

import "time"

// Config is everything the HTTP adapter needs to know about the service.
// main fills it from the service's settings; zero values are not defaults,
// so main passes every field.
type Config struct {
	ProjectName    string // hello project_name ("kinto")
	ProjectVersion string // hello project_version
	ProjectDocs    string // hello project_docs, default Alert url
	HTTPAPIVersion string // "1.23"; its major gives the /v1 prefix

	// HTTPScheme and HTTPHost, when set, replace the request's scheme and
	// Host in absolute URLs (hello url, Next-Page, redirects).
	HTTPScheme string
	HTTPHost   string

	// PaginateBy caps every page (0: no cap but MaxFetchSize); MaxFetchSize
	// is storage_max_fetch_size (0: the protocol's 10000).
	PaginateBy   int
	MaxFetchSize int

	ReadOnly            bool
	BatchMaxRequests    int // 0 means unlimited
	ExplicitPermissions bool

	CORSOrigins []string // globs; "*" admits every origin
	CORSMaxAge  int      // seconds; negative omits Access-Control-Max-Age

	VersionPrefixRedirect    bool
	VersionPrefixRedirectTTL int // seconds; -1: no cache headers
	TrailingSlashRedirect    bool
	TrailingSlashRedirectTTL int // seconds; -1: no cache headers
	RootCacheExpires         int // seconds; hello Cache-Control when ReadOnly

	HeartbeatTimeout time.Duration
	VersionJSONPath  string // file served verbatim by __version__
	ErrorInfoLink    string // "info" of 500 answers
	MaxBodyBytes     int64  // larger bodies get 413 errno 113

	// BodyMemoryBytes caps the request body bytes held in memory by all
	// requests together (0: no cap); a request waits up to BodyMemoryWait
	// for room (0: not at all), then gets 503 errno 201.
	BodyMemoryBytes int64
	BodyMemoryWait  time.Duration

	RetryAfterSeconds int    // on 503 and 409
	Backoff           int    // seconds; 0: no Backoff header
	BackoffPercentage int    // 0-100 share of responses carrying Backoff; 0 means all
	EOS               string // ISO date of end of service; empty: none
	EOSMessage        string
	EOSURL            string

	// TrustedRequestIDHeader names the request header whose value becomes
	// the request id when well formed; empty: ids are always generated.
	TrustedRequestIDHeader string
}
