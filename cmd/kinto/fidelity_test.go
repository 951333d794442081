package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// writeKintoINI writes an INI file with body into the test's directory.
func writeKintoINI(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kinto.ini")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Kinto's endpoint switches, from an INI file as an operator writes them:
// a disabled method is 405 errno 115 (Kinto never registers it), an
// endpoint left without methods is 404.
func TestEndpointSwitches(t *testing.T) {
	runnertest.CleanEnv(t, command())
	ini := writeKintoINI(t, `[app:main]
kinto.plural_bucket_post_enabled = false
object_record_delete_enabled = "false"
kinto.object_group_get_enabled = no
kinto.object_group_put_enabled = off
kinto.object_group_patch_enabled = false
kinto.object_group_delete_enabled = 0
kinto.object_bucket_put_enabled = true
`)
	srv := runnertest.Start(t, command(), "--ini", ini)
	const alice = "alice:secret"

	a := acctDo(t, srv, http.MethodPost, "/buckets", alice, map[string]any{"data": map[string]any{"id": "b"}})
	wantStatus(t, "POST /buckets", a, http.StatusMethodNotAllowed, 115)
	if allow := a.header.Get("Allow"); strings.Contains(allow, "POST") || !strings.Contains(allow, "GET") {
		t.Errorf("POST /buckets: Allow %q, want GET without POST", allow)
	}
	wantStatus(t, "PUT /buckets/b", acctDo(t, srv, http.MethodPut, "/buckets/b", alice, nil), http.StatusCreated, 0)
	wantStatus(t, "PUT collection", acctDo(t, srv, http.MethodPut, "/buckets/b/collections/c", alice, nil), http.StatusCreated, 0)
	wantStatus(t, "PUT record", acctDo(t, srv, http.MethodPut, "/buckets/b/collections/c/records/r", alice, nil), http.StatusCreated, 0)
	wantStatus(t, "DELETE record", acctDo(t, srv, http.MethodDelete, "/buckets/b/collections/c/records/r", alice, nil), http.StatusMethodNotAllowed, 115)
	wantStatus(t, "GET record after refused DELETE", acctDo(t, srv, http.MethodGet, "/buckets/b/collections/c/records/r", alice, nil), http.StatusOK, 0)
	wantStatus(t, "DELETE records list", acctDo(t, srv, http.MethodDelete, "/buckets/b/collections/c/records", alice, nil), http.StatusOK, 0)
	wantStatus(t, "GET group, every object method off", acctDo(t, srv, http.MethodGet, "/buckets/b/groups/g", alice, nil), http.StatusNotFound, 111)
	wantStatus(t, "GET groups list", acctDo(t, srv, http.MethodGet, "/buckets/b/groups", alice, nil), http.StatusOK, 0)

	// A batch goes through the same routes.
	batch := acctDo(t, srv, http.MethodPost, "/batch", alice, map[string]any{
		"requests": []any{map[string]any{"method": "POST", "path": "/buckets", "body": map[string]any{"data": map[string]any{"id": "x"}}}}})
	responses, _ := batch.body["responses"].([]any)
	if len(responses) != 1 || responses[0].(map[string]any)["status"] != float64(http.StatusMethodNotAllowed) {
		t.Errorf("batch POST /buckets: %v, want one 405 response", batch.body)
	}
}

func TestEndpointSwitchNotABooleanStopsStartUp(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_PLURAL_BUCKET_POST_ENABLED", "maybe")
	code, _, errOut := runnertest.Run(t, command())
	if code != runner.ExitUsage || !strings.Contains(errOut, "plural_bucket_post_enabled") {
		t.Errorf("exit %d, stderr %q; want 2 naming plural_bucket_post_enabled", code, errOut)
	}
}

// KINTO_HTTP_HOST is Kinto's public host: the server still listens on
// listen_host and writes the public host in its URLs.
func TestHTTPHostIsThePublicHost(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_HTTP_HOST", "kinto.example.com")
	srv := runnertest.Start(t, command()) // listens on KINTO_LISTEN_HOST=127.0.0.1
	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/")
	if code != http.StatusOK || hello["url"] != "http://kinto.example.com/v1/" {
		t.Errorf("GET /v1/: %d, url %v; want 200 and http://kinto.example.com/v1/", code, hello["url"])
	}
	const alice = "alice:secret"
	for _, id := range []string{"b1", "b2"} {
		wantStatus(t, "PUT "+id, acctDo(t, srv, http.MethodPut, "/buckets/"+id, alice, nil), http.StatusCreated, 0)
	}
	a := acctDo(t, srv, http.MethodGet, "/buckets?_limit=1", alice, nil)
	if next := a.header.Get("Next-Page"); !strings.HasPrefix(next, "http://kinto.example.com/v1/buckets?") {
		t.Errorf("Next-Page = %q, want it on http://kinto.example.com/v1/", next)
	}
}

// The published kinto.js harness starts servers with JSON-quoted values.
func TestQuotedEOSGivesTheSoftEOLAlert(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_EOS", `"2099-01-01"`)
	t.Setenv("KINTO_EOS_MESSAGE", `"Service ends"`)
	srv := runnertest.Start(t, command())
	a := acctDo(t, srv, http.MethodGet, "/", "", nil)
	alert := a.header.Get("Alert")
	if a.status != http.StatusOK || !strings.Contains(alert, `"code":"soft-eol"`) || !strings.Contains(alert, `"Service ends"`) {
		t.Errorf("GET /v1/: %d, Alert %q; want 200 with a soft-eol Alert", a.status, alert)
	}
	if a.body["eos"] != "2099-01-01" {
		t.Errorf("hello eos = %v, want 2099-01-01", a.body["eos"])
	}
}

// What is not built is reported, one warning line each, and the server
// still starts when access control is unaffected.
func TestNotBuiltIsReported(t *testing.T) {
	runnertest.CleanEnv(t, command())
	ini := writeKintoINI(t, `[app:main]
kinto.includes = kinto.plugins.default_bucket
                 kinto.plugins.admin
                 kinto.plugins.history
                 kinto_attachment
kinto.event_listeners = redis
kinto.statsd_url = udp://127.0.0.1:8125
kinto.sentry_dsn = https://key@sentry.example.com/1
kinto.sentry_breadcrumbs_min_level = 10
kinto.prometheus_prefix = kinto
multiauth.policies = openid basicauth
multiauth.policy.openid.use = kinto.plugins.openid.OpenIDConnectPolicy
`)
	t.Setenv("KINTO_PROMETHEUS_CREATED_AT_AS_TIMESTAMP", "true")
	t.Setenv("KINTO_HTTP_HOST", "0.0.0.0")
	srv := runnertest.Start(t, command(), "--ini", ini)
	srv.Stop()
	logs := srv.Stderr.String()
	for _, want := range []string{
		`plugin \"kinto_attachment\" ignored`,
		`event listener \"redis\" ignored`,
		// statsd_url is built now: a daemon that is down is reported.
		"statsd daemon at 127.0.0.1:8125 not answering",
		"prometheus_prefix ignored",
		"prometheus_created_at_as_timestamp ignored",
		`authentication policy \"openid\" ignored`,
		"set listen_host",
	} {
		if n := strings.Count(logs, want); n != 1 {
			t.Errorf("logs mention %q %d times, want once:\n%s", want, n, logs)
		}
	}
	if strings.Contains(logs, "default_bucket") || strings.Contains(logs, "kinto.plugins.admin") || strings.Contains(logs, "kinto.plugins.history") || strings.Contains(logs, "key@sentry") || strings.Contains(logs, "sentry_dsn ignored") || strings.Contains(logs, "sentry_breadcrumbs_min_level ignored") {
		t.Errorf("logs warn about a built plugin or Sentry, or leak the Sentry key:\n%s", logs)
	}
}

// A gap that would weaken access control stops start-up with exit 2.
func TestSecurityGapsStopStartUp(t *testing.T) {
	for _, tt := range []struct {
		name, ini, want string
	}{
		{"only policy not built", "multiauth.policies = openid\nmultiauth.policy.openid.use = kinto.plugins.openid.OpenIDConnectPolicy\n", "setting multiauth.policies"},
		{"restricting plugin", "kinto.includes = kinto.plugins.default_bucket kinto.plugins.quotas\n", `"kinto.plugins.quotas"`},
		{"signer", "kinto.includes = kinto_signer\n", `"kinto_signer"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			runnertest.CleanEnv(t, command())
			code, _, errOut := runnertest.Run(t, command(), "--ini", writeKintoINI(t, "[app:main]\n"+tt.ini))
			if code != runner.ExitUsage || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %s", code, errOut, tt.want)
			}
		})
	}
}

// An explicitly empty policy list is Kinto's own default: anonymous only,
// not a gap.
func TestEmptyPolicyListStarts(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_MULTIAUTH_POLICIES", "")
	srv := runnertest.Start(t, command())
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/"); code != http.StatusOK {
		t.Errorf("GET /v1/: %d, want 200", code)
	}
}
