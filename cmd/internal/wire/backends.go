package wire

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver of database/sql
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// BackendOptions says how a service uses the backends of config.Core.
type BackendOptions struct {
	// Service is the service's command name ("kinto"): the error about a
	// PostgreSQL schema older than this version asks to run
	// "<Service> migrate", and migrate's errors start with it.
	Service string
	// StorageOnly opens the storage backend alone, for a service that
	// keeps everything in its storage (readinglist): the cache and
	// permission settings are then ignored, Backends.Permission is nil and
	// Backends.Checks holds storage only. migrate prepares storage only.
	StorageOnly bool
}

// Backends are the backends a service runs on, their heartbeat checks and
// the connections to release at shutdown.
type Backends struct {
	Storage ports.Storage
	// Permission is nil with BackendOptions.StorageOnly.
	Permission ports.Permission
	// Units makes storage and permission writes one unit of work: a shared
	// memory store, or one PostgreSQL transaction when both backends are
	// the same database (same URL). Other combinations cannot share a
	// transaction and get ports.Unitless (each call commits alone; the
	// engine writes objects before their ACLs).
	Units ports.UnitOfWork
	// Cache is the cache_backend's cache, nil with
	// BackendOptions.StorageOnly.
	Cache ports.Cache
	// Checks are the heartbeat checks by backend name ("storage", "cache",
	// "permission"), ready for httpadapter.NewServer.
	Checks map[string]ports.HealthChecker

	closers []func() error
	// pools report the connections of each networked pool, by backend
	// name, for the pool gauges (see Meter).
	pools map[string]func() (open, inUse, idle int)
}

// addPool registers the connection counts of a backend's pool.
func (b *Backends) addPool(name string, stats func() (open, inUse, idle int)) {
	if b.pools == nil {
		b.pools = map[string]func() (open, inUse, idle int){}
	}
	b.pools[name] = stats
}

func sqlPool(db interface{ Stats() sql.DBStats }) func() (int, int, int) {
	return func() (int, int, int) {
		st := db.Stats()
		return st.OpenConnections, st.InUse, st.Idle
	}
}

func redisPool(p *redis.Pool) func() (int, int, int) {
	return func() (int, int, int) {
		open, idle := p.Stats()
		return open, open - idle, idle
	}
}

// OnClose adds fn to what Close runs, for resources built beside the
// backends (the event listeners' connections).
func (b *Backends) OnClose(fn func() error) { b.closers = append(b.closers, fn) }

// Close releases the backends' connections, logging (not returning) the
// failures: at shutdown there is nothing else to do about them.
func (b *Backends) Close(log logrus.FieldLogger) {
	for _, c := range b.closers {
		if err := c(); err != nil {
			log.WithError(err).Warn("closing a backend")
		}
	}
}

