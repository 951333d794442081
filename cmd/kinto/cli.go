package main

import (
	"github.com/cliquet-go/cliquet/cmd/internal/wire"
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
  init           write a kinto.ini (at --ini, else config/kinto.ini) with new
                 secrets; --backend and --cache-backend memory|postgresql|redis
                 (asked on a terminal, else memory), --host ADDRESS; never
                 overwrites a file
  serve          start the server (the default; "start" is an alias);
                 --port N listens on N
  version        print the version
  migrate        create or update the backends' schemas; --dry-run prints
                 the migrations it would apply
  flush-cache    empty the cache backend
  purge-deleted  RESOURCE... MAX_RETAINED: keep the MAX_RETAINED newest
                 tombstones of each list of each resource; with --before MS
                 or --older-than DURATION (no MAX_RETAINED), remove the
                 tombstones older than that
  create-user    --username NAME --password PASSWORD (asked on a terminal when
                 missing): create the account NAME, or set its password
  healthcheck    exit 0 when the local server answers __lbheartbeat__, else 1

Settings come from KINTO_* environment variables, then the INI file given by
--ini or KINTO_INI (else config/kinto.ini when it exists), then Kinto's
defaults.
`

// command describes the kinto command line; main and the tests run it.
func command() runner.Service[settings] {
	return runner.Service[settings]{
		Name:      "kinto",
		EnvPrefix: envPrefix,
		Version:   version,
		Usage:     usage,
		// Where kinto init writes its file and kinto start looks for it.
		DefaultINI: "config/kinto.ini",
		Core:       func(s *settings) *config.Core { return &s.Core },
		Serve:      serve,
		Commands: map[string]runner.Command[settings]{
			"migrate":       wire.MigrateCommand[settings](backendOptions),
			"flush-cache":   flushCacheCommand,
			"purge-deleted": purgeDeletedCommand,
			"create-user":   createUserCommand,
		},
		Setup: map[string]runner.Command[settings]{
			"init": initCommand,
		},
	}
}
