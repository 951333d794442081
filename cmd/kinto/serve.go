package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// backendOptions is how Kinto uses its backends: all three, with
// `kinto migrate` preparing the PostgreSQL ones.
var backendOptions = runner.BackendOptions{Service: "kinto"}

// serve builds the service from the settings and serves it until ctx
// ends; then it stops accepting connections, lets in-flight requests
// finish within shutdown_timeout_seconds and closes the backends. Errors
// about a setting are *config.SettingError and happen before listening.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	s, log := env.Settings, env.Log
	b, err := runner.OpenBackends(ctx, &s.Core, memory.SystemClock{}, backendOptions)
	if err != nil {
		return err
	}
	defer b.Close(log)
	m, err := runner.OpenMetrics(&s.Core, env.Source, log)
	if err != nil {
		return err
	}
	defer m.Close()

	srv, err := newServer(s, env.Source, b, m, log)
	if err != nil {
		return err
	}
	return env.ListenAndServe(ctx, srv, logrus.Fields{
		"storage_backend": s.StorageBackend, "cache_backend": s.CacheBackend, "permission_backend": s.PermissionBackend})
}

// newServer builds the Kinto HTTP service over the backends b: the
// authentication policies, the utility endpoints, Kinto's resources and
// the batch endpoint. serve and the tests call it alike, so the tests
// exercise the real wiring. m, when not nil, measures the requests and
// every backend and policy call: b's backends are replaced by timed ones.
// Its errors are *config.SettingError.
func newServer(s *settings, src *config.Source, b *runner.Backends, m *runner.Metrics, log logrus.FieldLogger) (*httpadapter.Server, error) {
	if err := checkIncludes(s, log); err != nil {
		return nil, err
	}
	runner.WarnNotBuilt(&s.Core, src, log)
	if m == nil {
		m = &runner.Metrics{Metrics: ports.NopMetrics{}}
	}
	b.Meter(m)
	auths, accounts, err := newAuthenticators(s, src, b.Storage, b.Cache, log)
	if err != nil {
		return nil, err
	}
	srv := httpadapter.NewServer(runner.HTTPConfig(&s.Core, version), log, b.Checks, m.MeterAuthenticators(auths))
	m.Mount(srv)
	bus, err := newBus(s, src, b, m, log)
	if err != nil {
		return nil, err
	}
	if _, err := mountKinto(srv, b, bus, s, src, accounts, m, log); err != nil {
		return nil, err
	}
	return srv, nil
}

// newAuthenticators builds the policies of multiauth.policies, in order.
// A policy is basicauth when so named or when its
// multiauth.policy.<name>.use is Kinto's BasicAuth policy, and the accounts
// policy (returned apart too, for the account resource to invalidate the
// logins it remembers in cache) when named account or when its use is Kinto's AccountsPolicy.
// Others (OpenID) are not built into this version; they are skipped with a
// warning so that an existing kinto.ini still starts, unless none is left:
// then the settings are refused, since the operator asked for
// authentication and the server would only serve anonymous users. As in
// Kinto, a
// basicauth policy listed before the accounts policy is a settings error:
// it accepts any credentials, so accounts could never log in.
func newAuthenticators(s *settings, src *config.Source, store ports.Storage, cache ports.Cache, log logrus.FieldLogger) ([]ports.Authenticator, *auth.Accounts, error) {
	var out []ports.Authenticator
	var accounts *auth.Accounts
	basicFirst := ""
	for _, name := range s.MultiauthPolicies {
		use, _ := src.Lookup("multiauth.policy." + name + ".use")
		switch {
		case name == "basicauth" || strings.HasSuffix(use, "BasicAuthAuthenticationPolicy"):
			if basicFirst == "" {
				basicFirst = name
			}
			out = append(out, auth.NewBasic(s.UserIDHMACSecret))
		case name == kintoapp.AccountPolicy || strings.HasSuffix(use, "AccountsPolicy") || strings.HasSuffix(use, "AccountsAuthenticationPolicy"):
			if basicFirst != "" {
				return nil, nil, &config.SettingError{Setting: "multiauth.policies",
					Err: fmt.Errorf("%q must not come before %q in %q", basicFirst, name, strings.Join(s.MultiauthPolicies, " "))}
			}
			if accounts != nil {
				continue // listed twice: one policy, one cache
			}
			accounts = auth.NewAccounts(store, auth.AccountsOptions{
				Parent: kintoapp.AccountParent(),
				TTL:    time.Duration(s.AccountCacheTTLSeconds) * time.Second,
				Clock:  memory.SystemClock{},
				Cache:  cache,
				Secret: s.UserIDHMACSecret,
			})
			out = append(out, accounts)
		default:
			log.WithFields(logrus.Fields{"setting": "multiauth.policies", "policy": name, "use": use}).
				Warnf("authentication policy %q ignored: not built into this version", name)
		}
	}
	if len(out) == 0 && len(s.MultiauthPolicies) > 0 {
		return nil, nil, &config.SettingError{Setting: "multiauth.policies",
			Err: fmt.Errorf("no policy of %q is built into this version (built: basicauth, account): nobody could authenticate", strings.Join(s.MultiauthPolicies, " "))}
	}
	return out, accounts, nil
}
