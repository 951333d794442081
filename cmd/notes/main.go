// Command notes is the smallest service built on cliquet-go, the one the
// README's "Make your own service" walks through: private notes at
// /v1/notes with the whole record protocol, on the backend the settings
// name (NOTES_STORAGE_BACKEND: memory, postgresql or redis).
package main

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner"
)

var version = "0.1.0-dev" // set with -ldflags "-X main.version=…"

// settings are the generic Cliquet settings; a service adds its own here.
type settings struct{ config.Core }

var backends = wire.BackendOptions{Service: "notes", StorageOnly: true}

func main() { runner.Main(command()) }

func command() runner.Service[settings] {
	return runner.Service[settings]{
		Name: "notes", EnvPrefix: "NOTES", Version: version,
		Usage:    "Usage: notes [--ini PATH] [serve|version|migrate|healthcheck]\n",
		Core:     func(s *settings) *config.Core { return &s.Core },
		Serve:    serve,
		Commands: map[string]runner.Command[settings]{"migrate": wire.MigrateCommand[settings](backends)},
	}
}

// serve opens the storage the settings name, mounts the notes resource
// and serves until ctx ends.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	core, log, clock := env.Core(), env.Log, domain.SystemClock{}
	b, err := wire.OpenBackends(ctx, core, clock, backends)
	if err != nil {
		return err
	}
	defer b.Close(log)
	policies, err := wire.Policies(core, env.Source, nil, log)
	if err != nil {
		return err
	}
	srv := httpadapter.NewServer(wire.HTTPConfig(core, version), log, b.Checks, policies.Authenticators)
	srv.MountResource(app.NewEngine(b.Storage, nil).WithUnits(b.Units), notes())
	srv.MountBatchWithUnits(b.Units)
	defer wire.RetainTombstones(ctx, srv, core, b.Storage, wire.Retained{Resources: []string{"note"}, Lists: []string{"/notes"}}, clock, log)()
	return env.ListenAndServe(ctx, srv, logrus.Fields{"storage_backend": core.StorageBackend})
}
