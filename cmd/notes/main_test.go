package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// call sends method path with body as user ("" for anonymous) and returns
// the status and the decoded JSON answer.
func call(t *testing.T, base, method, path, user, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":secret")))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// The example service serves its one resource with the protocol: private
// per user, validated by its schema, refused to anonymous callers.
func TestNotesService(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("NOTES_MULTIAUTH_POLICIES", "basicauth")
	t.Setenv("NOTES_USERID_HMAC_SECRET", "test")
	srv := runnertest.Start(t, command())
	base := srv.Base + "/v1"

	code, created := call(t, base, "POST", "/notes", "alice", `{"data": {"title": "milk"}}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /notes = %d %v, want 201", code, created)
	}
	id := created["data"].(map[string]any)["id"].(string)
	if code, got := call(t, base, "GET", "/notes/"+id, "alice", ""); code != http.StatusOK || got["data"].(map[string]any)["title"] != "milk" {
		t.Errorf("GET own note = %d %v, want 200 with the title", code, got)
	}
	if code, got := call(t, base, "GET", "/notes/"+id, "bob", ""); code != http.StatusNotFound {
		t.Errorf("GET another user's note = %d %v, want 404", code, got)
	}
	if code, got := call(t, base, "GET", "/notes", "bob", ""); code != http.StatusOK || len(got["data"].([]any)) != 0 {
		t.Errorf("bob's list = %d %v, want 200 and empty", code, got)
	}
	if code, got := call(t, base, "POST", "/notes", "alice", `{"data": {"text": "no title"}}`); code != http.StatusBadRequest || got["errno"] != 107.0 {
		t.Errorf("POST without title = %d %v, want 400 errno 107", code, got)
	}
	if code, got := call(t, base, "GET", "/notes", "", ""); code != http.StatusUnauthorized || got["errno"] != 104.0 {
		t.Errorf("anonymous list = %d %v, want 401 errno 104", code, got)
	}
	if code := srv.Stop(); code != 0 {
		t.Errorf("serve exited with %d, want 0", code)
	}
}

// A service honours multiauth.policies like every other: a list of which
// nothing is built refuses to start rather than serve anonymous users.
func TestNotesRefusesUnbuiltPolicies(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("NOTES_MULTIAUTH_POLICIES", "openid")
	code, _, stderr := runnertest.Run(t, command(), "serve")
	if code != 2 || !strings.Contains(stderr, "multiauth.policies") {
		t.Errorf("serve with only openid = %d %q, want exit 2 naming multiauth.policies", code, stderr)
	}
}

// The generic tombstone retention applies to this service too: a _since
// older than the horizon gets the Alert.
func TestNotesTombstoneRetention(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("NOTES_MULTIAUTH_POLICIES", "basicauth")
	t.Setenv("NOTES_TOMBSTONES_RETENTION_SECONDS", "3600")
	srv := runnertest.Start(t, command())
	req, err := http.NewRequest("GET", srv.Base+"/v1/notes?_since=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:secret")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if alert := resp.Header.Get("Alert"); resp.StatusCode != http.StatusOK || !strings.Contains(alert, "tombstones-purged") {
		t.Errorf("GET /notes?_since=1 = %d, Alert %q; want 200 with the tombstones-purged alert", resp.StatusCode, alert)
	}
}
