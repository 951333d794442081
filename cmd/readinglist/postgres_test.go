package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// postgresURLVar names the database of the PostgreSQL test. Unset, it
// skips; set but unreachable, it fails.
const postgresURLVar = "CLIQUET_TEST_POSTGRES_URL"

// TestMigrateAndServeOnPostgres runs readinglist as an operator would: serve
// refuses the empty database and asks for migrate; after migrate, articles
// written by one server are read by the next.
func TestMigrateAndServeOnPostgres(t *testing.T) {
	base := os.Getenv(postgresURLVar)
	if base == "" {
		t.Skipf("%s not set: readinglist on PostgreSQL skipped (example: %s='postgres://postgres@127.0.0.1:5432/test?sslmode=disable')", postgresURLVar, postgresURLVar)
	}
	runnertest.CleanEnv(t, command())
	t.Setenv("READINGLIST_STORAGE_BACKEND", "postgresql")
	t.Setenv("READINGLIST_STORAGE_URL", runnertest.FreshPostgresSchema(t, base))

	code, _, errOut := runnertest.Run(t, command(), "serve")
	if code != runner.ExitFailure || !strings.Contains(errOut, "run `readinglist migrate` first") {
		t.Fatalf("serve before migrate: exit %d, stderr %q; want 1 asking to run `readinglist migrate`", code, errOut)
	}

	code, out, errOut := runnertest.Run(t, command(), "migrate")
	if code != runner.ExitOK || !strings.HasPrefix(out, "migrate: storage (postgresql): schema at version ") || strings.Contains(out, "permission") {
		t.Fatalf("migrate: exit %d, stdout %q, stderr %q; want 0 and the storage schema only", code, out, errOut)
	}

	srv := runnertest.Start(t, command())
	body := `{"data": {"url": "https://example.com/a", "title": "A", "archived": true}}`
	req, err := http.NewRequest(http.MethodPost, srv.Base+"/v1/articles", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", basic("alice"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/articles: %v", err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/articles: %d %s, want 201", resp.StatusCode, raw)
	}
	var created struct{ Data map[string]any }
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatalf("POST /v1/articles: body %q: %v", raw, err)
	}
	if code := srv.Stop(); code != runner.ExitOK {
		t.Fatalf("first server: exit %d, want 0; log: %s", code, srv.Stderr.String())
	}

	// A second server on the same database sees the article, through every
	// view, and reports a healthy storage.
	srv = runnertest.Start(t, command())
	code, beat := runnertest.GetJSON(t, srv.Base+"/v1/__heartbeat__")
	if code != http.StatusOK || beat["storage"] != true || len(beat) != 1 {
		t.Errorf("GET __heartbeat__ = %d %v, want 200 {storage: true}", code, beat)
	}
	id, _ := created.Data["id"].(string)
	for _, path := range []string{"/v1/articles/" + id, "/v1/archive/" + id} {
		code, got := runnertest.GetJSON(t, srv.Base+path, "Authorization", basic("alice"))
		data, _ := got["data"].(map[string]any)
		if code != http.StatusOK || data["url"] != "https://example.com/a" {
			t.Errorf("GET %s after restart = %d %v, want the article", path, code, got)
		}
	}
	code, stats := runnertest.GetJSON(t, srv.Base+"/v1/articles/stats", "Authorization", basic("alice"))
	if code != http.StatusOK || stats["total"] != float64(1) {
		t.Errorf("GET stats after restart = %d %v, want total 1", code, stats)
	}
	code, _ = runnertest.GetJSON(t, srv.Base+"/v1/articles/"+id, "Authorization", basic("bob"))
	if code != http.StatusNotFound {
		t.Errorf("GET bob's view of alice's article = %d, want 404", code)
	}
}
