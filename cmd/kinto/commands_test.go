package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

func TestHelpListsCommands(t *testing.T) {
	runnertest.CleanEnv(t, command())
	code, out, _ := runnertest.Run(t, command(), "--help")
	if code != 0 {
		t.Fatalf("kinto --help: exit %d", code)
	}
	for _, c := range []string{"init", "--backend", "--cache-backend", "create-user", "--username", "serve", "start", "--port", "migrate", "--dry-run", "flush-cache", "purge-deleted", "version", "healthcheck"} {
		if !strings.Contains(out, c) {
			t.Errorf("kinto --help does not list %q:\n%s", c, out)
		}
	}
}

func TestStartPort(t *testing.T) {
	runnertest.CleanEnv(t, command())
	srv := runnertest.Start(t, command(), "--port", "0")
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/__lbheartbeat__"); code != 200 {
		t.Errorf("start --port 0: heartbeat %d", code)
	}
	// A bad --port is a usage error, before listening.
	if code, _, errOut := runnertest.Run(t, command(), "start", "--port", "x"); code != 2 || !strings.Contains(errOut, "port") {
		t.Errorf("start --port x: exit %d, %q; want 2 naming the flag", code, errOut)
	}
}

func TestFlushCacheCommand(t *testing.T) {
	runnertest.CleanEnv(t, command())
	code, out, errOut := runnertest.Run(t, command(), "flush-cache")
	if code != 0 || !strings.Contains(out, "Cache has been cleared.") {
		t.Errorf("flush-cache: exit %d, %q %q", code, out, errOut)
	}
	if code, _, _ := runnertest.Run(t, command(), "flush-cache", "extra"); code != 2 {
		t.Errorf("flush-cache extra: exit %d, want 2", code)
	}
}

func TestPurgeDeletedUsage(t *testing.T) {
	runnertest.CleanEnv(t, command())
	for _, args := range [][]string{
		{"purge-deleted"},
		{"purge-deleted", "record"},
		{"purge-deleted", "record", "-1"},
		{"purge-deleted", "record", "many"},
		{"purge-deleted", "--before", "5", "--older-than", "1h", "record"},
		{"purge-deleted", "--older-than", "1h"},
		{"purge-deleted", "--bogus", "record", "1"},
	} {
		if code, _, errOut := runnertest.Run(t, command(), args...); code != 2 {
			t.Errorf("%q: exit %d (%s), want 2", args, code, errOut)
		}
	}
	// On memory backends there is nothing to purge, but it runs.
	if code, out, errOut := runnertest.Run(t, command(), "purge-deleted", "record", "bucket", "0"); code != 0 || !strings.Contains(out, "0 tombstone(s) deleted.") {
		t.Errorf("purge-deleted on memory: exit %d, %q %q", code, out, errOut)
	}
}

// TestPurgeDeletedPostgres: the command removes only the old tombstones
// of the resources named, in every list.
func TestPurgeDeletedPostgres(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: purge-deleted on PostgreSQL skipped")
	}
	dsn := runnertest.FreshPostgresSchema(t, base)
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_STORAGE_BACKEND", "postgresql")
	t.Setenv("KINTO_STORAGE_URL", dsn)
	t.Setenv("KINTO_PERMISSION_BACKEND", "postgresql")
	t.Setenv("KINTO_PERMISSION_URL", dsn)

	code, out, errOut := runnertest.Run(t, command(), "migrate", "--dry-run")
	if code != 0 || !strings.Contains(out, "would apply 0001_storage.sql") {
		t.Fatalf("migrate --dry-run on a fresh database: exit %d, %q %q", code, out, errOut)
	}
	db, err := sqlx.Connect("postgres", dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer db.Close()
	if v, err := postgres.AppliedSchemaVersion(context.Background(), db); err != nil || v != 0 {
		t.Fatalf("after migrate --dry-run: schema version %d, %v; want 0 (nothing applied)", v, err)
	}
	if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d, %q %q", code, out, errOut)
	}
	if code, out, _ := runnertest.Run(t, command(), "migrate", "--dry-run"); code != 0 || !strings.Contains(out, "up to date") || strings.Contains(out, "would apply") {
		t.Errorf("migrate --dry-run after migrate: exit %d, %q; want up to date", code, out)
	}

	ctx := context.Background()
	st := postgres.NewStorage(db, domain.SystemClock{})
	c1 := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c1"}
	c2 := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c2"}
	b := domain.Parent{Resource: "collection", ID: "/buckets/b"}
	tomb := func(p domain.Parent, id string) domain.Record {
		t.Helper()
		if _, err := st.Create(ctx, p, domain.Record{ID: id, Data: map[string]any{}}, nil); err != nil {
			t.Fatal(err)
		}
		r, err := st.Delete(ctx, p, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	tomb(c1, "a")
	tomb(c1, "b")
	tomb(c2, "x")
	tomb(b, "gone")
	if _, err := st.Create(ctx, c1, domain.Record{ID: "live", Data: map[string]any{}}, nil); err != nil {
		t.Fatal(err)
	}
	count := func(p domain.Parent) (live, dead int) {
		t.Helper()
		recs, err := st.List(ctx, p, domain.Query{WithDeleted: true, Sort: []domain.Sort{{Field: "last_modified", Desc: true}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Deleted {
				dead++
			} else {
				live++
			}
		}
		return live, dead
	}

	// Kinto's form: keep the newest tombstone of each list of records.
	code, out, errOut = runnertest.Run(t, command(), "purge-deleted", "record", "1")
	if code != 0 || !strings.Contains(out, "1 tombstone(s) deleted.") {
		t.Fatalf("purge-deleted record 1: exit %d, %q %q", code, out, errOut)
	}
	if live, dead := count(c1); live != 1 || dead != 1 {
		t.Errorf("c1 after purge-deleted record 1: %d live, %d tombstones; want 1 and 1", live, dead)
	}
	if _, dead := count(c2); dead != 1 {
		t.Errorf("c2 after purge-deleted record 1: %d tombstones, want 1", dead)
	}
	// By age: nothing is older than an hour; everything is older than now.
	if code, out, _ := runnertest.Run(t, command(), "purge-deleted", "--older-than", "1h", "record", "collection"); code != 0 || !strings.Contains(out, "0 tombstone(s) deleted.") {
		t.Errorf("purge-deleted --older-than 1h: exit %d, %q; want nothing deleted", code, out)
	}
	newest := tomb(c1, "c")
	code, out, _ = runnertest.Run(t, command(), "purge-deleted", "--before", itoa(newest.LastModified), "record")
	if code != 0 || !strings.Contains(out, "2 tombstone(s) deleted.") {
		t.Errorf("purge-deleted --before c: exit %d, %q; want b of c1 and x of c2", code, out)
	}
	if live, dead := count(c1); live != 1 || dead != 1 {
		t.Errorf("c1 after --before: %d live, %d tombstones; want live and c", live, dead)
	}
	if _, dead := count(b); dead != 1 {
		t.Errorf("collections after purging records: %d tombstones, want 1 (untouched)", dead)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
