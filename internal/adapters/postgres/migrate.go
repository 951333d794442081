package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/domain"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionKey is the metadata row holding the schema version this adapter
// applied. Kinto's Python backends use other names (storage_schema_version,
// permission_schema_version), which Migrate uses to refuse their database.
const versionKey = "cliquet_go_schema_version"

// migration is one embedded SQL file, numbered by its name's prefix.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded SQL files in version order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", out[i-1].name, out[i].name, out[i].version)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version Migrate brings a database to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate creates or upgrades the tables of both the storage and the
// permission adapters in the first schema of db's search_path. It is
// idempotent and safe when several nodes start at once: one transaction,
// holding an advisory lock on (this adapter, schema), reads the version in
// the metadata table and applies the missing migrations, so that the others
// wait and then find nothing left to do. It refuses a database that holds
// the schema of Kinto's Python backends, whose tables have the same names
// but other types.
func Migrate(ctx context.Context, db *sqlx.DB) error {
	const op = "postgres.Migrate"
	ms, err := migrations()
	if err != nil {
		return domain.Wrap(domain.Internal, op, err)
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return translate(op, fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback() }()

	// Schema-scoped, so that tests migrating their own schemas in parallel
	// do not wait for one another.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('cliquet-go migrate'), hashtext(COALESCE(current_schema(), '')))`); err != nil {
		return translate(op, fmt.Errorf("lock: %w", err))
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS metadata (
		name  TEXT COLLATE "C" PRIMARY KEY,
		value TEXT NOT NULL
	)`); err != nil {
		return translate(op, fmt.Errorf("create metadata table: %w", err))
	}
	current, err := schemaVersion(ctx, tx)
	if err != nil {
		return translate(op, err)
	}
	if current == 0 {
		var kinto string
		err := tx.GetContext(ctx, &kinto, `SELECT name FROM metadata WHERE name IN ('storage_schema_version', 'permission_schema_version') LIMIT 1`)
		switch {
		case err == nil:
			return domain.Errorf(domain.Internal, op, "the database holds the schema of Kinto's Python backends (metadata %s); use another database or schema", kinto)
		case !errors.Is(err, sql.ErrNoRows):
			return translate(op, fmt.Errorf("look for a Kinto schema: %w", err))
		}
	}
	if known := ms[len(ms)-1].version; current > known {
		// A newer binary migrated this database: running old code on it
		// could misread what the newer schema stores.
		return domain.Errorf(domain.Internal, op, "the database schema is at version %d, newer than this binary's %d; upgrade the binary", current, known)
	}
	latest := current
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return translate(op, fmt.Errorf("apply %s: %w", m.name, err))
		}
		latest = m.version
	}
	if latest == current {
		return nil // nothing to do; the deferred rollback ends the transaction
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO metadata (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`, versionKey, strconv.Itoa(latest)); err != nil {
		return translate(op, fmt.Errorf("record version %d: %w", latest, err))
	}
	if err := tx.Commit(); err != nil {
		return translate(op, fmt.Errorf("commit: %w", err))
	}
	return nil
}

// schemaVersion reads the applied version, 0 when none.
func schemaVersion(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	var value string
	err := sqlx.GetContext(ctx, q, &value, `SELECT value FROM metadata WHERE name = $1`, versionKey)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	v, err := strconv.Atoi(value)
	if err != nil {
		return 0, fmt.Errorf("schema version %q is not a number", value)
	}
	return v, nil
}

// AppliedSchemaVersion returns the schema version recorded in db, 0 for a
// database Migrate never touched.
func AppliedSchemaVersion(ctx context.Context, db *sqlx.DB) (int, error) {
	const op = "postgres.AppliedSchemaVersion"
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT to_regclass('metadata') IS NOT NULL`); err != nil {
		return 0, translate(op, err)
	}
	if !exists {
		return 0, nil
	}
	v, err := schemaVersion(ctx, db)
	return v, translate(op, err)
}

// PendingMigrations returns the names of the migrations Migrate would
// apply to db, in order, without changing anything: what
// `migrate --dry-run` prints.
func PendingMigrations(ctx context.Context, db *sqlx.DB) ([]string, error) {
	applied, err := AppliedSchemaVersion(ctx, db)
	if err != nil {
		return nil, err
	}
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		if m.version > applied {
			out = append(out, m.name)
		}
	}
	return out, nil
}