// OpenBackends builds the backend of each backend setting of core. Storage
// and permission run on memory, on Redis (keys under "storage:" and
// "permission:", one pool when both have the same URL) or on PostgreSQL, whose schema
// "<Service> migrate" prepares: a database whose schema is older than this
// version's is refused, so that a node never serves 500s from missing
// tables. The cache runs on memory, PostgreSQL or Redis (see openCache). clock stamps
// the records of a memory storage and of a PostgreSQL one alike.
//
// A backend this version cannot serve is a *config.SettingError; a
// database that cannot be reached or is not migrated is another error. On
// error, the connections opened so far are closed.
func OpenBackends(ctx context.Context, core *config.Core, clock domain.Clock, opts BackendOptions) (_ *Backends, err error) {
	b := &Backends{Checks: map[string]ports.HealthChecker{}}
	defer func() {
		if err != nil { // release the pools opened so far
			for _, c := range b.closers {
				_ = c()
			}
		}
	}()

	storage := storageBackend(core)
	permission := permissionBackend(core)
	// A storage-only service still gets a store's storage, for its units.
	shared := opts.StorageOnly || (storage.value == permission.value && storage.url == permission.url)
	switch storage.value {
	case config.BackendMemory:
		if shared {
			st := memory.NewStore(clock)
			b.Storage, b.Permission, b.Units = st.Storage(), st.Permission(), st
			if opts.StorageOnly {
				b.Permission = nil
			}
		} else {
			b.Storage = memory.NewStorage(clock)
		}
	case config.BackendPostgreSQL:
		db, err := storage.open(ctx, opts.Service, true)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, db.Close)
		b.addPool("storage", sqlPool(db))
		if shared {
			st := postgres.NewStore(db, clock)
			b.Storage, b.Permission, b.Units = st.Storage(), st.Permission(), st
			if opts.StorageOnly {
				b.Permission = nil
			}
		} else {
			b.Storage = postgres.NewStorage(db, clock)
		}
	case config.BackendRedis:
		pool, err := storage.openRedis(ctx)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, pool.Close)
		b.addPool("storage", redisPool(pool))
		if shared {
			st := redis.NewStore(pool, clock, redis.StoreOptions{StoragePrefix: redisStoragePrefix,
				PermissionPrefix: redisPermissionPrefix, UnitPrefix: redisUnitPrefix, LockTimeout: storage.bounds.StatementTimeout})
			b.Storage, b.Permission, b.Units = st.Storage(), st.Permission(), st
			if opts.StorageOnly {
				b.Permission = nil
			}
		} else {
			b.Storage = redis.NewStorage(pool, redisStoragePrefix, clock)
		}
	default:
		return nil, storage.notBuilt()
	}
	b.Checks["storage"] = b.Storage
	if opts.StorageOnly {
		return b, nil
	}

	cache, closeCache, err := openCache(ctx, core, opts.Service)
	if err != nil {
		return nil, err
	}
	if closeCache != nil {
		b.closers = append(b.closers, closeCache)
	}
	b.Cache = cache
	b.Checks["cache"] = cache

	switch {
	case b.Units != nil: // shared with storage
	case permission.value == config.BackendMemory:
		b.Permission = memory.NewPermission()
	case permission.value == config.BackendPostgreSQL:
		db, err := permission.open(ctx, opts.Service, true)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, db.Close)
		b.addPool("permission", sqlPool(db))
		b.Permission = postgres.NewPermission(db)
	case permission.value == config.BackendRedis:
		pool, err := permission.openRedis(ctx)
		if err != nil {
			return nil, err
		}
		b.closers = append(b.closers, pool.Close)
		b.addPool("permission", redisPool(pool))
		b.Permission = redis.NewPermission(pool, redisPermissionPrefix)
	default:
		return nil, permission.notBuilt()
	}
	if b.Units == nil {
		b.Units = ports.Unitless{S: b.Storage, P: b.Permission}
	}
	b.Checks["permission"] = b.Permission
	return b, nil
}

// backendSetting is one storage-like backend setting: storage or
// permission, which run on memory or PostgreSQL.
type backendSetting struct {
	name    string // "storage", as the heartbeat and the errors say
	setting string // "storage_backend"
	value   config.Backend
	url     string
	pool    postgresPool
	bounds  postgres.Bounds
}

func storageBackend(core *config.Core) backendSetting {
	pool, connect, statement := core.StorageBounds()
	return backendSetting{"storage", "storage_backend", core.StorageBackend, core.StorageURL,
		postgresPool{core.StoragePoolSize, core.StorageMaxOverflow, core.StoragePoolRecycle},
		postgres.Bounds{ConnectTimeout: connect, StatementTimeout: statement, PoolTimeout: pool}}
}

func permissionBackend(core *config.Core) backendSetting {
	pool, connect, statement := core.PermissionBounds()
	return backendSetting{"permission", "permission_backend", core.PermissionBackend, core.PermissionURL,
		postgresPool{core.PermissionPoolSize, core.PermissionMaxOverflow, core.PermissionPoolRecycle},
		postgres.Bounds{ConnectTimeout: connect, StatementTimeout: statement, PoolTimeout: pool}}
}

// notBuilt is the error of a value this version cannot serve; config
// may accept a value a service does not build.
func (b backendSetting) notBuilt() error {
	return &config.SettingError{Setting: b.setting,
		Err: fmt.Errorf("backend %q is not built into this version (want memory, postgresql or redis)", b.value)}
}

// postgresPool is the connection pool of one PostgreSQL backend, in
// Kinto's SQLAlchemy terms: size connections kept, overflow more allowed
// under load, recycled after recycle seconds (-1: never).
type postgresPool struct {
	size, overflow, recycle int
}

