package wire

import (
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/config"
)

// HTTPConfig translates the generic settings into the HTTP adapter's
// Config, filling every field (the adapter has no defaults of its own).
// version is the binary's, the project_version unless core sets one, as
// Kinto's default is its package version.
func HTTPConfig(core *config.Core, version string) httpadapter.Config {
	projectVersion := core.ProjectVersion
	if projectVersion == "" {
		projectVersion = version
	}
	return httpadapter.Config{
		ProjectName:    core.ProjectName,
		ProjectVersion: projectVersion,
		ProjectDocs:    core.ProjectDocs,
		HTTPAPIVersion: core.HTTPAPIVersion,

		HTTPScheme: core.HTTPScheme,
		HTTPHost:   core.HTTPHost,

		PaginateBy:   core.PaginateBy.Or(0),
		MaxFetchSize: core.StorageMaxFetchSize,

		ReadOnly:            bool(core.ReadOnly),
		BatchMaxRequests:    core.BatchMaxRequests,
		ExplicitPermissions: bool(core.ExplicitPermissions),

		CORSOrigins: []string(core.CORSOrigins),
		CORSMaxAge:  core.CORSMaxAgeSeconds.Or(-1),

		VersionPrefixRedirect:    bool(core.VersionPrefixRedirectEnabled),
		VersionPrefixRedirectTTL: core.VersionPrefixRedirectTTLSeconds,
		TrailingSlashRedirect:    bool(core.TrailingSlashRedirectEnabled),
		TrailingSlashRedirectTTL: core.TrailingSlashRedirectTTLSeconds,
		RootCacheExpires:         core.RootCacheExpiresSeconds,

		HeartbeatTimeout: core.HeartbeatTimeout(),
		VersionJSONPath:  core.VersionJSONPath,
		ErrorInfoLink:    core.ErrorInfoLink,
		MaxBodyBytes:     core.MaxBodyBytes,
		BodyMemoryBytes:  core.HTTPBodyMemoryBytes,
		BodyMemoryWait:   core.HTTPBodyMemoryWait(),

		RetryAfterSeconds:      core.RetryAfterSeconds,
		Backoff:                core.Backoff.Or(0),
		BackoffPercentage:      core.BackoffPercentage.Or(0),
		EOS:                    core.EOS,
		EOSMessage:             core.EOSMessage,
		EOSURL:                 core.EOSURL,
		TrustedRequestIDHeader: core.TrustedRequestIDHeader,
	}
}
