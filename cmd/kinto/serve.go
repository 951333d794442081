package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver of database/sql
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// serve builds the service from the settings and serves it until ctx
// ends; then it stops accepting connections, lets in-flight requests
// finish within shutdown_timeout_seconds and closes the backends. Errors
// about a setting are *config.SettingError and happen before listening.
func serve(ctx context.Context, env *runner.Env[settings]) error {
	s, log := env.Settings, env.Log
	b, err := newBackends(s)
	if err != nil {
		return err
	}
	defer b.close(log)

	srv, err := newServer(s, env.Source, b, log)
	if err != nil {
		return err
	}
	return env.ListenAndServe(ctx, srv, logrus.Fields{
		"storage_backend": s.StorageBackend, "cache_backend": s.CacheBackend, "permission_backend": s.PermissionBackend})
}

// newServer builds the Kinto HTTP service over the backends b: the
// authentication policies, the utility endpoints, Kinto's resources and
// the batch endpoint. serve and the tests call it alike, so the tests
// exercise the real wiring. Its errors are *config.SettingError.
func newServer(s *settings, src *config.Source, b *backends, log logrus.FieldLogger) (*httpadapter.Server, error) {
	auths, accounts, err := newAuthenticators(s, src, b.storage, log)
	if err != nil {
		return nil, err
	}
	srv := httpadapter.NewServer(runner.HTTPConfig(&s.Core, version), log, b.checks, auths)
	mountKinto(srv, b, s, src, accounts)
	return srv, nil
}

// backends holds the storage, cache and permission backends, their
// heartbeat checks and how to release them at shutdown.
type backends struct {
	storage    ports.Storage
	permission ports.Permission
	checks     map[string]ports.HealthChecker
	closers    []func() error
}

// newBackends picks the backend of each backend setting. Storage and
// permission run on memory or PostgreSQL (whose schema `kinto migrate`
// prepares); the cache runs on memory until its adapters exist.
func newBackends(s *settings) (_ *backends, err error) {
	b := &backends{checks: map[string]ports.HealthChecker{}}
	defer func() {
		if err != nil { // release the pools opened so far
			for _, c := range b.closers {
				_ = c()
			}
		}
	}()
	notBuilt := func(setting string, v config.Backend) error {
		return &config.SettingError{Setting: setting,
			Err: fmt.Errorf("backend %q is not built into this version (want memory or postgresql)", v)}
	}

	switch s.StorageBackend {
	case config.BackendMemory:
		b.storage = memory.NewStorage(memory.SystemClock{})
	case config.BackendPostgreSQL:
		db, err := openPostgres(context.Background(), "storage", s.StorageURL, postgresPool{s.StoragePoolSize, s.StorageMaxOverflow, s.StoragePoolRecycle}, true)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, db.Close)
		b.storage = postgres.NewStorage(db, memory.SystemClock{})
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
		return nil, &config.SettingError{Setting: "cache_backend",
			Err: fmt.Errorf("backend %q is not built into this version (want memory)", s.CacheBackend)}
	}

	switch s.PermissionBackend {
	case config.BackendMemory:
		b.permission = memory.NewPermission()
	case config.BackendPostgreSQL:
		db, err := openPostgres(context.Background(), "permission", s.PermissionURL, postgresPool{s.PermissionPoolSize, s.PermissionMaxOverflow, s.PermissionPoolRecycle}, true)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, db.Close)
		b.permission = postgres.NewPermission(db)
	default:
		return nil, notBuilt("permission_backend", s.PermissionBackend)
	}
	b.checks["permission"] = b.permission
	return b, nil
}

// postgresPool is the connection pool of one PostgreSQL backend, in
// Kinto's SQLAlchemy terms: size connections kept, overflow more allowed
// under load, recycled after recycle seconds (-1: never).
type postgresPool struct {
	size, overflow, recycle int
}

// openPostgres connects one backend ("storage", "permission") to url and
// sizes its pool. With checkSchema, it also refuses a database whose schema
// is older than this version's, naming the command that upgrades it, so
// that a node never serves 500s from missing tables.
func openPostgres(ctx context.Context, backend, url string, pool postgresPool, checkSchema bool) (*sqlx.DB, error) {
	db, err := sqlx.ConnectContext(ctx, "postgres", url)
	if err != nil {
		return nil, fmt.Errorf("connect %s database: %w", backend, err)
	}
	if pool.size > 0 {
		db.SetMaxIdleConns(pool.size)
		db.SetMaxOpenConns(pool.size + max(pool.overflow, 0))
	}
	if pool.recycle > 0 {
		db.SetConnMaxLifetime(time.Duration(pool.recycle) * time.Second)
	}
	if checkSchema {
		have, err := postgres.AppliedSchemaVersion(ctx, db)
		if err == nil && have < postgres.SchemaVersion() {
			err = fmt.Errorf("schema version %d, want %d: run `kinto migrate` first", have, postgres.SchemaVersion())
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("%s database: %w", backend, err)
		}
	}
	return db, nil
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
			})
			out = append(out, accounts)
		default:
			log.WithFields(logrus.Fields{"policy": name, "use": use}).Warn("authentication policy not supported by this version; ignored")
		}
	}
	return out, accounts, nil
}
