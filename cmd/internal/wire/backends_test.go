package wire_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// postgresURLVar names the database of the PostgreSQL tests. Unset, they
// skip; set but unreachable, they fail.
const postgresURLVar = "CLIQUET_TEST_POSTGRES_URL"

// unreachablePostgres refuses connections at once.
const unreachablePostgres = "postgresql://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"

// fixedClock stamps every write at the same millisecond, so that the
// tests can tell OpenBackends handed it to the storage.
type fixedClock int64

func (c fixedClock) NowMillis() int64 { return int64(c) }

const stamp = fixedClock(1_700_000_000_000)

// demoOptions are the backend options of the demo service.
var demoOptions = wire.BackendOptions{Service: "demo"}

// migrating is the demo service with a migrate command built from opts.
func migrating(opts wire.BackendOptions) runner.Service[demoSettings] {
	svc := demo()
	svc.Commands = map[string]runner.Command[demoSettings]{"migrate": wire.MigrateCommand[demoSettings](opts)}
	return svc
}

// loadCore loads the demo settings from a clean environment plus env.
func loadCore(t *testing.T, env map[string]string) *config.Core {
	t.Helper()
	cleanEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	s, _, err := demo().Load("")
	if err != nil {
		t.Fatalf("Load(%v): %v", env, err)
	}
	return &s.Core
}

