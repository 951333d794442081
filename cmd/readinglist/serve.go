package main

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// backendOptions is how readinglist uses its backends: it keeps everything
// in its storage, so it opens no cache and no permission backend and
// ignores their settings; `readinglist migrate` prepares a PostgreSQL
// storage.
var backendOptions = wire.BackendOptions{Service: "readinglist", StorageOnly: true}

// serve builds the service from the settings and serves it until ctx
// ends; then it stops accepting connections, lets in-flight requests
// finish within shutdown_timeout_seconds and closes the storage. Errors
// about a setting are *config.SettingError and happen before listening.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	s, log := env.Settings, env.Log
	clock := domain.SystemClock{}
	b, err := wire.OpenBackends(ctx, &s.Core, clock, backendOptions)
	if err != nil {
		return err
	}
	defer b.Close(log)
	wire.WarnNotBuilt(&s.Core, env.Source, log)
	m, err := wire.OpenMetrics(&s.Core, env.Source, log)
	if err != nil {
		return err
	}
	defer m.Close()
	b.Meter(m)
	// readinglist has no accounts: basicauth is its one policy.
	policies, err := wire.Policies(&s.Core, env.Source, nil, log)
	if err != nil {
		return err
	}
	srv := newServer(wire.HTTPConfig(&s.Core, version), log, b.Storage, b.Units, clock, m.MeterAuthenticators(policies.Authenticators))
	m.Mount(srv)
	// tombstones_retention_seconds: the articles' tombstones (the archive
	// is a view of the same lists, for browsing, not for polling).
	defer wire.RetainTombstones(ctx, srv, &s.Core, b.Storage, wire.Retained{Resources: []string{articleName}, Lists: []string{"/articles"}}, clock, log)()
	return env.ListenAndServe(ctx, srv, logrus.Fields{"storage_backend": s.StorageBackend})
}
