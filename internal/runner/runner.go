// Package runner is the command-line shell every service binary shares:
// flag parsing (--ini), the built-in commands serve (alias start), version,
// help and healthcheck, a service's own commands, exit codes, settings
// loading through internal/config, the logger, and serving an HTTP handler
// until the process is told to stop, with a graceful shutdown.
//
// A service binary describes itself in a Service and hands it to Main:
//
//	func main() {
//		runner.Main(runner.Service[settings]{
//			Name: "mysvc", EnvPrefix: "MYSVC", Version: version, Usage: usage,
//			Core:  func(s *settings) *config.Core { return &s.Core },
//			Serve: serve, // build the adapters and the server, then env.ListenAndServe
//			Commands: map[string]runner.Command[settings]{"migrate": migrate},
//		})
//	}
//
// It imports no adapter: each service's main chooses and builds its
// adapters (see cmd/internal/wire for the ones the services here share).
package runner

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/cliquet-go/cliquet/internal/config"
)

// Exit codes of every command.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // bad arguments or settings: nothing was started
)

// Service describes one service binary. S is its settings struct, which
// embeds config.Core.
type Service[S any] struct {
	// Name is the program's name: it starts every error line ("kinto: …")
	// and is the default of project_name, replacing Core's "kinto".
	Name string
	// EnvPrefix is the prefix of the environment variables and, lower-cased,
	// of the INI keys ("KINTO").
	EnvPrefix string
	// Version is the binary's version, printed by the version command and
	// the hello view's project_version unless that setting is set.
	Version string
	// Usage is printed by help and -h, and after a usage error.
	Usage string
	// DefaultINI is the INI file read when neither --ini nor
	// <EnvPrefix>_INI names one and the file exists, relative to the
	// working directory (Kinto's config/kinto.ini); "" reads none.
	DefaultINI string
	// Core returns the config.Core that s embeds.
	Core func(s *S) *config.Core
	// Serve builds the service from the loaded settings and serves it with
	// env.ListenAndServe until ctx ends. It runs for serve and start, with
	// env.Log set. Errors about a setting must be *config.SettingError
	// and happen before listening: they exit with ExitUsage.
	Serve func(ctx context.Context, env *Env[S]) error
	// Commands are the service's own commands ("migrate"), run after the
	// settings are loaded, without a logger; they write to env.Stdout and
	// env.Stderr and return the exit code. Built-in names take precedence.
	Commands map[string]Command[S]
	// Setup are the service's commands that run before any setting is
	// loaded (kinto init, which writes the INI file the others read):
	// env.Settings and env.Source are nil, env.INI names the file.
	Setup map[string]Command[S]

	// Stdin is where commands read answers to their prompts; Main sets it
	// to the process's standard input. Nil reads nothing: commands then
	// never prompt (Env.Interactive).
	Stdin io.Reader
	// Stdout and Stderr receive the output; Main sets them to the
	// process's streams. Logs go to Stderr.
	Stdout, Stderr io.Writer
	// OnListen, when set, is told the address the server listens on, so
	// that tests can serve on port 0.
	OnListen func(net.Addr)
	// OnPprof, when set, is told the address the profiler listens on
	// (pprof_enabled), for the same reason.
	OnPprof func(net.Addr)
}

// Command is a service's own command; it returns the exit code.
type Command[S any] func(ctx context.Context, env *Env[S]) int

// Env is what a command runs with: the loaded settings, where they came
// from, the logger and the output streams.
type Env[S any] struct {
	Settings *S
	Source   *config.Source
	// Args are the command's own arguments, after its name, without
	// --ini; a service command parses them (ParseFlags).
	Args []string
	// INI is the INI file the command was pointed at: --ini, else
	// <EnvPrefix>_INI, else the service's DefaultINI, whether or not it
	// exists (Setup commands create it).
	INI string
	// Log is built from log_format and log_level; it is nil outside serve.
	Log            *logrus.Logger
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	core     *config.Core
	version  string
	onListen func(net.Addr)
	onPprof  func(net.Addr)
}

