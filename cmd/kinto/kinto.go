package main

import (
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
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
			if v, ok := src.LookupList(key); ok {
				out[key] = v
			}
		}
	}
	out["bucket_create_principals"] = []string(s.BucketCreatePrincipals)
	out["account_create_principals"] = []string(s.AccountCreatePrincipals)
	out["account_write_principals"] = []string(s.AccountWritePrincipals)
	out["account_read_principals"] = []string(s.AccountReadPrincipals)
	return out
}

// mountKinto declares Kinto's resources on the engine and mounts them,
// with the methods Kinto's endpoint switches leave on, the batch endpoint
// and the Kinto features on srv. accounts is the accounts policy, nil when
// multiauth.policies has none. Its errors are *config.SettingError, and
// it mounts nothing then.
//
// Every write, and the batch, is a unit of bus, which carries the
// changes to the event listeners.
func mountKinto(srv *httpadapter.Server, b *wire.Backends, bus *app.Bus, s *settings, src *config.Source, accounts *auth.Accounts, m ports.Metrics, log logrus.FieldLogger) (*kintoapp.Service, error) {
	principals := principalSettings(s, src)
	svc := kintoapp.New(b.Storage, b.Permission, kintoapp.Settings{
		Principals:          principals,
		ExplicitPermissions: bool(s.ExplicitPermissions),
		SchemaValidation:    bool(s.ExperimentalCollectionSchemaValidation),
		DefaultBucketSecret: s.DefaultBucketHMACSecret,
		Lookup:              src.Lookup,
	})
	svc.Engine.WithUnits(bus)
	for _, res := range svc.Resources() {
		if err := applyEndpointSwitches(res, src); err != nil {
			return nil, err
		}
	}
	var accountsRes *kintoapp.Accounts
	if accounts != nil || s.Includes.Contains("kinto.plugins.accounts") {
		accountsRes = newAccounts(b, bus, s, principals, accounts)
		if err := applyEndpointSwitches(accountsRes.Resource, src); err != nil {
			return nil, err
		}
	}
	for _, res := range svc.Resources() {
		srv.MountResource(svc.Engine, res)
	}
	if accountsRes != nil {
		srv.MountResource(accountsRes.Engine, accountsRes.Resource)
		srv.AddCapability("accounts", auth.AccountsCapability())
		svc.ListInPermissions(accountsRes.Resource)
	}
	if s.Includes.Contains(kintoapp.HistoryPlugin) {
		if err := mountHistory(srv, svc, bus, src, m); err != nil {
			return nil, err
		}
	}
	if s.ChangesEnabled {
		if err := mountChanges(srv, svc, bus, s, b, log); err != nil {
			return nil, err
		}
	}
	srv.MountBatchWithUnits(bus)
	admin := s.Includes.Contains(adminPlugin)
	if admin {
		mountAdmin(srv, adminAssetsPath(s))
	}
	if s.Includes.Contains("kinto.plugins.flush") {
		srv.MountFlush(flushBackends(b))
	}
	mountKintoFeatures(srv, svc, kintoFeatures{
		DefaultBucket: defaultBucketEnabled(s),
		// As in Kinto, the admin plugin turns the permissions endpoint on:
		// the web admin lists what a user may access through it.
		PermissionsEndpoint:       bool(s.ExperimentalPermissionsEndpoint) || admin,
		PermissionsReadPrincipals: []string(s.PermissionsReadPrincipals),
		SchemaValidation:          bool(s.ExperimentalCollectionSchemaValidation),
	})
	return svc, nil
}

// newAccounts builds Kinto's accounts plugin resource, for mountKinto to
// serve at /accounts and advertise. Account changes drop the logins the
// accounts policy remembers.
func newAccounts(b *wire.Backends, bus *app.Bus, s *settings, principals map[string][]string, policy *auth.Accounts) *kintoapp.Accounts {
	opts := kintoapp.AccountSettings{Principals: principals, BcryptCost: s.AccountBcryptCost}
	if policy != nil {
		opts.OnChange = policy.Invalidate
	}
	return kintoapp.NewAccounts(b.Storage, b.Permission, opts).WithUnits(bus)
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
