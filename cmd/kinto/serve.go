package main

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// serve builds the service from s, listens, and serves until ctx ends;
// then it stops accepting connections, lets in-flight requests finish
// within shutdown_timeout_seconds and closes the backends. Errors about a
// setting are *config.SettingError and happen before listening.
func serve(ctx context.Context, s *settings, src *config.Source, log *logrus.Logger, onListen func(net.Addr)) error {
	b, err := newBackends(s)
	if err != nil {
		return err
	}
	defer b.close(log)

	auths, accounts, err := newAuthenticators(s, src, b.storage, log)
	if err != nil {
		return err
	}
	srv := httpadapter.NewServer(httpConfig(s, version), log, b.checks, auths)
	mountKinto(srv, b, s, src, accounts)

	addr := net.JoinHostPort(s.HTTPHost, strconv.Itoa(s.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	fields := logrus.Fields{"addr": ln.Addr().String(), "version": version, "ini": src.INIPath(),
		"storage_backend": s.StorageBackend, "cache_backend": s.CacheBackend, "permission_backend": s.PermissionBackend}
	log.WithFields(fields).Infof("%s listening on http://%s%s/", s.ProjectName, ln.Addr(), srv.Prefix())
	if onListen != nil {
		onListen(ln.Addr())
	}
	return serveUntilDone(ctx, ln, srv.Handler(), s.ShutdownTimeout(), log)
}

// serveUntilDone serves h on ln until ctx ends, then shuts down
// gracefully: the listener closes at once, requests being handled get
// until timeout to finish, and whatever is left is then cut.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration, log *logrus.Logger) error {
	errorLog := log.WriterLevel(logrus.WarnLevel)
	defer errorLog.Close()
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          stdlog.New(errorLog, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.WithField("timeout", timeout.String()).Info("shutting down: finishing in-flight requests")
	// ctx is already done; the grace period needs a fresh one.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		_ = hs.Close() // the grace period is over: drop what is left
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// backends holds the storage, cache and permission backends, their
// heartbeat checks and how to release them at shutdown.
type backends struct {
	storage    ports.Storage
	permission ports.Permission
	checks     map[string]ports.HealthChecker
	closers    []func() error
}

// newBackends picks the backend of each backend setting. Only the memory
// backends are built into this version; the PostgreSQL and Redis adapters
// join this switch in the issues that add them.
func newBackends(s *settings) (*backends, error) {
	b := &backends{checks: map[string]ports.HealthChecker{}}
	notBuilt := func(setting string, v config.Backend) error {
		return &config.SettingError{Setting: setting,
			Err: fmt.Errorf("backend %q is not built into this version (want memory)", v)}
	}

	switch s.StorageBackend {
	case config.BackendMemory:
		b.storage = memory.NewStorage(memory.SystemClock{})
	default:
		return nil, notBuilt("storage_backend", s.StorageBackend)
	}
	b.checks["storage"] = b.storage

	switch s.CacheBackend {
	case config.BackendMemory:
		// The memory cache adapter comes with the cache port; until then
		// the heartbeat reports the in-process cache as healthy.
		b.checks["cache"] = inProcess{}
	default:
		return nil, notBuilt("cache_backend", s.CacheBackend)
	}

	switch s.PermissionBackend {
	case config.BackendMemory:
		b.permission = memory.NewPermission()
	default:
		return nil, notBuilt("permission_backend", s.PermissionBackend)
	}
	b.checks["permission"] = b.permission
	return b, nil
}

func (b *backends) close(log logrus.FieldLogger) {
	for _, c := range b.closers {
		if err := c(); err != nil {
			log.WithError(err).Warn("closing a backend")
		}
	}
}

// inProcess is the heartbeat check of a backend that lives in the
// process's memory: there is no connection that could be down, so it is
// healthy for as long as the process answers.
type inProcess struct{}

// Healthy always succeeds.
func (inProcess) Healthy(context.Context) error { return nil }

// newAuthenticators builds the policies of multiauth.policies, in order.
// A policy is basicauth when so named or when its
// multiauth.policy.<name>.use is Kinto's BasicAuth policy, and the accounts
// policy (returned apart too, for the account resource to invalidate its
// cache) when named account or when its use is Kinto's AccountsPolicy.
// Others (OpenID) are not built into this version; they are skipped with a
// warning so that an existing kinto.ini still starts. As in Kinto, a
// basicauth policy listed before the accounts policy is a settings error:
// it accepts any credentials, so accounts could never log in.
func newAuthenticators(s *settings, src *config.Source, store ports.Storage, log logrus.FieldLogger) ([]ports.Authenticator, *auth.Accounts, error) {
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
				Cost:   s.AccountBcryptCost,
			})
			out = append(out, accounts)
		default:
			log.WithFields(logrus.Fields{"policy": name, "use": use}).Warn("authentication policy not supported by this version; ignored")
		}
	}
	return out, accounts, nil
}
