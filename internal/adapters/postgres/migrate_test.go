package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestMigrateTwiceIsANoOp(t *testing.T) {
	ctx := context.Background()
	db := newDB(t) // migrated once
	s := postgres.NewStorage(db, nil)
	if _, err := s.Create(ctx, parent, domain.Record{ID: "kept", Data: map[string]any{"v": "1"}}, nil); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := postgres.NewPermission(db).AddPrincipal(ctx, "/buckets/b", "read", "alice"); err != nil {
		t.Fatalf("AddPrincipal: %v", err)
	}
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	if v, err := postgres.AppliedSchemaVersion(ctx, db); err != nil || v != postgres.SchemaVersion() || v < 2 {
		t.Errorf("AppliedSchemaVersion = %d, %v; want %d", v, err, postgres.SchemaVersion())
	}
	if got, err := s.Get(ctx, parent, "kept"); err != nil || got.Data["v"] != "1" {
		t.Errorf("Get(kept) after a second Migrate = %+v, %v; want the object unchanged", got, err)
	}
	acl, err := postgres.NewPermission(db).ObjectACL(ctx, "/buckets/b")
	if err != nil || len(acl["read"]) != 1 {
		t.Errorf("ObjectACL after a second Migrate = %v, %v; want alice kept", acl, err)
	}
	var rows int
	if err := db.Get(&rows, `SELECT count(*) FROM metadata`); err != nil || rows != 1 {
		t.Errorf("metadata rows = %d, %v; want 1", rows, err)
	}
}

func TestMigrateFromSeveralNodesAtOnce(t *testing.T) {
	ctx := context.Background()
	dsn := freshSchema(t)
	if v, err := postgres.AppliedSchemaVersion(ctx, openDB(t, dsn)); err != nil || v != 0 {
		t.Fatalf("AppliedSchemaVersion(empty schema) = %d, %v; want 0", v, err)
	}
	const nodes = 4
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		db := openDB(t, dsn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = postgres.Migrate(ctx, db)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: Migrate: %v", i, err)
		}
	}
	db := openDB(t, dsn)
	if v, err := postgres.AppliedSchemaVersion(ctx, db); err != nil || v != postgres.SchemaVersion() {
		t.Errorf("AppliedSchemaVersion = %d, %v; want %d", v, err, postgres.SchemaVersion())
	}
	if err := postgres.NewStorage(db, nil).Healthy(ctx); err != nil {
		t.Errorf("Healthy: %v", err)
	}
	if _, err := postgres.NewStorage(db, nil).Create(ctx, parent, domain.Record{ID: "a"}, nil); err != nil {
		t.Errorf("Create after concurrent migrations: %v", err)
	}
}

func TestMigrateRefusesKintoSchema(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, freshSchema(t))
	if _, err := db.Exec(`CREATE TABLE metadata (name VARCHAR(128) NOT NULL, value VARCHAR(512) NOT NULL);
		INSERT INTO metadata VALUES ('storage_schema_version', '26')`); err != nil {
		t.Fatalf("fake a Kinto schema: %v", err)
	}
	err := postgres.Migrate(ctx, db)
	if err == nil || !strings.Contains(err.Error(), "Kinto") {
		t.Errorf("Migrate(Kinto database) = %v, want a refusal naming Kinto", err)
	}
	var tables int
	if err := db.Get(&tables, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'objects'`); err != nil || tables != 0 {
		t.Errorf("objects tables = %d, %v; want none created", tables, err)
	}
}

func TestMigrateUnreachable(t *testing.T) {
	err := postgres.Migrate(context.Background(), unreachableDB(t))
	if domain.KindOf(err) != domain.Unavailable {
		t.Errorf("Migrate(refused): %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}
	if _, err := postgres.AppliedSchemaVersion(context.Background(), unreachableDB(t)); domain.KindOf(err) != domain.Unavailable {
		t.Errorf("AppliedSchemaVersion(refused): %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, freshSchema(t))
	if err := postgres.Migrate(ctx, db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if _, err := db.Exec(`UPDATE metadata SET value = '999' WHERE name = 'cliquet_go_schema_version'`); err != nil {
		t.Fatalf("fake a newer schema: %v", err)
	}
	if err := postgres.Migrate(ctx, db); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Migrate(newer schema) = %v, want a refusal saying the schema is newer", err)
	}
}
