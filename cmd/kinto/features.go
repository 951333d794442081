package main

import (
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
)

// kintoFeatures selects what Kinto adds to the generic protocol on top of
// its resources.
type kintoFeatures struct {
	DefaultBucket       bool // /buckets/default, capability default_bucket
	PermissionsEndpoint bool // GET /permissions, capability permissions_endpoint
	// PermissionsReadPrincipals may use /permissions (Kinto's default:
	// system.Everyone).
	PermissionsReadPrincipals []string
	SchemaValidation          bool // capability schema
}

// mountKintoFeatures adds Kinto's features to srv through the adapter's
// seams: group principals for every authenticated caller, then, as
// selected, the personal default bucket, the schema capability and
// /permissions.
func mountKintoFeatures(srv *httpadapter.Server, svc *kintoapp.Service, f kintoFeatures) {
	srv.AddPrincipals(svc.UserPrincipals)
	if f.DefaultBucket {
		mountDefaultBucket(srv, svc)
	}
	if f.SchemaValidation {
		srv.AddCapability("schema", map[string]any{
			"description": "Validates collection records with JSON schemas.",
			"url":         "https://kinto.readthedocs.io/en/latest/api/1.x/collections.html#collection-json-schema",
		})
	}
	if f.PermissionsEndpoint {
		mountPermissions(srv, svc, f.PermissionsReadPrincipals)
	}
}