// Main runs svc with the process's arguments and standard streams, ends
// the server on SIGINT or SIGTERM, and exits with the command's code.
func Main[S any](svc Service[S]) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	svc.Stdin, svc.Stdout, svc.Stderr = os.Stdin, os.Stdout, os.Stderr
	code := svc.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Run executes args (without the program name) and returns the exit code.
// ctx ends the server: Main cancels it on SIGINT and SIGTERM.
func (svc Service[S]) Run(ctx context.Context, args []string) int {
	command, iniPath, rest, ok := svc.parseArgs(args)
	if !ok {
		return ExitUsage
	}
	port := 0
	switch command {
	case "serve", "start":
		if port, ok = svc.serveArgs(command, rest); !ok {
			return ExitUsage
		}
	case "version", "help", "healthcheck":
		if !svc.parseCommandFlags(flag.NewFlagSet(svc.Name+" "+command, flag.ContinueOnError), rest) {
			return ExitUsage
		}
	}
	switch command {
	case "version":
		fmt.Fprintln(svc.Stdout, svc.Version)
		return ExitOK
	case "help":
		fmt.Fprint(svc.Stdout, svc.Usage)
		return ExitOK
	case "serve", "start", "healthcheck":
	default:
		if setup, ok := svc.Setup[command]; ok {
			return setup(ctx, &Env[S]{Args: rest, INI: svc.iniPath(iniPath),
				Stdin: svc.Stdin, Stdout: svc.Stdout, Stderr: svc.Stderr, version: svc.Version})
		}
		if _, ok := svc.Commands[command]; !ok {
			fmt.Fprintf(svc.Stderr, "%s: unknown command %q\n%s", svc.Name, command, svc.Usage)
			return ExitUsage
		}
	}

	s, src, err := svc.Load(iniPath)
	if err != nil {
		fmt.Fprintf(svc.Stderr, "%s: %v\n", svc.Name, err)
		return ExitUsage
	}
	env := &Env[S]{Settings: s, Source: src, Args: rest, INI: svc.iniPath(iniPath),
		Stdin: svc.Stdin, Stdout: svc.Stdout, Stderr: svc.Stderr,
		core: svc.Core(s), version: svc.Version, onListen: svc.OnListen, onPprof: svc.OnPprof}
	if port != 0 {
		env.core.HTTPPort = port
	}
	switch command {
	case "serve", "start":
		return svc.serve(ctx, env)
	case "healthcheck":
		return svc.healthcheck(ctx, env.core)
	default:
		return svc.Commands[command](ctx, env)
	}
}

// parseArgs splits args into the command ("serve" when none), the --ini
// flag, which may come before or after the command, as in
// "kinto start --ini x", and the command's own arguments. On a usage
// error it prints the usage and reports false; -h before the command is
// the help command.
func (svc Service[S]) parseArgs(args []string) (command, iniPath string, rest []string, ok bool) {
	fs := flag.NewFlagSet(svc.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&iniPath, "ini", "", "INI file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "help", "", nil, true // kinto --help, as kinto help
		}
		fmt.Fprintf(svc.Stderr, "%s: %v\n%s", svc.Name, err, svc.Usage)
		return "", "", nil, false
	}
	if fs.NArg() == 0 {
		return "serve", iniPath, nil, true
	}
	command = fs.Arg(0)
	tail := fs.Args()[1:]
	for i := 0; i < len(tail); i++ {
		a := tail[i]
		switch {
		case a == "--ini" || a == "-ini":
			if i+1 == len(tail) {
				fmt.Fprintf(svc.Stderr, "%s: flag needs an argument: %s\n%s", svc.Name, a, svc.Usage)
				return "", "", nil, false
			}
			iniPath = tail[i+1]
			i++
		case strings.HasPrefix(a, "--ini=") || strings.HasPrefix(a, "-ini="):
			_, iniPath, _ = strings.Cut(a, "=")
		default:
			rest = append(rest, a)
		}
	}
	return command, iniPath, rest, true
}

