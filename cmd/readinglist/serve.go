package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// backendOptions is how readinglist uses its backends: it keeps everything
// in its storage, so it opens no cache and no permission backend and
// ignores their settings; `readinglist migrate` prepares a PostgreSQL
// storage.
var backendOptions = runner.BackendOptions{Service: "readinglist", StorageOnly: true}

// serve builds the service from the settings and serves it until ctx
// ends; then it stops accepting connections, lets in-flight requests
// finish within shutdown_timeout_seconds and closes the storage. Errors
// about a setting are *config.SettingError and happen before listening.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	s, log := env.Settings, env.Log
	clock := memory.SystemClock{}
	b, err := runner.OpenBackends(ctx, &s.Core, clock, backendOptions)
	if err != nil {
		return err
	}
	defer b.Close(log)
	runner.WarnNotBuilt(&s.Core, env.Source, log)
	m, err := runner.OpenMetrics(&s.Core, env.Source, log)
	if err != nil {
		return err
	}
	defer m.Close()
	b.Meter(m)
	auths := newAuthenticators(s, env.Source, log)
	if len(auths) == 0 && len(s.MultiauthPolicies) > 0 {
		// Authentication was asked for: serving anonymous users only
		// would not be what the operator configured.
		return &config.SettingError{Setting: "multiauth.policies",
			Err: fmt.Errorf("no policy of %q is built into this version (built: basicauth): nobody could authenticate", strings.Join(s.MultiauthPolicies, " "))}
	}
	srv := newServer(runner.HTTPConfig(&s.Core, version), log, b.Storage, b.Units, clock, m.MeterAuthenticators(auths))
	m.Mount(srv)
	return env.ListenAndServe(ctx, srv, logrus.Fields{"storage_backend": s.StorageBackend})
}

// newAuthenticators builds the policies of multiauth.policies, in order:
// basicauth when so named or when multiauth.policy.<name>.use is Kinto's
// BasicAuth policy. Others are skipped with a warning.
func newAuthenticators(s *settings, src *config.Source, log logrus.FieldLogger) []ports.Authenticator {
	var out []ports.Authenticator
	for _, name := range s.MultiauthPolicies {
		use, _ := src.Lookup("multiauth.policy." + name + ".use")
		if name == "basicauth" || strings.HasSuffix(use, "BasicAuthAuthenticationPolicy") {
			if s.UserIDHMACSecret == "" {
				log.Warn("userid_hmac_secret is empty: basicauth user ids are guessable; set READINGLIST_USERID_HMAC_SECRET")
			}
			out = append(out, auth.NewBasic(s.UserIDHMACSecret))
			continue
		}
		log.WithFields(logrus.Fields{"setting": "multiauth.policies", "policy": name, "use": use}).
			Warnf("authentication policy %q ignored: not built into this version", name)
	}
	return out
}
