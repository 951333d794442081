package main

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// backendOptions is how Kinto uses its backends: all three, with
// `kinto migrate` preparing the PostgreSQL ones.
var backendOptions = wire.BackendOptions{Service: "kinto"}

// serve builds the service from the settings and serves it until ctx
// ends; then it stops accepting connections, lets in-flight requests
// finish within shutdown_timeout_seconds and closes the backends. Errors
// about a setting are *config.SettingError and happen before listening.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	s, log := env.Settings, env.Log
	b, err := wire.OpenBackends(ctx, &s.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		return err
	}
	defer b.Close(log)
	m, err := wire.OpenMetrics(&s.Core, env.Source, log)
	if err != nil {
		return err
	}
	defer m.Close()

	srv, err := newServer(s, env.Source, b, m, log)
	if err != nil {
		return err
	}
	// The purge stops before the backends close, also when listening
	// fails without ctx ending.
	purgeCtx, stopPurge := context.WithCancel(ctx)
	waitPurge := startTombstonePurge(purgeCtx, s, b.Storage, domain.SystemClock{}, log)
	defer func() { stopPurge(); waitPurge() }()
	return env.ListenAndServe(ctx, srv, logrus.Fields{
		"storage_backend": s.StorageBackend, "cache_backend": s.CacheBackend, "permission_backend": s.PermissionBackend})
}

// newServer builds the Kinto HTTP service over the backends b: the
// authentication policies, the utility endpoints, Kinto's resources and
// the batch endpoint. serve and the tests call it alike, so the tests
// exercise the real wiring. m, when not nil, measures the requests and
// every backend and policy call: b's backends are replaced by timed ones.
// Its errors are *config.SettingError.
func newServer(s *settings, src *config.Source, b *wire.Backends, m *wire.Metrics, log logrus.FieldLogger) (*httpadapter.Server, error) {
	if err := checkIncludes(s, log); err != nil {
		return nil, err
	}
	wire.WarnNotBuilt(&s.Core, src, log)
	if m == nil {
		m = &wire.Metrics{Metrics: ports.NopMetrics{}}
	}
	b.Meter(m)
	auths, accounts, err := newAuthenticators(s, src, b.Storage, b.Cache, log)
	if err != nil {
		return nil, err
	}
	srv := httpadapter.NewServer(wire.HTTPConfig(&s.Core, version), log, b.Checks, m.MeterAuthenticators(auths))
	m.Mount(srv)
	bus, err := newBus(s, src, b, m, log)
	if err != nil {
		return nil, err
	}
	svc, err := mountKinto(srv, b, bus, s, src, accounts, m, log)
	if err != nil {
		return nil, err
	}
	mountTombstoneWarning(srv, s, svc, domain.SystemClock{})
	return srv, nil
}

// newAuthenticators builds the policies of multiauth.policies with the
// shared wiring (wire.Policies): basicauth and Kinto's accounts policy,
// whose logins are remembered in cache (the account resource invalidates
// them), the accounts being Kinto's account resource in store.
func newAuthenticators(s *settings, src *config.Source, store ports.Storage, cache ports.Cache, log logrus.FieldLogger) ([]ports.Authenticator, *auth.Accounts, error) {
	ps, err := wire.Policies(&s.Core, src, func() *auth.Accounts {
		return auth.NewAccounts(store, auth.AccountsOptions{
			Parent: kintoapp.AccountParent(),
			TTL:    time.Duration(s.AccountCacheTTLSeconds) * time.Second,
			Clock:  domain.SystemClock{},
			Cache:  cache,
			Secret: s.UserIDHMACSecret,
		})
	}, log)
	if err != nil {
		return nil, nil, err
	}
	return ps.Authenticators, ps.Accounts, nil
}
