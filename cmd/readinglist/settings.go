package main

import (
	"fmt"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/config"
)

// envPrefix is the prefix of the service's environment variables and,
// lower-cased, of its INI keys ("readinglist.paginate_by").
const envPrefix = "READINGLIST"

// projectName is the hello view's project_name unless the project_name
// setting says otherwise.
const projectName = "readinglist"

// settings is every setting readinglist reads: the generic Cliquet ones.
// The service adds none of its own; a service that needs some declares
// them here, next to the embedded Core, with the same struct tags.
type settings struct {
	config.Core
}

// Validate checks the generic settings and the end-of-service date.
func (s *settings) Validate() error {
	if err := s.Core.Validate(); err != nil {
		return err
	}
	if s.EOS != "" {
		if _, err := httpadapter.ParseEOS(s.EOS); err != nil {
			return &config.SettingError{Setting: "eos", Err: err}
		}
	}
	return nil
}

// applyServiceDefaults replaces the Core defaults that are Kinto's, not
// readinglist's, when no source set them: the project name, and the
// authentication policy (basicauth, so that the service is usable out of
// the box; Kinto leaves it to the INI file).
func applyServiceDefaults(s *settings, src *config.Source) {
	if src.Origin("project_name") == "default" {
		s.ProjectName = projectName
	}
	if src.Origin("multiauth.policies") == "" && len(s.MultiauthPolicies) == 0 {
		s.MultiauthPolicies = config.List{"basicauth"}
	}
}

// httpConfig translates the settings into the HTTP adapter's Config,
// filling every field (the adapter has no defaults of its own).
func httpConfig(s *settings, version string) httpadapter.Config {
	projectVersion := s.ProjectVersion
	if projectVersion == "" {
		projectVersion = version
	}
	return httpadapter.Config{
		ProjectName:    s.ProjectName,
		ProjectVersion: projectVersion,
		ProjectDocs:    s.ProjectDocs,
		HTTPAPIVersion: s.HTTPAPIVersion,

		HTTPScheme: s.HTTPScheme,
		HTTPHost:   s.HTTPPublicHost,

		PaginateBy:   s.PaginateBy.Or(0),
		MaxFetchSize: s.StorageMaxFetchSize,

		ReadOnly:            bool(s.ReadOnly),
		BatchMaxRequests:    s.BatchMaxRequests,
		ExplicitPermissions: bool(s.ExplicitPermissions),

		CORSOrigins: []string(s.CORSOrigins),
		CORSMaxAge:  s.CORSMaxAgeSeconds.Or(-1),

		VersionPrefixRedirect:    bool(s.VersionPrefixRedirectEnabled),
		VersionPrefixRedirectTTL: s.VersionPrefixRedirectTTLSeconds,
		TrailingSlashRedirect:    bool(s.TrailingSlashRedirectEnabled),
		TrailingSlashRedirectTTL: s.TrailingSlashRedirectTTLSeconds,
		RootCacheExpires:         s.RootCacheExpiresSeconds,

		HeartbeatTimeout: s.HeartbeatTimeout(),
		VersionJSONPath:  s.VersionJSONPath,
		ErrorInfoLink:    s.ErrorInfoLink,
		MaxBodyBytes:     s.MaxBodyBytes,

		RetryAfterSeconds: s.RetryAfterSeconds,
		Backoff:           s.Backoff.Or(0),
		BackoffPercentage: s.BackoffPercentage.Or(0),
		EOS:               s.EOS,
		EOSMessage:        s.EOSMessage,
		EOSURL:            s.EOSURL,
	}
}

// readHeaderTimeout bounds how long a client may take to send its request
// headers, so that idle half-open connections cannot pile up.
const readHeaderTimeout = 10 * time.Second

// notBuilt is the error of a backend setting this version cannot serve.
func notBuilt(setting string, v config.Backend) error {
	return &config.SettingError{Setting: setting,
		Err: fmt.Errorf("backend %q is not built into this version (want memory)", v)}
}