// serveArgs reads the arguments of serve and start: --port, which
// overrides the listening port as in "kinto start --port 9999". It
// reports false, after printing why, on a usage error or -h.
func (svc Service[S]) serveArgs(command string, args []string) (port int, ok bool) {
	fs := flag.NewFlagSet(svc.Name+" "+command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&port, "port", 0, "listening port")
	return port, svc.parseCommandFlags(fs, args)
}

// parseCommandFlags parses a command's own flags, printing the usage on
// -h and the error on bad ones; no positional argument is left.
func (svc Service[S]) parseCommandFlags(fs *flag.FlagSet, args []string) bool {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(svc.Stdout, svc.Usage)
		} else {
			fmt.Fprintf(svc.Stderr, "%s: %v\n%s", svc.Name, err, svc.Usage)
		}
		return false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(svc.Stderr, "%s: unexpected argument %q\n%s", svc.Name, fs.Arg(0), svc.Usage)
		return false
	}
	return true
}

// serve runs the service's Serve with a logger and maps its outcome to an
// exit code.
func (svc Service[S]) serve(ctx context.Context, env *Env[S]) int {
	log, err := config.NewLogger(env.core, env.core.ProjectName, svc.Stderr)
	if err != nil {
		fmt.Fprintf(svc.Stderr, "%s: %v\n", svc.Name, err)
		return ExitUsage
	}
	env.Log = log
	if err := svc.Serve(ctx, env); err != nil {
		var se *config.SettingError
		if errors.As(err, &se) {
			fmt.Fprintf(svc.Stderr, "%s: %v\n", svc.Name, err)
			return ExitUsage
		}
		log.WithError(err).Error("server stopped")
		return ExitFailure
	}
	return ExitOK
}

// Load reads the settings as every command does: from the environment
// (EnvPrefix), the INI file at iniPath (or <EnvPrefix>_INI, or DefaultINI
// when it exists) and the
// defaults, with Name as the default project_name. It also checks eos
// with the HTTP adapter's parser, as the adapter asks. Errors about a
// value are *config.SettingError. Tests build services through it.
func (svc Service[S]) Load(iniPath string) (*S, *config.Source, error) {
	if iniPath == "" && os.Getenv(svc.EnvPrefix+"_INI") == "" && svc.DefaultINI != "" {
		if _, err := os.Stat(svc.DefaultINI); err == nil {
			iniPath = svc.DefaultINI
		}
	}
	s := new(S)
	src, err := config.Load(svc.EnvPrefix, iniPath, s)
	if err != nil {
		return nil, nil, err
	}
	core := svc.Core(s)
	// Core's default project_name is Kinto's; no INI or environment layer
	// can tell a default apart once loaded, so the origin decides.
	if src.Origin("project_name") == "default" {
		core.ProjectName = svc.Name
	}
	return s, src, nil
}

// iniPath is the INI file a command is pointed at: the --ini flag, else
// <EnvPrefix>_INI, else DefaultINI (which Load reads only when it exists).
func (svc Service[S]) iniPath(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if v := os.Getenv(svc.EnvPrefix + "_INI"); v != "" {
		return v
	}
	return svc.DefaultINI
}

// Core returns the generic settings that Settings embeds.
func (e *Env[S]) Core() *config.Core { return e.core }

// Version returns the binary's version (Service.Version).
func (e *Env[S]) Version() string { return e.version }

// Interactive reports whether the command may prompt: its standard input
// is a terminal. Kinto always prompts for what its flags leave out; here a
// script or a test with no terminal gets the defaults (or an error)
// instead of a command waiting for input nobody will type.
func (e *Env[S]) Interactive() bool {
	f, ok := e.Stdin.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ParseFlags parses env.Args with fs, the flags of a service command; on
// -h it prints the command's flags, on a bad flag the error, and reports
// false: the command then exits with ExitUsage.
func (e *Env[S]) ParseFlags(fs *flag.FlagSet) bool {
	fs.SetOutput(e.Stderr)
	if err := fs.Parse(e.Args); err != nil {
		return false
	}
	return true
}
