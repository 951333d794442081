package main

import (
	"strings"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
)

// principalResources and principalPerms span the "<resource>_<perm>_principals"
// settings that grant permissions by configuration (PROTOCOL-kinto §2.3).
var (
	principalResources = []string{"bucket", "collection", "group", "record", "account"}
	principalPerms     = []string{"read", "write", "create"}
)

// principalSettings gathers every *_principals setting: the declared ones
// with their defaults, the others as found in the environment or the INI.
func principalSettings(s *settings, src *config.Source) map[string][]string {
	out := map[string][]string{}
	for _, res := range principalResources {
		for _, perm := range principalPerms {
			key := res + "_" + perm + "_principals"
			if v, ok := src.Lookup(key); ok {
				out[key] = strings.Fields(v)
			}
		}
	}
	out["bucket_create_principals"] = []string(s.BucketCreatePrincipals)
	out["account_create_principals"] = []string(s.AccountCreatePrincipals)
	out["account_write_principals"] = []string(s.AccountWritePrincipals)
	out["account_read_principals"] = []string(s.AccountReadPrincipals)
	return out
}

// mountKinto declares Kinto's resources on the engine and mounts them, the
// batch endpoint and the Kinto features on srv.
func mountKinto(srv *httpadapter.Server, b *backends, s *settings, src *config.Source) *kintoapp.Service {
	svc := kintoapp.New(b.storage, b.permission, kintoapp.Settings{
		Principals:          principalSettings(s, src),
		ExplicitPermissions: bool(s.ExplicitPermissions),
		SchemaValidation:    bool(s.ExperimentalCollectionSchemaValidation),
		DefaultBucketSecret: s.DefaultBucketHMACSecret,
	})
	for _, res := range svc.Resources() {
		srv.MountResource(svc.Engine, res)
	}
	srv.MountBatch()
	srv.MountKinto(svc, httpadapter.KintoOptions{
		DefaultBucket:             defaultBucketEnabled(s),
		PermissionsEndpoint:       bool(s.ExperimentalPermissionsEndpoint),
		PermissionsReadPrincipals: []string(s.PermissionsReadPrincipals),
		SchemaValidation:          bool(s.ExperimentalCollectionSchemaValidation),
	})
	return svc
}

// defaultBucketEnabled keeps the personal bucket on unless an includes
// setting lists plugins without it: kinto.js syncs through it, and
// `kinto init` enables it.
func defaultBucketEnabled(s *settings) bool {
	if len(s.Includes) == 0 {
		return true
	}
	return s.Includes.Contains("kinto.plugins.default_bucket")
}