// checkNames returns the sorted names of b's heartbeat checks.
func checkNames(b *wire.Backends) []string {
	var names []string
	for name := range b.Checks {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// exercise writes and reads one record and, when there is a permission
// backend, one ACL entry, failing t when a backend does not work or does
// not stamp with stamp.
func exercise(t *testing.T, b *wire.Backends) {
	t.Helper()
	ctx := context.Background()
	for name, c := range b.Checks {
		if err := c.Healthy(ctx); err != nil {
			t.Errorf("Checks[%s].Healthy: %v, want nil", name, err)
		}
	}
	p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	rec, err := b.Storage.Create(ctx, p, domain.Record{ID: "r1", Data: map[string]any{"n": "x"}}, nil)
	if err != nil {
		t.Fatalf("Storage.Create: %v", err)
	}
	if rec.LastModified != int64(stamp) {
		t.Errorf("Create: last_modified %d, want the clock's %d", rec.LastModified, stamp)
	}
	if got, err := b.Storage.Get(ctx, p, "r1"); err != nil || got.Data["n"] != "x" {
		t.Errorf("Storage.Get(r1) = %v, %v; want the created record", got, err)
	}
	if b.Permission == nil {
		if b.Cache != nil {
			t.Errorf("Cache = %v with StorageOnly, want nil", b.Cache)
		}
		return
	}
	if err := b.Cache.Set(ctx, "k", []byte(`"v"`), time.Minute); err != nil {
		t.Fatalf("Cache.Set: %v", err)
	}
	if v, ok, err := b.Cache.Get(ctx, "k"); err != nil || !ok || string(v) != `"v"` {
		t.Errorf("Cache.Get = %s, %v, %v; want \"v\"", v, ok, err)
	}
	if err := b.Cache.Flush(ctx); err != nil {
		t.Errorf("Cache.Flush: %v", err)
	}
	obj := "/buckets/b"
	if err := b.Permission.AddPrincipal(ctx, obj, "write", "account:alice"); err != nil {
		t.Fatalf("Permission.AddPrincipal: %v", err)
	}
	acl, err := b.Permission.ObjectACL(ctx, obj)
	if err != nil || !slices.Contains(acl["write"], "account:alice") {
		t.Errorf("Permission.ObjectACL(%s) = %v, %v; want write: account:alice", obj, acl, err)
	}
}

// quietLog is a logger that records its output.
func quietLog() (*logrus.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	log := logrus.New()
	log.SetOutput(&buf)
	return log, &buf
}

func TestOpenBackendsOnMemory(t *testing.T) {
	tests := []struct {
		name           string
		env            map[string]string
		opts           wire.BackendOptions
		wantChecks     []string
		wantPermission bool
	}{
		{name: "defaults", opts: demoOptions, wantChecks: []string{"cache", "permission", "storage"}, wantPermission: true},
		{name: "storage only ignores the cache and permission settings", opts: wire.BackendOptions{Service: "demo", StorageOnly: true},
			env: map[string]string{
				"DEMO_CACHE_BACKEND": "redis", "DEMO_CACHE_URL": "redis://x",
				"DEMO_PERMISSION_BACKEND": "postgresql", "DEMO_PERMISSION_URL": unreachablePostgres,
			},
			wantChecks: []string{"storage"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := loadCore(t, tt.env)
			b, err := wire.OpenBackends(context.Background(), core, stamp, tt.opts)
			if err != nil {
				t.Fatalf("OpenBackends: %v", err)
			}
			log, logs := quietLog()
			defer func() {
				b.Close(log)
				if logs.Len() != 0 {
					t.Errorf("Close logged %q, want nothing", logs.String())
				}
			}()
			if got := checkNames(b); !reflect.DeepEqual(got, tt.wantChecks) {
				t.Errorf("Checks = %q, want %q", got, tt.wantChecks)
			}
			if (b.Permission != nil) != tt.wantPermission {
				t.Errorf("Permission = %v, want one: %v", b.Permission, tt.wantPermission)
			}
			exercise(t, b)
		})
	}
}

func TestOpenBackendsRefusesBackendsNotBuilt(t *testing.T) {
	tests := []struct {
		name    string
		core    func(*config.Core)
		setting string
		message string
	}{
		{"cache redis url", func(c *config.Core) { c.CacheBackend, c.CacheURL = config.BackendRedis, "http://x" },
			"cache_url", `setting cache_url: redis url: scheme "http", want redis or rediss`},
		{"cache unknown", func(c *config.Core) { c.CacheBackend = "memcached" },
			"cache_backend", `setting cache_backend: backend "memcached" is not built into this version (want memory, postgresql or redis)`},
		{"permission redis url", func(c *config.Core) { c.PermissionBackend, c.PermissionURL = config.BackendRedis, "http://x" },
			"permission_url", `setting permission_url: redis url: scheme "http", want redis or rediss`},
		{"storage redis url", func(c *config.Core) { c.StorageBackend, c.StorageURL = config.BackendRedis, "redis://x/db" },
			"storage_url", `setting storage_url: redis url: database "db" is not a number`},
		// A service that builds Core itself may still pass anything.
		{"storage unknown", func(c *config.Core) { c.StorageBackend = "cassandra" },
			"storage_backend", `setting storage_backend: backend "cassandra" is not built into this version (want memory, postgresql or redis)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := loadCore(t, nil)
			tt.core(core)
			b, err := wire.OpenBackends(context.Background(), core, stamp, demoOptions)
			var se *config.SettingError
			if !errors.As(err, &se) || se.Setting != tt.setting {
				t.Fatalf("OpenBackends = %v, %v; want a *config.SettingError for %s", b, err, tt.setting)
			}
			if err.Error() != tt.message {
				t.Errorf("OpenBackends: error %q, want %q", err, tt.message)
			}
		})
	}
}

func TestOpenBackendsUnreachablePostgres(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"storage", map[string]string{"DEMO_STORAGE_BACKEND": "postgresql", "DEMO_STORAGE_URL": unreachablePostgres}, "connect storage database: "},
		{"permission", map[string]string{"DEMO_PERMISSION_BACKEND": "postgresql", "DEMO_PERMISSION_URL": unreachablePostgres}, "connect permission database: "},
		{"cache", map[string]string{"DEMO_CACHE_BACKEND": "postgresql", "DEMO_CACHE_URL": unreachablePostgres}, "connect cache database: "},
		{"redis cache", map[string]string{"DEMO_CACHE_BACKEND": "redis", "DEMO_CACHE_URL": "redis://127.0.0.1:1/0"}, "connect cache redis: "},
		{"redis storage", map[string]string{"DEMO_STORAGE_BACKEND": "kinto.core.storage.redis", "DEMO_STORAGE_URL": "redis://127.0.0.1:1/0"}, "connect storage redis: "},
		{"redis permission", map[string]string{"DEMO_PERMISSION_BACKEND": "kinto_redis.permission", "DEMO_PERMISSION_URL": "redis://127.0.0.1:1/0"}, "connect permission redis: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core := loadCore(t, tt.env)
			b, err := wire.OpenBackends(context.Background(), core, stamp, demoOptions)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("OpenBackends = %v, %v; want an error starting %q", b, err, tt.want)
			}
			var se *config.SettingError
			if errors.As(err, &se) {
				t.Errorf("OpenBackends: %v is a *config.SettingError, want a runtime failure (exit 1, not 2)", err)
			}
		})
	}
}

func TestMigrateCommand(t *testing.T) {
	tests := []struct {
		name   string
		opts   wire.BackendOptions
		env    map[string]string
		code   int
		stdout string
		stderr string // the whole of stderr
	}{
		{name: "memory", opts: demoOptions, code: runner.ExitOK,
			stdout: "migrate: memory and Redis backends keep no schema; nothing to do\n"},
		{name: "redis cache keeps no schema", opts: demoOptions, code: runner.ExitOK,
			env:    map[string]string{"DEMO_CACHE_BACKEND": "kinto_redis.cache", "DEMO_CACHE_URL": "redis://127.0.0.1:1/0"},
			stdout: "nothing to do"},
		{name: "unreachable cache", opts: demoOptions, code: runner.ExitFailure,
			env:    map[string]string{"DEMO_CACHE_BACKEND": "kinto.core.cache.postgresql", "DEMO_CACHE_URL": unreachablePostgres},
			stderr: "demo: migrate: connect cache database: "},
		{name: "redis storage and permission keep no schema", opts: demoOptions, code: runner.ExitOK,
			env: map[string]string{"DEMO_PERMISSION_BACKEND": "redis", "DEMO_PERMISSION_URL": "redis://127.0.0.1:1/0",
				"DEMO_STORAGE_BACKEND": "redis", "DEMO_STORAGE_URL": "redis://127.0.0.1:1/0"},
			stdout: "migrate: memory and Redis backends keep no schema; nothing to do\n"},
		{name: "storage only ignores the cache and permission", opts: wire.BackendOptions{Service: "demo", StorageOnly: true}, code: runner.ExitOK,
			env: map[string]string{"DEMO_CACHE_BACKEND": "redis", "DEMO_CACHE_URL": "redis://x",
				"DEMO_PERMISSION_BACKEND": "postgresql", "DEMO_PERMISSION_URL": unreachablePostgres},
			stdout: "nothing to do"},
		{name: "unreachable storage", opts: demoOptions, code: runner.ExitFailure,
			env:    map[string]string{"DEMO_STORAGE_BACKEND": "postgresql", "DEMO_STORAGE_URL": unreachablePostgres},
			stderr: "demo: migrate: connect storage database: "},
		{name: "unreachable permission", opts: demoOptions, code: runner.ExitFailure,
			env:    map[string]string{"DEMO_PERMISSION_BACKEND": "postgresql", "DEMO_PERMISSION_URL": unreachablePostgres},
			stderr: "demo: migrate: connect permission database: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := migrating(tt.opts)
			runnertest.CleanEnv(t, svc)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runnertest.Run(t, svc, "migrate")
			if code != tt.code {
				t.Errorf("migrate: exit %d, want %d (stdout %q, stderr %q)", code, tt.code, out, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("migrate: stdout %q, want it to contain %q", out, tt.stdout)
			}
			if tt.stderr == "" && errOut != "" || !strings.HasPrefix(errOut, tt.stderr) || strings.Count(errOut, "\n") > 1 {
				t.Errorf("migrate: stderr %q, want one line starting %q", errOut, tt.stderr)
			}
		})
	}
}

// postgresURL returns the test database URL or skips t.
func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv(postgresURLVar)
	if u == "" {
		t.Skipf("%s not set: PostgreSQL backend tests skipped (example: %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable')", postgresURLVar, postgresURLVar)
	}
	return u
}

func TestOpenBackendsAndMigrateOnPostgres(t *testing.T) {
	dsn := runnertest.FreshPostgresSchema(t, postgresURL(t))
	env := map[string]string{
		"DEMO_STORAGE_BACKEND": "postgresql", "DEMO_STORAGE_URL": dsn,
		"DEMO_PERMISSION_BACKEND": "postgresql", "DEMO_PERMISSION_URL": dsn,
		"DEMO_STORAGE_POOL_SIZE": "2", "DEMO_STORAGE_POOL_RECYCLE": "60",
		"DEMO_CACHE_BACKEND": "kinto.core.cache.postgresql", "DEMO_CACHE_URL": dsn, "DEMO_CACHE_PREFIX": "demo:",
	}
	core := loadCore(t, env)
	ctx := context.Background()

	// Before migrate, the schema is missing: the error names the command.
	b, err := wire.OpenBackends(ctx, core, stamp, demoOptions)
	if err == nil || !strings.HasPrefix(err.Error(), "storage database: schema version 0, want ") ||
		!strings.HasSuffix(err.Error(), ": run `demo migrate` first") {
		t.Fatalf("OpenBackends before migrate = %v, %v; want the schema error asking for `demo migrate`", b, err)
	}
	var se *config.SettingError
	if errors.As(err, &se) {
		t.Errorf("OpenBackends before migrate: %v is a *config.SettingError, want a runtime failure", err)
	}

	svc := migrating(demoOptions)
	for run := 1; run <= 2; run++ { // migrate is idempotent
		code, out, errOut := runnertest.Run(t, svc, "migrate")
		if code != runner.ExitOK || errOut != "" {
			t.Fatalf("migrate run %d: exit %d, stderr %q; want 0 and no error", run, code, errOut)
		}
		for _, backend := range []string{"storage", "permission", "cache"} {
			if want := "migrate: " + backend + " (postgresql): schema at version "; !strings.Contains(out, want) {
				t.Errorf("migrate run %d: stdout %q, want %q", run, out, want)
			}
		}
	}

	b, err = wire.OpenBackends(ctx, core, stamp, demoOptions)
	if err != nil {
		t.Fatalf("OpenBackends after migrate: %v", err)
	}
	log, logs := quietLog()
	defer func() {
		b.Close(log)
		if logs.Len() != 0 {
			t.Errorf("Close logged %q, want nothing", logs.String())
		}
	}()
	if got, want := checkNames(b), []string{"cache", "permission", "storage"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Checks = %q, want %q", got, want)
	}
	exercise(t, b)

	// The pool gauges: sampled at once, then every interval.
	g := &gauges{}
	wire.SamplePools(b, g, 5*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for g.count("storage open") < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if open := g.last("storage open"); g.count("storage open") < 2 || open < 1 || open > 2 {
		t.Errorf("storage pool gauge sampled %d times, last open %v; want repeated samples of 1 or 2 (pool size 2)", g.count("storage open"), open)
	}
	if _, ok := g.values["storage in_use"]; !ok {
		t.Errorf("gauges %v lack storage in_use", g.values)
	}
}

// gauges records the backend_pool_connections gauges by "backend state".
type gauges struct {
	ports.NopMetrics
	mu     sync.Mutex
	values map[string][]float64
}

func (g *gauges) Gauge(key string, v float64, labels ...ports.Label) {
	if key != "backend_pool_connections" || len(labels) != 2 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.values == nil {
		g.values = map[string][]float64{}
	}
	k := labels[0].Value + " " + labels[1].Value
	g.values[k] = append(g.values[k], v)
}

func (g *gauges) count(k string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.values[k])
}

func (g *gauges) last(k string) float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	vs := g.values[k]
	if len(vs) == 0 {
		return -1
	}
	return vs[len(vs)-1]
}

// TestOpenBackendsRedisCache opens a Redis cache on the test server: it
// works, is the heartbeat's cache check, and keeps its keys under
// cache_prefix.
func TestOpenBackendsRedisCache(t *testing.T) {
	u := os.Getenv("CLIQUET_TEST_REDIS_URL")
	if u == "" {
		t.Skip("CLIQUET_TEST_REDIS_URL not set: Redis backend tests skipped")
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "cliquet-test-runner-" + hex.EncodeToString(rnd[:]) + ":"
	core := loadCore(t, map[string]string{"DEMO_CACHE_BACKEND": "kinto_redis.cache", "DEMO_CACHE_URL": u,
		"DEMO_CACHE_PREFIX": prefix, "DEMO_CACHE_POOL_SIZE": "2"})
	b, err := wire.OpenBackends(context.Background(), core, stamp, demoOptions)
	if err != nil {
		t.Fatalf("OpenBackends with a Redis cache: %v", err) // set but unreachable: fail
	}
	log, _ := quietLog()
	defer b.Close(log)
	if b.Checks["cache"] != ports.HealthChecker(b.Cache) {
		t.Errorf("Checks[cache] = %T, want the cache itself", b.Checks["cache"])
	}
	exercise(t, b)
}

// TestOpenBackendsRedisStorage opens Redis storage and permission on the
// test server with the same URL: they share one pool, are the heartbeat's
// checks and serve the engine. Their keys ("storage:", "permission:") are
// deleted at cleanup, so the test server's database must be one for tests.
func TestOpenBackendsRedisStorage(t *testing.T) {
	u := os.Getenv("CLIQUET_TEST_REDIS_URL")
	if u == "" {
		t.Skip("CLIQUET_TEST_REDIS_URL not set: Redis backend tests skipped")
	}
	wire.FlushRedisKeys(t, u)
	core := loadCore(t, map[string]string{"DEMO_STORAGE_BACKEND": "kinto.core.storage.redis", "DEMO_STORAGE_URL": u,
		"DEMO_PERMISSION_BACKEND": "redis", "DEMO_PERMISSION_URL": u, "DEMO_STORAGE_POOL_SIZE": "2"})
	b, err := wire.OpenBackends(context.Background(), core, stamp, demoOptions)
	if err != nil {
		t.Fatalf("OpenBackends with Redis storage and permission: %v", err) // set but unreachable: fail
	}
	log, _ := quietLog()
	defer b.Close(log)
	t.Cleanup(func() { wire.FlushRedisKeys(t, u) })
	if b.Checks["storage"] != ports.HealthChecker(b.Storage) || b.Checks["permission"] != ports.HealthChecker(b.Permission) {
		t.Errorf("Checks = %v, want the storage and permission themselves", b.Checks)
	}
	// Same URL: one Store, whose units span storage and permission.
	if st, ok := b.Units.(ports.Store); !ok || st.Storage() != b.Storage || st.Permission() != b.Permission {
		t.Errorf("Units = %T, want the Store of the storage and permission", b.Units)
	}
	if _, unitless := b.Units.(ports.Unitless); unitless {
		t.Error("Units is ports.Unitless on one Redis URL, want a Store")
	}
	for name, c := range b.Checks {
		if err := c.Healthy(context.Background()); err != nil {
			t.Errorf("Checks[%s].Healthy: %v", name, err)
		}
	}
	exercise(t, b)
}
