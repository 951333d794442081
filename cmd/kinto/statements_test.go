package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// statementLog records the statements a pool sends.
type statementLog struct {
	mu   sync.Mutex
	sent []string
}

func (l *statementLog) add(statement string) {
	l.mu.Lock()
	l.sent = append(l.sent, strings.Join(strings.Fields(statement), " "))
	l.mu.Unlock()
}

// during returns the statements sent while fn ran.
func (l *statementLog) during(fn func()) []string {
	l.mu.Lock()
	from := len(l.sent)
	l.mu.Unlock()
	fn()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sent[from:]...)
}

// TestStatementBudgetOnPostgres holds the engine to its cost on
// PostgreSQL: a GET of one record is at most 3 statements, a POST of one
// at most 6 with exactly one COMMIT.
func TestStatementBudgetOnPostgres(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: statement budget on PostgreSQL skipped")
	}
	statements := &statementLog{}
	db, err := postgres.Open(runnertest.FreshPostgresSchema(t, base), postgres.Bounds{Trace: statements.add})
	if err == nil {
		err = db.Ping()
	}
	if err != nil {
		t.Fatalf("connect: %v", err) // set but unreachable: fail, never skip
	}
	t.Cleanup(func() { db.Close() })
	if err := postgres.Migrate(context.Background(), db); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	store := postgres.NewStore(db, domain.SystemClock{})
	s, src := testSettings(t, nil)
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv, err := newServer(s, src, &wire.Backends{
		Storage: store.Storage(), Permission: store.Permission(), Units: store,
		Checks: map[string]ports.HealthChecker{"storage": store.Storage(), "permission": store.Permission()},
	}, nil, log)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	k := &kintoServer{t: t, h: srv.Handler(), ids: map[string]string{}}
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c/records/r", map[string]any{"data": map[string]any{"n": 1}})
	// A member who may create records (and read them) through the
	// collection's ACL, not as the bucket's owner.
	k.must(http.StatusOK, owner, "PATCH", "/buckets/b/collections/c", map[string]any{
		"permissions": map[string]any{"record:create": []string{k.userID(member)}, "read": []string{k.userID(member)}}})

	for _, u := range []user{owner, member} {
		get := statements.during(func() { k.must(http.StatusOK, u, "GET", "/buckets/b/collections/c/records/r", nil) })
		if len(get) > 3 {
			t.Errorf("GET of a record as %s: %d statements, want at most 3:\n%s", u.name, len(get), strings.Join(get, "\n"))
		}
		post := statements.during(func() {
			k.must(http.StatusCreated, u, "POST", "/buckets/b/collections/c/records", map[string]any{"data": map[string]any{"n": 2}})
		})
		commits := 0
		for _, st := range post {
			if st == "COMMIT" {
				commits++
			}
		}
		if len(post) > 6 || commits != 1 {
			t.Errorf("POST of a record as %s: %d statements, %d COMMIT; want at most 6 and one COMMIT:\n%s", u.name, len(post), commits, strings.Join(post, "\n"))
		}
		t.Logf("as %s: GET %d statements, POST %d", u.name, len(get), len(post))
	}

	// A batch of 25 creates into one collection holds its writes back and
	// sends them together: a handful of statements, not a few per create.
	var creates []map[string]any
	for i := range 25 {
		creates = append(creates, map[string]any{"method": "POST", "path": "/buckets/b/collections/c/records", "body": map[string]any{"data": map[string]any{"i": i}}})
	}
	var answers []batchResponse
	batch := statements.during(func() { answers = k.batch(member, creates...) })
	for i, a := range answers {
		if a.status != http.StatusCreated {
			t.Fatalf("batch create %d: %d %v", i, a.status, a.raw)
		}
	}
	if len(batch) > 10 {
		t.Errorf("batch of 25 creates: %d statements, want at most 10:\n%s", len(batch), strings.Join(batch, "\n"))
	}
	t.Logf("batch of 25 creates: %d statements", len(batch))
	got := k.must(http.StatusOK, member, "GET", "/buckets/b/collections/c/records?_limit=100", nil)
	if n := len(got.ids()); n != 25+3 {
		t.Errorf("after the batch, member sees %d records, want 28", n)
	}
}
