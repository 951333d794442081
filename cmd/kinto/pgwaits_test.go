package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres/postgrestest"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// pgAnswer is one answer of the server in the PostgreSQL bound tests.
type pgAnswer struct {
	status     int
	errno      float64
	retryAfter string
	body       string
}

func pgDo(t *testing.T, method, u, body string) pgAnswer {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", "secret")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct{ Errno float64 }
	_ = json.Unmarshal(raw, &e)
	return pgAnswer{resp.StatusCode, e.Errno, resp.Header.Get("Retry-After"), string(raw)}
}

// TestFrozenPostgresAnswers503 serves kinto on PostgreSQL through a proxy
// that can freeze: a request then gets 503 errno 201 with Retry-After
// within the bound the settings give (statement timeout plus connect
// timeout), and the service answers again once the database does.
func TestFrozenPostgresAnswers503(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: kinto on a frozen PostgreSQL skipped")
	}
	dsn := runnertest.FreshPostgresSchema(t, base)
	proxy := postgrestest.NewProxy(t, dsn)
	runnertest.CleanEnv(t, command())
	for k, v := range map[string]string{
		"KINTO_STORAGE_BACKEND":                    "postgresql",
		"KINTO_STORAGE_URL":                        proxy.URL(t, dsn),
		"KINTO_PERMISSION_BACKEND":                 "postgresql",
		"KINTO_PERMISSION_URL":                     proxy.URL(t, dsn),
		"KINTO_STORAGE_STATEMENT_TIMEOUT_MS":       "300",
		"KINTO_PERMISSION_STATEMENT_TIMEOUT_MS":    "300",
		"KINTO_STORAGE_CONNECT_TIMEOUT_SECONDS":    "1",
		"KINTO_PERMISSION_CONNECT_TIMEOUT_SECONDS": "1",
		"KINTO_STORAGE_POOL_TIMEOUT":               "1",
		"KINTO_PERMISSION_POOL_TIMEOUT":            "1",
	} {
		t.Setenv(k, v)
	}
	if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != runner.ExitOK {
		t.Fatalf("migrate: exit %d, %s %s", code, out, errOut)
	}
	srv := runnertest.Start(t, command())
	bucket := srv.Base + "/v1/buckets/b"
	if a := pgDo(t, http.MethodPut, bucket, ""); a.status != http.StatusCreated {
		t.Fatalf("PUT bucket: %d %s, want 201", a.status, a.body)
	}

	// The statement waiting on the frozen server fails at its stall
	// deadline (300ms + 1s); a request may also need a new connection,
	// which the 1s connect timeout bounds. Slack for a loaded machine.
	const bound = 4 * time.Second
	proxy.Freeze()
	start := time.Now()
	a := pgDo(t, http.MethodGet, bucket, "")
	elapsed := time.Since(start)
	if a.status != http.StatusServiceUnavailable || a.errno != 201 || a.retryAfter == "" {
		t.Errorf("GET bucket on a frozen database: %d errno %v Retry-After %q (%s), want 503 errno 201 with Retry-After",
			a.status, a.errno, a.retryAfter, a.body)
	}
	if elapsed > bound {
		t.Errorf("GET bucket on a frozen database answered after %v, want within %v", elapsed, bound)
	}

	proxy.Thaw()
	if a := pgDo(t, http.MethodGet, bucket, ""); a.status != http.StatusOK {
		t.Errorf("GET bucket after thawing: %d %s, want 200", a.status, a.body)
	}
}

// TestManySortFieldsOnPostgres sends the most sort fields the querystring
// allows, which PostgreSQL must run, and one more, which is a 400.
func TestManySortFieldsOnPostgres(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: kinto sort fields on PostgreSQL skipped")
	}
	dsn := runnertest.FreshPostgresSchema(t, base)
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_STORAGE_BACKEND", "postgresql")
	t.Setenv("KINTO_STORAGE_URL", dsn)
	t.Setenv("KINTO_PERMISSION_BACKEND", "postgresql")
	t.Setenv("KINTO_PERMISSION_URL", dsn)
	if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != runner.ExitOK {
		t.Fatalf("migrate: exit %d, %s %s", code, out, errOut)
	}
	srv := runnertest.Start(t, command())
	if a := pgDo(t, http.MethodPut, srv.Base+"/v1/buckets/b", ""); a.status != http.StatusCreated {
		t.Fatalf("PUT bucket: %d %s", a.status, a.body)
	}
	sortOf := func(n int) string {
		f := make([]string, n)
		for i := range f {
			f[i] = fmt.Sprintf("-a%d.b.c.d", i)
		}
		return url.QueryEscape(strings.Join(f, ","))
	}
	if a := pgDo(t, http.MethodGet, srv.Base+"/v1/buckets?_sort="+sortOf(32), ""); a.status != http.StatusOK {
		t.Errorf("GET buckets with 32 sort fields: %d %s, want 200", a.status, a.body)
	}
	a := pgDo(t, http.MethodGet, srv.Base+"/v1/buckets?_sort="+sortOf(33), "")
	if a.status != http.StatusBadRequest || a.errno != 107 || !strings.Contains(a.body, "_sort") {
		t.Errorf("GET buckets with 33 sort fields: %d errno %v %s, want 400 errno 107 naming _sort", a.status, a.errno, a.body)
	}
}
