package main

import (
	"context"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// serve builds the service from the settings and serves it until ctx
// ends; then it stops accepting connections and lets in-flight requests
// finish within shutdown_timeout_seconds. Errors about a setting are
// *config.SettingError and happen before listening.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	s, log := env.Settings, env.Log
	store, err := newStorage(s)
	if err != nil {
		return err
	}
	srv := newServer(runner.HTTPConfig(&s.Core, version), log, store, memory.SystemClock{}, newAuthenticators(s, env.Source, log))
	return env.ListenAndServe(ctx, srv, logrus.Fields{"storage_backend": s.StorageBackend})
}

// newStorage builds the storage backend of storage_backend. readinglist
// keeps everything in its storage: it uses neither a cache nor a
// permission backend, so their settings are ignored.
func newStorage(s *settings) (ports.Storage, error) {
	switch s.StorageBackend {
	case config.BackendMemory:
		return memory.NewStorage(memory.SystemClock{}), nil
	}
	return nil, notBuilt("storage_backend", s.StorageBackend)
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
		log.WithFields(logrus.Fields{"policy": name, "use": use}).Warn("authentication policy not supported by this version; ignored")
	}
	return out
}
