package wire_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
)

func TestHTTPConfigFillsEveryField(t *testing.T) {
	core := config.Core{
		ProjectName: "p", ProjectDocs: "https://d/", HTTPAPIVersion: "1.23",
		HTTPScheme: "https", HTTPHost: "h.example.com",
		PaginateBy: config.NullInt{Int: 20, Valid: true}, StorageMaxFetchSize: 30,
		ReadOnly: true, BatchMaxRequests: 5, ExplicitPermissions: true,
		CORSOrigins: config.List{"*"}, CORSMaxAgeSeconds: config.NullInt{Int: 10, Valid: true},
		VersionPrefixRedirectEnabled: true, VersionPrefixRedirectTTLSeconds: 1,
		TrailingSlashRedirectEnabled: true, TrailingSlashRedirectTTLSeconds: 2, RootCacheExpiresSeconds: 3,
		HeartbeatTimeoutSeconds: 1.5, VersionJSONPath: "v.json", ErrorInfoLink: "https://e/", MaxBodyBytes: 99,
		HTTPBodyMemoryBytes: 999, HTTPBodyMemoryWaitSeconds: 2,
		RetryAfterSeconds: 4, Backoff: config.NullInt{Int: 5, Valid: true}, BackoffPercentage: config.NullInt{Int: 6, Valid: true},
		EOS: "2030-01-01", EOSMessage: "bye", EOSURL: "https://eos/",
		TrustedRequestIDHeader: "X-Request-ID",
	}
	cfg := wire.HTTPConfig(&core, "1.2.3")
	v := reflect.ValueOf(cfg)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("HTTPConfig left %s zero", v.Type().Field(i).Name)
		}
	}
	if cfg.ProjectVersion != "1.2.3" || cfg.HeartbeatTimeout != 1500*time.Millisecond || cfg.HTTPHost != "h.example.com" {
		t.Errorf("HTTPConfig = %+v, want the binary version, 1.5s heartbeat and the public host", cfg)
	}

	// Null settings map to the adapter's "none" values.
	core.CORSMaxAgeSeconds, core.Backoff, core.BackoffPercentage, core.PaginateBy = config.NullInt{}, config.NullInt{}, config.NullInt{}, config.NullInt{}
	core.ProjectVersion = "7"
	cfg = wire.HTTPConfig(&core, "1.2.3")
	if cfg.CORSMaxAge != -1 || cfg.Backoff != 0 || cfg.BackoffPercentage != 0 || cfg.PaginateBy != 0 || cfg.ProjectVersion != "7" {
		t.Errorf("HTTPConfig(nulls) = CORSMaxAge %d, Backoff %d, BackoffPercentage %d, PaginateBy %d, ProjectVersion %q; want -1, 0, 0, 0, 7",
			cfg.CORSMaxAge, cfg.Backoff, cfg.BackoffPercentage, cfg.PaginateBy, cfg.ProjectVersion)
	}
}
