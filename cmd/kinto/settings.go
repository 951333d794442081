package main

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/cliquet-go/cliquet/internal/config"
)

// envPrefix is the prefix of the service's environment variables and,
// lower-cased, of its INI keys.
const envPrefix = "KINTO"

// settings is every setting the Kinto service reads: the generic Cliquet
// ones and Kinto's own (PROTOCOL-kinto §4).
type settings struct {
	config.Core

	BucketCreatePrincipals                 config.List `setting:"bucket_create_principals" envconfig:"BUCKET_CREATE_PRINCIPALS" def:"system.Authenticated"`
	DefaultBucketHMACSecret                string      `setting:"default_bucket_hmac_secret" envconfig:"DEFAULT_BUCKET_HMAC_SECRET"`
	ExperimentalPermissionsEndpoint        config.Bool `setting:"experimental_permissions_endpoint" envconfig:"EXPERIMENTAL_PERMISSIONS_ENDPOINT" def:"false"`
	ExperimentalCollectionSchemaValidation config.Bool `setting:"experimental_collection_schema_validation" envconfig:"EXPERIMENTAL_COLLECTION_SCHEMA_VALIDATION" def:"false"`
	AccountCreatePrincipals                config.List `setting:"account_create_principals" envconfig:"ACCOUNT_CREATE_PRINCIPALS"`
	AccountWritePrincipals                 config.List `setting:"account_write_principals" envconfig:"ACCOUNT_WRITE_PRINCIPALS"`
	AccountReadPrincipals                  config.List `setting:"account_read_principals" envconfig:"ACCOUNT_READ_PRINCIPALS"`
	AccountCacheTTLSeconds                 int         `setting:"account_cache_ttl_seconds" envconfig:"ACCOUNT_CACHE_TTL_SECONDS" def:"30"`
	AccountBcryptCost                      int         `setting:"account_bcrypt_cost" envconfig:"ACCOUNT_BCRYPT_COST" def:"12"`
	PermissionsReadPrincipals              config.List `setting:"permissions_read_principals" envconfig:"PERMISSIONS_READ_PRINCIPALS" def:"system.Everyone"`
	// AdminAssetsPath is the folder of the kinto-admin build that the
	// admin plugin serves at /v1/admin/; empty means an admin folder
	// beside the binary.
	AdminAssetsPath string `setting:"admin_assets_path" envconfig:"ADMIN_ASSETS_PATH"`

	// The live change stream of a collection (not a Kinto feature):
	// GET /buckets/{bid}/collections/{cid}/changes; see README.
	ChangesEnabled             config.Bool `setting:"changes_enabled" envconfig:"CHANGES_ENABLED" def:"true"`
	ChangesHeartbeatSeconds    float64     `setting:"changes_heartbeat_seconds" envconfig:"CHANGES_HEARTBEAT_SECONDS" def:"15"`
	ChangesWriteTimeoutSeconds float64     `setting:"changes_write_timeout_seconds" envconfig:"CHANGES_WRITE_TIMEOUT_SECONDS" def:"10"`
	ChangesBuffer              int         `setting:"changes_buffer" envconfig:"CHANGES_BUFFER" def:"1000"`
	ChangesNoticeWaitSeconds   float64     `setting:"changes_notice_wait_seconds" envconfig:"CHANGES_NOTICE_WAIT_SECONDS" def:"1"`
}

// Validate checks the generic settings, then Kinto's.
func (s *settings) Validate() error {
	if err := s.Core.Validate(); err != nil {
		return err
	}
	// Kinto refuses to start when someone may create accounts without
	// being able to manage them afterwards.
	for _, p := range s.AccountCreatePrincipals {
		if p != "system.Everyone" && !s.AccountWritePrincipals.Contains(p) {
			return &config.SettingError{Setting: "account_create_principals",
				Err: fmt.Errorf("%q is not in account_write_principals", p)}
		}
	}
	if s.AccountCacheTTLSeconds < 0 {
		return &config.SettingError{Setting: "account_cache_ttl_seconds", Err: fmt.Errorf("%d is negative", s.AccountCacheTTLSeconds)}
	}
	if s.AccountBcryptCost < bcrypt.MinCost || s.AccountBcryptCost > bcrypt.MaxCost {
		return &config.SettingError{Setting: "account_bcrypt_cost",
			Err: fmt.Errorf("%d is not between %d and %d", s.AccountBcryptCost, bcrypt.MinCost, bcrypt.MaxCost)}
	}
	for _, d := range []struct {
		setting string
		value   float64
	}{
		{"changes_heartbeat_seconds", s.ChangesHeartbeatSeconds},
		{"changes_write_timeout_seconds", s.ChangesWriteTimeoutSeconds},
		{"changes_notice_wait_seconds", s.ChangesNoticeWaitSeconds},
	} {
		// Each bounds a wait of every stream: none may be off.
		if !(d.value > 0) || d.value > 86400 {
			return &config.SettingError{Setting: d.setting, Err: fmt.Errorf("%v is not a number of seconds in (0, 86400]", d.value)}
		}
	}
	if s.ChangesBuffer < 1 {
		return &config.SettingError{Setting: "changes_buffer", Err: fmt.Errorf("%d is not a positive number", s.ChangesBuffer)}
	}
	return nil
}
