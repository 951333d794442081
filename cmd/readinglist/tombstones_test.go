package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// TestServeWithTombstoneRetention: readinglist honours the generic
// tombstone retention: its purge runs (and stops with the server) and an
// articles poll from before the horizon gets the Alert.
func TestServeWithTombstoneRetention(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("READINGLIST_TOMBSTONES_RETENTION_SECONDS", "3600")
	srv := runnertest.Start(t, command())

	for path, want := range map[string]bool{"/v1/articles?_since=0": true, "/v1/articles": false} {
		req, err := http.NewRequest(http.MethodGet, srv.Base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", basic("alice"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		alert := resp.Header.Get("Alert")
		if resp.StatusCode != http.StatusOK || strings.Contains(alert, `"tombstones-purged"`) != want {
			t.Errorf("GET %s = %d with Alert %q, want 200 and the tombstones alert %v", path, resp.StatusCode, alert, want)
		}
	}
	if code := srv.Stop(); code != runner.ExitOK {
		t.Fatalf("serve after cancel: exit %d, want 0; log: %s", code, srv.Stderr.String())
	}
	if logs := srv.Stderr.String(); !strings.Contains(logs, "purging old tombstones in the background") {
		t.Errorf("logs lack the purge's start:\n%s", logs)
	}
}
