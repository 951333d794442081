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
const usage = `Usage: readinglist [--ini PATH] [command]

Commands:
  serve        start the server (the default; "start" is an alias)
  version      print the version
  migrate      create or update the storage's schema (PostgreSQL)
  healthcheck  exit 0 when the local server answers __lbheartbeat__, else 1

Settings come from READINGLIST_* environment variables, then the INI file
given by --ini or READINGLIST_INI ([app:main] keys "readinglist.<name>"),
then the defaults.
`

// command describes the readinglist command line; main and the tests run
// it. Its name is the default project_name.
func command() runner.Service[settings] {
	return runner.Service[settings]{
		Name:      "readinglist",
		EnvPrefix: envPrefix,
		Version:   version,
		Usage:     usage,
		Core:      func(s *settings) *config.Core { return &s.Core },
		Serve:     serve,
		Commands:  map[string]runner.Command[settings]{"migrate": wire.MigrateCommand[settings](backendOptions)},
	}
}
