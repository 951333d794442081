package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/config"
)

// version is the binary's version, set at build time with
// -ldflags "-X main.version=…"; it is the hello project_version unless the
// project_version setting says otherwise.
var version = "0.1.0-dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad arguments or settings: nothing was started
)

const usage = `Usage: kinto [--ini PATH] [command]

Commands:
  serve        start the server (the default; "start" is an alias)
  version      print the version
  migrate      create or update the backends' schemas
  healthcheck  exit 0 when the local server answers __lbheartbeat__, else 1

Settings come from KINTO_* environment variables, then the INI file given by
--ini or KINTO_INI, then Kinto's defaults.
`

// cli runs one invocation of the command. main and the tests start the
// same code through run.
type cli struct {
	stdout, stderr io.Writer
	// onListen, when set, is told the address the server listens on, so
	// that tests can serve on port 0.
	onListen func(net.Addr)
}

// run executes args (without the program name) and returns the exit code.
// ctx ends the server: main cancels it on SIGINT and SIGTERM.
func (c cli) run(ctx context.Context, args []string) int {
	var iniPath string
	fs := flag.NewFlagSet("kinto", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&iniPath, "ini", "", "INI file")
	parse := func(args []string) ([]string, bool) {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(c.stdout, usage)
			} else {
				fmt.Fprintf(c.stderr, "kinto: %v\n%s", err, usage)
			}
			return nil, false
		}
		return fs.Args(), true
	}
	// Flags may come before or after the command, as in "kinto start --ini x".
	rest, ok := parse(args)
	if !ok {
		return exitUsage
	}
	command := "serve"
	if len(rest) > 0 {
		command = rest[0]
		if rest, ok = parse(rest[1:]); !ok {
			return exitUsage
		}
		if len(rest) > 0 {
			fmt.Fprintf(c.stderr, "kinto: unexpected argument %q\n%s", rest[0], usage)
			return exitUsage
		}
	}

	switch command {
	case "version":
		fmt.Fprintln(c.stdout, version)
		return exitOK
	case "help":
		fmt.Fprint(c.stdout, usage)
		return exitOK
	case "serve", "start", "migrate", "healthcheck":
	default:
		fmt.Fprintf(c.stderr, "kinto: unknown command %q\n%s", command, usage)
		return exitUsage
	}

	var s settings
	src, err := config.Load(envPrefix, iniPath, &s)
	if err != nil {
		fmt.Fprintf(c.stderr, "kinto: %v\n", err)
		return exitUsage
	}

	switch command {
	case "migrate":
		return c.migrate(ctx, &s)
	case "healthcheck":
		return c.healthcheck(ctx, &s)
	}
	log, err := config.NewLogger(&s.Core, s.ProjectName, c.stderr)
	if err != nil {
		fmt.Fprintf(c.stderr, "kinto: %v\n", err)
		return exitUsage
	}
	if err := serve(ctx, &s, src, log, c.onListen); err != nil {
		var se *config.SettingError
		if errors.As(err, &se) {
			fmt.Fprintf(c.stderr, "kinto: %v\n", err)
			return exitUsage
		}
		log.WithError(err).Error("server stopped")
		return exitFailure
	}
	return exitOK
}

// migrate prepares the backends' schemas: it creates or upgrades the
// tables of the PostgreSQL storage and permission backends (safe to run
// from several nodes at once). The memory backends have none.
func (c cli) migrate(ctx context.Context, s *settings) int {
	if s.CacheBackend != config.BackendMemory {
		fmt.Fprintf(c.stderr, "kinto: migrate: setting cache_backend: backend %q is not built into this version (want memory)\n", s.CacheBackend)
		return exitFailure
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
			fmt.Fprintf(c.stderr, "kinto: migrate: setting %s: backend %q is not built into this version (want memory or postgresql)\n", b.setting, b.value)
			return exitFailure
		}
		db, err := openPostgres(ctx, b.name, b.url, postgresPool{size: 1}, false)
		if err != nil {
			fmt.Fprintf(c.stderr, "kinto: migrate: %v\n", err)
			return exitFailure
		}
		err = postgres.Migrate(ctx, db)
		db.Close()
		if err != nil {
			fmt.Fprintf(c.stderr, "kinto: migrate: %s database: %v\n", b.name, err)
			return exitFailure
		}
		fmt.Fprintf(c.stdout, "migrate: %s (postgresql): schema at version %d\n", b.name, postgres.SchemaVersion())
		migrated = true
	}
	if !migrated {
		fmt.Fprintln(c.stdout, "migrate: memory backends keep no schema; nothing to do")
	}
	return exitOK
}

// healthcheckTimeout bounds the healthcheck command, which container
// engines run periodically.
const healthcheckTimeout = 5 * time.Second

// healthcheck asks the server of these settings for __lbheartbeat__; it is
// the container's HEALTHCHECK, so it needs no curl in the image.
func (c cli) healthcheck(ctx context.Context, s *settings) int {
	host := s.HTTPHost
	switch host {
	case "", "0.0.0.0", "::", "[::]":
		host = "127.0.0.1" // a wildcard listener answers on loopback
	}
	major, _, _ := strings.Cut(s.HTTPAPIVersion, ".")
	url := "http://" + net.JoinHostPort(host, strconv.Itoa(s.HTTPPort)) + "/v" + major + "/__lbheartbeat__"

	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintf(c.stderr, "kinto: healthcheck: %v\n", err)
		return exitFailure
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(c.stderr, "kinto: healthcheck: %v\n", err)
		return exitFailure
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection close cleanly
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(c.stderr, "kinto: healthcheck: GET %s: %s\n", url, resp.Status)
		return exitFailure
	}
	fmt.Fprintf(c.stdout, "ok: GET %s: %s\n", url, resp.Status)
	return exitOK
}
