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

const usage = `Usage: readinglist [--ini PATH] [command]

Commands:
  serve        start the server (the default; "start" is an alias)
  version      print the version
  healthcheck  exit 0 when the local server answers __lbheartbeat__, else 1

Settings come from READINGLIST_* environment variables, then the INI file
given by --ini or READINGLIST_INI ([app:main] keys "readinglist.<name>"),
then the defaults.
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
	fs := flag.NewFlagSet("readinglist", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&iniPath, "ini", "", "INI file")
	parse := func(args []string) ([]string, bool) {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(c.stdout, usage)
			} else {
				fmt.Fprintf(c.stderr, "readinglist: %v\n%s", err, usage)
			}
			return nil, false
		}
		return fs.Args(), true
	}
	// Flags may come before or after the command.
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
			fmt.Fprintf(c.stderr, "readinglist: unexpected argument %q\n%s", rest[0], usage)
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
	case "serve", "start", "healthcheck":
	default:
		fmt.Fprintf(c.stderr, "readinglist: unknown command %q\n%s", command, usage)
		return exitUsage
	}

	var s settings
	src, err := config.Load(envPrefix, iniPath, &s)
	if err != nil {
		fmt.Fprintf(c.stderr, "readinglist: %v\n", err)
		return exitUsage
	}
	applyServiceDefaults(&s, src)

	if command == "healthcheck" {
		return c.healthcheck(ctx, &s)
	}
	log, err := config.NewLogger(&s.Core, s.ProjectName, c.stderr)
	if err != nil {
		fmt.Fprintf(c.stderr, "readinglist: %v\n", err)
		return exitUsage
	}
	if err := serve(ctx, &s, src, log, c.onListen); err != nil {
		var se *config.SettingError
		if errors.As(err, &se) {
			fmt.Fprintf(c.stderr, "readinglist: %v\n", err)
			return exitUsage
		}
		log.WithError(err).Error("server stopped")
		return exitFailure
	}
	return exitOK
}

// healthcheckTimeout bounds the healthcheck command, which container
// engines run periodically.
const healthcheckTimeout = 5 * time.Second

// healthcheck asks the server of these settings for __lbheartbeat__, so
// that a container needs no curl for its HEALTHCHECK.
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
		fmt.Fprintf(c.stderr, "readinglist: healthcheck: %v\n", err)
		return exitFailure
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(c.stderr, "readinglist: healthcheck: %v\n", err)
		return exitFailure
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body) // let the connection close cleanly
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(c.stderr, "readinglist: healthcheck: GET %s: %s\n", url, resp.Status)
		return exitFailure
	}
	fmt.Fprintf(c.stdout, "ok: GET %s: %s\n", url, resp.Status)
	return exitOK
}
