package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// Exit codes of `kinto create-user`, Kinto's.
const (
	exitReadOnly    = 51 // readonly is on
	exitNoAccounts  = 52 // the accounts plugin is not enabled
	exitUserAborted = 53 // the input ended before an answer
)

// createUserCommand is `kinto create-user [-u NAME] [-p PASSWORD]`: it
// creates the account, or gives an existing one the new password, on the
// backends of the settings, as Kinto's does, so that the user can log in
// as account:NAME. A name or password the flags leave out is asked for on
// a terminal (the password twice, without echo); without a terminal both
// flags are required.
func createUserCommand(ctx context.Context, env *runner.Env[settings]) int {
	fs := flag.NewFlagSet("kinto create-user", flag.ContinueOnError)
	var username, password string
	fs.StringVar(&username, "username", "", "account name (asked when missing)")
	fs.StringVar(&username, "u", "", "shorthand for --username")
	fs.StringVar(&password, "password", "", "account password (asked when missing)")
	fs.StringVar(&password, "p", "", "shorthand for --password")
	if !env.ParseFlags(fs) {
		return runner.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "kinto: create-user: unexpected argument %q\n", fs.Arg(0))
		return runner.ExitUsage
	}
	s := env.Settings
	if s.ReadOnly {
		fmt.Fprintln(env.Stderr, "kinto: create-user: Cannot create a user with a readonly server.")
		return exitReadOnly
	}
	if !s.Includes.Contains("kinto.plugins.accounts") {
		fmt.Fprintln(env.Stderr, "kinto: create-user: Cannot create a user when the accounts plugin is not installed (includes has no kinto.plugins.accounts).")
		return exitNoAccounts
	}
	interactive := env.Interactive()
	if !interactive && (username == "" || password == "") {
		fmt.Fprintln(env.Stderr, "kinto: create-user: --username and --password are required when standard input is not a terminal")
		return runner.ExitUsage
	}
	in := bufio.NewReader(env.Stdin)
	ids := kintoapp.AccountIDs{}
	for username == "" || !ids.Valid(username) {
		if username != "" {
			fmt.Fprintf(env.Stderr, "%q is not a valid username: it must match %s.\n", username, "^[a-zA-Z0-9][+.@a-zA-Z0-9_-]*$")
			if !interactive {
				return runner.ExitUsage
			}
		}
		fmt.Fprint(env.Stdout, "Username: ")
		line, err := in.ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(env.Stdout, "\nUser creation aborted")
			return exitUserAborted
		}
		username = strings.TrimSpace(line)
	}
	for password == "" {
		first, err := readPassword(env, fmt.Sprintf("Please enter a password for %s: ", username))
		if err != nil {
			fmt.Fprintln(env.Stdout, "\nUser creation aborted")
			return exitUserAborted
		}
		confirm, err := readPassword(env, "Please confirm the password: ")
		if err != nil {
			fmt.Fprintln(env.Stdout, "\nUser creation aborted")
			return exitUserAborted
		}
		if first != confirm {
			fmt.Fprintln(env.Stdout, "Sorry, passwords do not match, please try again.")
			continue
		}
		password = first
	}

	return withBackends(ctx, env, "create-user", func(b *wire.Backends) int {
		return createUser(ctx, b, s, env.Source, username, password, env.Stdout, env.Stderr)
	})
}

// createUser sets the password of account username on the backends b,
// creating the account if need be, and returns the exit code.
func createUser(ctx context.Context, b *wire.Backends, s *settings, src *config.Source, username, password string, stdout, stderr io.Writer) int {
	log := logrus.New()
	log.SetOutput(stderr)
	// The server's accounts policy, so that the logins it remembers in a
	// shared cache forget the old password now.
	_, policy, err := newAuthenticators(s, src, b.Storage, b.Cache, log)
	if err != nil {
		fmt.Fprintf(stderr, "kinto: create-user: %v\n", err)
		return runner.ExitUsage
	}
	// No listeners: the command feeds no event_listeners.
	bus := app.NewBus(b.Units, func(_ context.Context, err error) { log.WithError(err).Error("event listener failed") })
	accounts := newAccounts(b, bus, s, principalSettings(s, src), policy)
	fmt.Fprintf(stdout, "Creating user '%s'\n", username)
	created, err := accounts.SetPassword(ctx, username, password)
	if err != nil {
		fmt.Fprintf(stderr, "kinto: create-user: %v\n", err)
		return runner.ExitFailure
	}
	if created {
		fmt.Fprintf(stdout, "Account %s created.\n", username)
	} else {
		fmt.Fprintf(stdout, "Password of account %s changed.\n", username)
	}
	return runner.ExitOK
}

// readPassword prompts on env.Stdout and reads a line from the terminal
// without echo (Interactive checked that stdin is one).
func readPassword(env *runner.Env[settings], prompt string) (string, error) {
	fmt.Fprint(env.Stdout, prompt)
	f, ok := env.Stdin.(*os.File)
	if !ok {
		return "", io.EOF
	}
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(env.Stdout)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}