// open connects the backend to its PostgreSQL database, sizes the pool and
// bounds its waits (connect, statement and pool timeouts). With
// checkSchema, it also refuses a database whose schema is older than this
// version's, naming the command of service that upgrades it.
func (b backendSetting) open(ctx context.Context, service string, checkSchema bool) (*sqlx.DB, error) {
	db, err := postgres.Open(b.url, b.bounds)
	if err != nil {
		return nil, fmt.Errorf("%s database: %w", b.name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect %s database: %w", b.name, err)
	}
	if b.pool.size > 0 {
		db.SetMaxIdleConns(b.pool.size)
		db.SetMaxOpenConns(b.pool.size + max(b.pool.overflow, 0))
	}
	if b.pool.recycle > 0 {
		db.SetConnMaxLifetime(time.Duration(b.pool.recycle) * time.Second)
	}
	if checkSchema {
		have, err := postgres.AppliedSchemaVersion(ctx, db)
		switch want := postgres.SchemaVersion(); {
		case err != nil:
		case have < want:
			err = fmt.Errorf("schema version %d, want %d: run `%s migrate` first", have, want, service)
		case have > want:
			err = fmt.Errorf("schema version %d is newer than this binary's %d: upgrade the binary", have, want)
		}
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("%s database: %w", b.name, err)
		}
	}
	return db, nil
}

// MigrateCommand returns the migrate command of a service, for its
// Commands map: it creates or upgrades the tables of its PostgreSQL
// backends (safe to run from several nodes at once) and reports each
// schema's version on Stdout. The memory backends have none. A backend
// this version cannot serve, an unreachable database or a failed migration
// exit with runner.ExitFailure and one line on Stderr.
func MigrateCommand[S any](opts BackendOptions) runner.Command[S] {
	return func(ctx context.Context, env *runner.Env[S]) int {
		core := env.Core()
		fail := func(err error) int {
			fmt.Fprintf(env.Stderr, "%s: migrate: %v\n", opts.Service, err)
			return runner.ExitFailure
		}
		fs := flag.NewFlagSet(opts.Service+" migrate", flag.ContinueOnError)
		dryRun := fs.Bool("dry-run", false, "print the migrations that would be applied, and apply none")
		if !env.ParseFlags(fs) {
			return runner.ExitUsage
		}
		if fs.NArg() > 0 {
			fmt.Fprintf(env.Stderr, "%s: migrate: unexpected argument %q\n", opts.Service, fs.Arg(0))
			return runner.ExitUsage
		}
		targets := []backendSetting{storageBackend(core)}
		if !opts.StorageOnly {
			targets = append(targets, permissionBackend(core))
			// A memory or Redis cache keeps no schema.
			if core.CacheBackend == config.BackendPostgreSQL {
				targets = append(targets, cacheBackend(core))
			}
		}
		migrated := false
		for _, b := range targets {
			switch b.value {
			case config.BackendMemory, config.BackendRedis:
				continue // no schema
			case config.BackendPostgreSQL:
			default:
				return fail(b.notBuilt())
			}
			// One connection is enough, and the schema check is what
			// migrate exists to fix.
			b.pool = postgresPool{size: 1}
			// A migration may rightly run long (an index on a big table)
			// or wait for another node's migration to finish: the
			// statement timeout of requests does not apply to it.
			b.bounds.StatementTimeout = 0
			db, err := b.open(ctx, opts.Service, false)
			if err != nil {
				return fail(err)
			}
			if *dryRun {
				pending, err := postgres.PendingMigrations(ctx, db)
				db.Close()
				if err != nil {
					return fail(fmt.Errorf("%s database: %w", b.name, err))
				}
				if len(pending) == 0 {
					fmt.Fprintf(env.Stdout, "migrate --dry-run: %s (postgresql): up to date (version %d)\n", b.name, postgres.SchemaVersion())
				}
				for _, name := range pending {
					fmt.Fprintf(env.Stdout, "migrate --dry-run: %s (postgresql): would apply %s\n", b.name, name)
				}
				migrated = true
				continue
			}
			err = postgres.Migrate(ctx, db)
			db.Close()
			if err != nil {
				return fail(fmt.Errorf("%s database: %w", b.name, err))
			}
			fmt.Fprintf(env.Stdout, "migrate: %s (postgresql): schema at version %d\n", b.name, postgres.SchemaVersion())
			migrated = true
		}
		if !migrated {
			fmt.Fprintln(env.Stdout, "migrate: memory and Redis backends keep no schema; nothing to do")
		}
		return runner.ExitOK
	}
}
