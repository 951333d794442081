package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// acctAnswer is one answer of a server started by runnertest.Start.
type acctAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

// acctDo sends a request with Basic credentials ("" for none) and a JSON
// body (nil for none) to srv's /v1 API.
func acctDo(t *testing.T, srv *runnertest.Server, method, path, creds string, body any) acctAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		enc, err := json.Marshal(body)
		if err != nil {
			t.Fatalf("encode %v: %v", body, err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, srv.Base+"/v1"+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if creds != "" {
		user, pw, _ := strings.Cut(creds, ":")
		req.SetBasicAuth(user, pw)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out := acctAnswer{status: resp.StatusCode, header: resp.Header}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	_ = json.Unmarshal(raw, &out.body) // HEAD and 304 have no body
	return out
}

// acctUserID returns the user id the hello view gives creds ("" when
// anonymous).
func acctUserID(t *testing.T, srv *runnertest.Server, creds string) string {
	t.Helper()
	a := acctDo(t, srv, http.MethodGet, "/", creds, nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET /v1/ as %q: status %d", creds, a.status)
	}
	u, _ := a.body["user"].(map[string]any)
	id, _ := u["id"].(string)
	return id
}

// startAccounts serves with the usual accounts configuration: account then
// basicauth, anyone may sign up, admin manages every account.
func startAccounts(t *testing.T) *runnertest.Server {
	t.Helper()
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_MULTIAUTH_POLICIES", "account basicauth")
	t.Setenv("KINTO_ACCOUNT_CREATE_PRINCIPALS", "system.Everyone account:admin")
	t.Setenv("KINTO_ACCOUNT_WRITE_PRINCIPALS", "account:admin")
	t.Setenv("KINTO_ACCOUNT_READ_PRINCIPALS", "account:admin")
	t.Setenv("KINTO_ACCOUNT_BCRYPT_COST", "4")
	t.Setenv("KINTO_EXPERIMENTAL_PERMISSIONS_ENDPOINT", "true")
	return runnertest.Start(t, command())
}

func wantStatus(t *testing.T, what string, a acctAnswer, status, errno int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d (%v), want %d", what, a.status, a.body, status)
	}
	if errno != 0 {
		if got, _ := a.body["errno"].(float64); int(got) != errno {
			t.Fatalf("%s: errno %v, want %d", what, a.body["errno"], errno)
		}
	}
}

func TestAccountsSignUpAndLogIn(t *testing.T) {
	srv := startAccounts(t)

	a := acctDo(t, srv, http.MethodPut, "/accounts/bob", "", map[string]any{"data": map[string]any{"password": "pw"}})
	wantStatus(t, "PUT /accounts/bob anonymously", a, http.StatusCreated, 0)
	data, _ := a.body["data"].(map[string]any)
	if hash, _ := data["password"].(string); !strings.HasPrefix(hash, "$2a$04$") {
		t.Errorf("PUT /accounts/bob: password %q, want its bcrypt hash at cost 4", data["password"])
	}
	if got := acctUserID(t, srv, "bob:pw"); got != "account:bob" {
		t.Errorf("GET /v1/ as bob:pw: user.id %q, want account:bob", got)
	}
	caps := acctDo(t, srv, http.MethodGet, "/", "", nil).body["capabilities"].(map[string]any)
	if _, ok := caps["accounts"]; !ok {
		t.Errorf("capabilities %v, want accounts", caps)
	}
	if _, ok := caps["account"]; ok {
		t.Errorf("capabilities %v: an \"account\" entry, want only \"accounts\"", caps)
	}

	// A wrong password falls through to basicauth: authenticated, 403.
	if got := acctUserID(t, srv, "bob:wrong"); !strings.HasPrefix(got, "basicauth:") {
		t.Errorf("GET /v1/ as bob:wrong: user.id %q, want a basicauth id", got)
	}
	wantStatus(t, "GET /accounts/bob as bob:wrong", acctDo(t, srv, http.MethodGet, "/accounts/bob", "bob:wrong", nil), http.StatusForbidden, 121)
	wantStatus(t, "GET /accounts/bob as bob:pw", acctDo(t, srv, http.MethodGet, "/accounts/bob", "bob:pw", nil), http.StatusOK, 0)

	// Anonymous users may sign up but not list accounts.
	a = acctDo(t, srv, http.MethodGet, "/accounts", "", nil)
	wantStatus(t, "GET /accounts anonymously", a, http.StatusUnauthorized, 104)
	if got := a.header.Get("WWW-Authenticate"); got != `Basic realm="Realm", Basic realm="Realm"` {
		t.Errorf("GET /accounts anonymously: WWW-Authenticate %q, want one Basic challenge per policy", got)
	}
	a = acctDo(t, srv, http.MethodGet, "/accounts", "bob:pw", nil)
	wantStatus(t, "GET /accounts as bob", a, http.StatusOK, 0)
	if list, _ := a.body["data"].([]any); len(list) != 1 {
		t.Errorf("GET /accounts as bob: %v, want bob's account only", a.body["data"])
	}

	// The root entry of /permissions carries account:create.
	a = acctDo(t, srv, http.MethodGet, "/permissions", "", nil)
	wantStatus(t, "GET /permissions anonymously", a, http.StatusOK, 0)
	found := false
	for _, e := range a.body["data"].([]any) {
		if m := e.(map[string]any); m["uri"] == "/" {
			found = strings.Contains(strings.Join(toStrings(m["permissions"]), " "), "account:create")
		}
	}
	if !found {
		t.Errorf("GET /permissions anonymously: %v, want account:create on /", a.body["data"])
	}
	// bob's own account is listed in his /permissions.
	a = acctDo(t, srv, http.MethodGet, "/permissions", "bob:pw", nil)
	found = false
	for _, e := range a.body["data"].([]any) {
		if m := e.(map[string]any); m["uri"] == "/accounts/bob" {
			found = m["resource_name"] == "account" && m["account_id"] == "bob" &&
				strings.Join(toStrings(m["permissions"]), " ") == "write read"
		}
	}
	if !found {
		t.Errorf("GET /permissions as bob: %v, want /accounts/bob with write read", a.body["data"])
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestAccountsErrors(t *testing.T) {
	srv := startAccounts(t)
	wantStatus(t, "PUT /accounts/bob", acctDo(t, srv, http.MethodPut, "/accounts/bob", "", map[string]any{"data": map[string]any{"password": "pw"}}), http.StatusCreated, 0)

	for _, c := range []struct {
		what, method, path, creds string
		body                      any
		message, name             string
	}{
		{"PUT /accounts/zed as bob", http.MethodPut, "/accounts/zed", "bob:pw",
			map[string]any{"data": map[string]any{"password": "pw"}},
			"data.id in body: Username and account ID do not match.", "data.id"},
		{"POST /accounts without data.id", http.MethodPost, "/accounts", "",
			map[string]any{"data": map[string]any{"password": "pw"}},
			"data.id in body: Required", "data.id"},
		{"PUT /accounts/carl without password", http.MethodPut, "/accounts/carl", "",
			map[string]any{"data": map[string]any{}},
			"data.password in body: Required", "data.password"},
	} {
		a := acctDo(t, srv, c.method, c.path, c.creds, c.body)
		wantStatus(t, c.what, a, http.StatusBadRequest, 107)
		if a.body["message"] != c.message {
			t.Errorf("%s: message %q, want %q", c.what, a.body["message"], c.message)
		}
		details, _ := a.body["details"].([]any)
		if len(details) != 1 || details[0].(map[string]any)["name"] != c.name {
			t.Errorf("%s: details %v, want one naming %s", c.what, a.body["details"], c.name)
		}
	}
}

func TestAccountsPasswordChangeAndAdmin(t *testing.T) {
	srv := startAccounts(t)
	pw := func(p string) map[string]any { return map[string]any{"data": map[string]any{"password": p}} }
	wantStatus(t, "PUT /accounts/bob", acctDo(t, srv, http.MethodPut, "/accounts/bob", "", pw("pw")), http.StatusCreated, 0)
	wantStatus(t, "PUT /accounts/admin", acctDo(t, srv, http.MethodPut, "/accounts/admin", "", pw("root")), http.StatusCreated, 0)
	if got := acctUserID(t, srv, "bob:pw"); got != "account:bob" {
		t.Fatalf("GET /v1/ as bob:pw: user.id %q, want account:bob (and the login cached)", got)
	}

	// Changing the password drops the cached login at once.
	wantStatus(t, "PATCH /accounts/bob", acctDo(t, srv, http.MethodPatch, "/accounts/bob", "bob:pw", pw("pw2")), http.StatusOK, 0)
	if got := acctUserID(t, srv, "bob:pw"); got == "account:bob" {
		t.Error("GET /v1/ as bob:old password after a change: still account:bob, want the old password refused")
	}
	if got := acctUserID(t, srv, "bob:pw2"); got != "account:bob" {
		t.Errorf("GET /v1/ as bob:new password: user.id %q, want account:bob", got)
	}

	// The administrator resets and deletes bob's account.
	wantStatus(t, "PUT /accounts/bob as admin", acctDo(t, srv, http.MethodPut, "/accounts/bob", "admin:root", pw("reset")), http.StatusOK, 0)
	if got := acctUserID(t, srv, "bob:reset"); got != "account:bob" {
		t.Errorf("GET /v1/ as bob:reset: user.id %q, want account:bob", got)
	}
	a := acctDo(t, srv, http.MethodGet, "/accounts", "admin:root", nil)
	if list, _ := a.body["data"].([]any); a.status != http.StatusOK || len(list) != 2 {
		t.Errorf("GET /accounts as admin: %d %v, want both accounts", a.status, a.body)
	}
	wantStatus(t, "DELETE /accounts/bob as admin", acctDo(t, srv, http.MethodDelete, "/accounts/bob", "admin:root", nil), http.StatusOK, 0)
	if got := acctUserID(t, srv, "bob:reset"); got == "account:bob" {
		t.Error("GET /v1/ as bob after deletion: still account:bob, want the login refused")
	}
}

func TestAccountsMountedByIncludes(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_MULTIAUTH_POLICIES", "basicauth")
	t.Setenv("KINTO_INCLUDES", "kinto.plugins.default_bucket kinto.plugins.accounts")
	t.Setenv("KINTO_ACCOUNT_CREATE_PRINCIPALS", "system.Everyone")
	t.Setenv("KINTO_ACCOUNT_BCRYPT_COST", "4")
	srv := runnertest.Start(t, command())
	body := map[string]any{"data": map[string]any{"password": "pw"}}
	wantStatus(t, "PUT /accounts/bob with the plugin included", acctDo(t, srv, http.MethodPut, "/accounts/bob", "", body), http.StatusCreated, 0)
	// Without the accounts policy nobody logs in with it.
	if got := acctUserID(t, srv, "bob:pw"); !strings.HasPrefix(got, "basicauth:") {
		t.Errorf("GET /v1/ as bob:pw without the accounts policy: user.id %q, want a basicauth id", got)
	}

	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_MULTIAUTH_POLICIES", "basicauth")
	srv = runnertest.Start(t, command())
	wantStatus(t, "GET /accounts without the plugin", acctDo(t, srv, http.MethodGet, "/accounts", "bob:pw", nil), http.StatusNotFound, 111)
}

func TestAccountsSettingErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		env     map[string]string
		setting string
		value   string
	}{
		{"basicauth before account", map[string]string{"KINTO_MULTIAUTH_POLICIES": "basicauth account"}, "multiauth.policies", `"basicauth"`},
		{"basicauth before a renamed accounts policy", map[string]string{"KINTO_MULTIAUTH_POLICIES": "basicauth acc",
			"KINTO_MULTIAUTH_POLICY_ACC_USE": "kinto.plugins.accounts.AccountsPolicy"}, "multiauth.policies", `"acc"`},
		{"bcrypt cost too low", map[string]string{"KINTO_ACCOUNT_BCRYPT_COST": "3"}, "account_bcrypt_cost", "3"},
		{"bcrypt cost too high", map[string]string{"KINTO_ACCOUNT_BCRYPT_COST": "32"}, "account_bcrypt_cost", "32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			runnertest.CleanEnv(t, command())
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, _, errOut := runnertest.Run(t, command())
			if code == runner.ExitOK {
				t.Fatal("exit 0, want non-zero")
			}
			if !strings.Contains(errOut, "setting "+c.setting) || !strings.Contains(errOut, c.value) {
				t.Errorf("stderr = %q, want setting %s and %s", errOut, c.setting, c.value)
			}
		})
	}
}
