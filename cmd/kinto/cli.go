package main

import (
	"context"
	"fmt"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// version is the binary's version, set at build time with
// -ldflags "-X main.version=…"; it is the hello project_version unless the
// project_version setting says otherwise.
var version = "0.1.0-dev"

// usage is the text of help, -h and usage errors.
const usage = `Usage: kinto [--ini PATH] [command]

Commands:
  serve        start the server (the default; "start" is an alias)
  version      print the version
  migrate      create or update the backends' schemas
  healthcheck  exit 0 when the local server answers __lbheartbeat__, else 1

Settings come from KINTO_* environment variables, then the INI file given by
--ini or KINTO_INI, then Kinto's defaults.
`

// command describes the kinto command line; main and the tests run it.
func command() runner.Service[settings] {
	return runner.Service[settings]{
		Name:      "kinto",
		EnvPrefix: envPrefix,
		Version:   version,
		Usage:     usage,
		Core:      func(s *settings) *config.Core { return &s.Core },
		Serve:     serve,
		Commands:  map[string]runner.Command[settings]{"migrate": migrate},
	}
}

// migrate prepares the backends' schemas: it creates or upgrades the
// tables of the PostgreSQL storage and permission backends (safe to run
// from several nodes at once). The memory backends have none.
func migrate(ctx context.Context, env *runner.Env[settings]) int {
	s := env.Settings
	if s.CacheBackend != config.BackendMemory {
		fmt.Fprintf(env.Stderr, "kinto: migrate: setting cache_backend: backend %q is not built into this version (want memory)\n", s.CacheBackend)
		return runner.ExitFailure
	}
	migrated := false
	for _, b := range []struct {
		name    string
		value   config.Backend
		url     string
		setting string
	}{
		{"storage", s.StorageBackend, s.StorageURL, "storage_backend"},
		{"permission", s.PermissionBackend, s.PermissionURL, "permission_backend"},
	} {
		switch b.value {
		case config.BackendMemory:
			continue
		case config.BackendPostgreSQL:
		default:
			fmt.Fprintf(env.Stderr, "kinto: migrate: setting %s: backend %q is not built into this version (want memory or postgresql)\n", b.setting, b.value)
			return runner.ExitFailure
		}
		db, err := openPostgres(ctx, b.name, b.url, postgresPool{size: 1}, false)
		if err != nil {
			fmt.Fprintf(env.Stderr, "kinto: migrate: %v\n", err)
			return runner.ExitFailure
		}
		err = postgres.Migrate(ctx, db)
		db.Close()
		if err != nil {
			fmt.Fprintf(env.Stderr, "kinto: migrate: %s database: %v\n", b.name, err)
			return runner.ExitFailure
		}
		fmt.Fprintf(env.Stdout, "migrate: %s (postgresql): schema at version %d\n", b.name, postgres.SchemaVersion())
		migrated = true
	}
	if !migrated {
		fmt.Fprintln(env.Stdout, "migrate: memory backends keep no schema; nothing to do")
	}
	return runner.ExitOK
}
