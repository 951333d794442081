package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// runInit runs kinto init with args in a fresh folder and returns the
// path and text of the file it wrote.
func runInit(t *testing.T, args ...string) (path, text string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "config", "kinto.ini")
	code, out, errOut := runnertest.Run(t, command(), append([]string{"init", "--ini", path}, args...)...)
	if code != 0 || !strings.Contains(out, "Created config") {
		t.Fatalf("init %q: exit %d, %q %q", args, code, out, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("init %q: %v", args, err)
	}
	return path, string(b)
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// iniValue returns the value of key (one line) in text, "" when absent.
func iniValue(text, key string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = (.*)$`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestInitWritesKintoINI(t *testing.T) {
	runnertest.CleanEnv(t, command())
	_, text := runInit(t, "--backend", "postgresql", "--cache-backend", "redis", "--host", "0.0.0.0")
	for key, want := range map[string]string{
		"kinto.storage_backend":          "kinto.core.storage.postgresql",
		"kinto.storage_url":              "postgresql://postgres:postgres@localhost/postgres",
		"kinto.permission_backend":       "kinto.core.permission.postgresql",
		"kinto.permission_url":           "postgresql://postgres:postgres@localhost/postgres",
		"kinto.cache_backend":            "kinto.core.cache.redis",
		"kinto.cache_url":                "redis://127.0.0.1:6379/0",
		"host":                           "0.0.0.0",
		"port":                           "%(http_port)s",
		"multiauth.policies":             "account",
		"multiauth.policy.account.use":   "kinto.plugins.accounts.AccountsPolicy",
		"kinto.account_write_principals": "account:admin",
		"kinto.bucket_create_principals": "account:admin",
	} {
		if got := iniValue(text, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	for _, section := range []string{"[server:main]", "[app:main]", "[loggers]", "[handlers]", "[formatters]", "[logger_root]"} {
		if !strings.Contains(text, "\n"+section+"\n") {
			t.Errorf("no %s section", section)
		}
	}
	if !regexp.MustCompile(`(?m)^kinto.includes = kinto.plugins.default_bucket\n\s+kinto.plugins.admin\n\s+kinto.plugins.accounts\n`).MatchString(text) {
		t.Errorf("includes are not default_bucket, admin, accounts:\n%s", text)
	}
	secret := iniValue(text, "kinto.userid_hmac_secret")
	salt := iniValue(text, "kinto.default_bucket_hmac_secret")
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	if !hex64.MatchString(secret) || !hex64.MatchString(salt) || secret == salt {
		t.Errorf("secrets %q, %q: want two distinct 32-byte hex strings", secret, salt)
	}
	// Each run draws new secrets.
	if _, again := runInit(t, "--backend", "memory", "--cache-backend", "memory"); iniValue(again, "kinto.userid_hmac_secret") == secret {
		t.Error("two inits wrote the same userid_hmac_secret")
	}
}

func TestInitDefaultsAndRefusals(t *testing.T) {
	runnertest.CleanEnv(t, command())
	// No terminal: the backends not given are memory, without a prompt.
	path, text := runInit(t)
	if got := iniValue(text, "kinto.storage_backend"); got != "kinto.core.storage.memory" {
		t.Errorf("storage_backend = %q, want memory", got)
	}
	if got := iniValue(text, "kinto.cache_backend"); got != "kinto.core.cache.memory" {
		t.Errorf("cache_backend = %q, want memory", got)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of the written file: %v %v, want 0600 (it holds secrets)", fi.Mode(), err)
	}
	// An existing file is never overwritten.
	if err := os.WriteFile(path, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runnertest.Run(t, command(), "init", "--ini", path, "--backend", "memory")
	if b, _ := os.ReadFile(path); code != 1 || !strings.Contains(errOut, "already exists") || string(b) != "mine" {
		t.Errorf("init over a file: exit %d, %q, file %q; want 1, already exists, untouched", code, errOut, b)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--backend", "mysql"},
		{"--cache-backend", "memcached"},
		{"--host", ""},
		{"--bogus"},
		{"extra"},
	} {
		p := filepath.Join(dir, "k.ini")
		code, _, errOut := runnertest.Run(t, command(), append([]string{"init", "--ini", p}, args...)...)
		if _, err := os.Stat(p); code != 2 || err == nil {
			t.Errorf("init %q: exit %d (%s), file written: %v; want 2 and no file", args, code, errOut, err == nil)
		}
	}
	// KINTO_INI names the file when --ini does not.
	p := filepath.Join(dir, "env.ini")
	t.Setenv("KINTO_INI", p)
	if code, _, errOut := runnertest.Run(t, command(), "init", "--backend", "memory", "--cache-backend", "memory"); code != 0 {
		t.Fatalf("init with KINTO_INI: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("init with KINTO_INI did not write it: %v", err)
	}
}

// TestInitMemoryServes: the file init writes for memory starts a server
// with the accounts plugin and the personal bucket.
func TestInitMemoryServes(t *testing.T) {
	runnertest.CleanEnv(t, command())
	path, _ := runInit(t, "--backend", "memory", "--cache-backend", "memory")
	srv := runnertest.Start(t, command(), "--ini", path)
	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/")
	if code != 200 {
		t.Fatalf("GET /v1/: %d", code)
	}
	caps, _ := hello["capabilities"].(map[string]any)
	for _, c := range []string{"accounts", "default_bucket", "admin"} {
		if _, ok := caps[c]; !ok {
			t.Errorf("capability %q missing: %v", c, caps)
		}
	}
	if strings.Contains(srv.Stderr.String(), "level=warning") {
		t.Errorf("the file init writes draws warnings:\n%s", srv.Stderr.String())
	}
}

// TestCreateUserUsage: the refusals, before any backend is opened.
func TestCreateUserUsage(t *testing.T) {
	runnertest.CleanEnv(t, command())
	path, _ := runInit(t, "--backend", "memory", "--cache-backend", "memory")
	for _, tc := range []struct {
		args []string
		env  map[string]string
		code int
	}{
		{[]string{"-u", "bob"}, nil, 2},                  // no password, no terminal
		{[]string{"--password", "pw"}, nil, 2},           // no name, no terminal
		{[]string{"-u", "b o b", "-p", "pw"}, nil, 2},    // invalid name
		{[]string{"-u", "bob", "-p", "pw", "x"}, nil, 2}, // extra argument
		{[]string{"-u", "bob", "-p", "pw"}, map[string]string{"KINTO_READONLY": "true"}, 51},
		{[]string{"-u", "bob", "-p", "pw"}, map[string]string{"KINTO_INCLUDES": "kinto.plugins.admin"}, 52},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		code, _, errOut := runnertest.Run(t, command(), append([]string{"create-user", "--ini", path}, tc.args...)...)
		if code != tc.code {
			t.Errorf("create-user %q %v: exit %d (%s), want %d", tc.args, tc.env, code, errOut, tc.code)
		}
		for k := range tc.env {
			os.Unsetenv(k)
		}
	}
}

// TestInitPostgresMigrateServeCreateUser: init --backend postgresql, then
// migrate, create-user and serve on that file (its URLs pointed at the
// test database by the environment, as an operator would override them),
// and the user logs in.
func TestInitPostgresMigrateServeCreateUser(t *testing.T) {
	base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("CLIQUET_TEST_POSTGRES_URL not set: init on PostgreSQL skipped")
	}
	dsn := runnertest.FreshPostgresSchema(t, base)
	runnertest.CleanEnv(t, command())
	path, _ := runInit(t, "--backend", "postgresql", "--cache-backend", "postgresql")

	// Before migrate, serve says what is missing.
	t.Setenv("KINTO_STORAGE_URL", dsn)
	t.Setenv("KINTO_PERMISSION_URL", dsn)
	t.Setenv("KINTO_CACHE_URL", dsn)
	t.Setenv("KINTO_ACCOUNT_BCRYPT_COST", "4")
	if code, _, errOut := runnertest.Run(t, command(), "serve", "--ini", path); code == 0 || !strings.Contains(errOut, "migrate") {
		t.Errorf("serve before migrate: exit %d, %q; want a failure naming migrate", code, errOut)
	}
	if code, out, errOut := runnertest.Run(t, command(), "migrate", "--ini", path); code != 0 {
		t.Fatalf("migrate: exit %d, %q %q", code, out, errOut)
	}
	code, out, errOut := runnertest.Run(t, command(), "create-user", "--ini", path, "--username", "admin", "--password", "s3cret")
	if code != 0 || !strings.Contains(out, "Account admin created.") {
		t.Fatalf("create-user: exit %d, %q %q", code, out, errOut)
	}

	srv := runnertest.Start(t, command(), "--ini", path)
	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/", "Authorization", basic("admin", "s3cret"))
	user, _ := hello["user"].(map[string]any)
	if code != 200 || user["id"] != "account:admin" {
		t.Fatalf("GET /v1/ as admin: %d, user %v; want account:admin", code, user)
	}
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/accounts/admin", "Authorization", basic("admin", "wrong")); code != 401 {
		t.Errorf("GET /v1/accounts/admin with a wrong password: %d, want 401", code)
	}
	// account:admin may create buckets, as the file says.
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/buckets", "Authorization", basic("admin", "s3cret")); code != 200 {
		t.Errorf("GET /v1/buckets as admin: %d", code)
	}

	// create-user again changes the password, and the running server,
	// which shares the cache, stops accepting the old one at once.
	code, out, errOut = runnertest.Run(t, command(), "create-user", "--ini", path, "-u", "admin", "-p", "other")
	if code != 0 || !strings.Contains(out, "Password of account admin changed.") {
		t.Fatalf("create-user again: exit %d, %q %q", code, out, errOut)
	}
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/accounts/admin", "Authorization", basic("admin", "s3cret")); code != 401 {
		t.Errorf("old password after create-user: %d, want 401", code)
	}
	if code, body := runnertest.GetJSON(t, srv.Base+"/v1/accounts/admin", "Authorization", basic("admin", "other")); code != 200 {
		t.Errorf("new password after create-user: %d %v, want 200", code, body)
	}
}

// TestCreateUserInProcess: create-user's work on the memory backends of a
// server built from the file init writes: the account logs in, and a
// second run changes the password at once.
func TestCreateUserInProcess(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_ACCOUNT_BCRYPT_COST", "4")
	path, _ := runInit(t, "--backend", "memory", "--cache-backend", "memory")
	s, src, err := command().Load(path)
	if err != nil {
		t.Fatalf("load the file init wrote: %v", err)
	}
	h, b := newHandler(t, s, src)
	whoami := func(creds string) (int, any) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, "/v1/", nil)
		req.Header.Set("Authorization", creds)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			User map[string]any `json:"user"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("GET /v1/: %v: %s", err, rec.Body)
		}
		return rec.Code, body.User["id"]
	}
	ctx := context.Background()
	var out, errOut strings.Builder
	if code := createUser(ctx, b, s, src, "alice", "pw1", &out, &errOut); code != 0 || !strings.Contains(out.String(), "Account alice created.") {
		t.Fatalf("createUser(alice): exit %d, %q %q", code, out.String(), errOut.String())
	}
	if code, id := whoami(basic("alice", "pw1")); code != 200 || id != "account:alice" {
		t.Fatalf("GET /v1/ as alice: %d, user %v; want account:alice", code, id)
	}
	out.Reset()
	if code := createUser(ctx, b, s, src, "alice", "pw2", &out, &errOut); code != 0 || !strings.Contains(out.String(), "Password of account alice changed.") {
		t.Fatalf("createUser(alice) again: exit %d, %q %q", code, out.String(), errOut.String())
	}
	// Bad credentials on the hello view are an anonymous hello.
	if _, id := whoami(basic("alice", "pw1")); id != nil {
		t.Errorf("old password after create-user: user %v, want anonymous", id)
	}
	if code, id := whoami(basic("alice", "pw2")); code != 200 || id != "account:alice" {
		t.Errorf("new password: %d, user %v", code, id)
	}
	// A password bcrypt cannot hash whole is refused, not truncated.
	if code := createUser(ctx, b, s, src, "bob", strings.Repeat("x", 73), &out, &errOut); code != 1 {
		t.Errorf("createUser with a 73-byte password: exit %d, want 1", code)
	}
	if _, id := whoami(basic("bob", strings.Repeat("x", 72))); id != nil {
		t.Errorf("bob after a refused create-user: user %v, want anonymous", id)
	}
}

// TestInitFilesLoad: every backend choice writes a file that loads with
// the backends chosen.
func TestInitFilesLoad(t *testing.T) {
	runnertest.CleanEnv(t, command())
	for _, b := range []string{"memory", "postgresql", "redis"} {
		path, _ := runInit(t, "--backend", b, "--cache-backend", b)
		s, _, err := command().Load(path)
		if err != nil {
			t.Errorf("load the file of --backend %s: %v", b, err)
			continue
		}
		if string(s.StorageBackend) != b || string(s.PermissionBackend) != b || string(s.CacheBackend) != b {
			t.Errorf("--backend %s: loaded %s/%s/%s", b, s.StorageBackend, s.PermissionBackend, s.CacheBackend)
		}
		if s.ListenHost != "127.0.0.1" || s.HTTPPort != 8888 || len(s.UserIDHMACSecret) != 64 {
			t.Errorf("--backend %s: listen %s:%d, secret %q", b, s.ListenHost, s.HTTPPort, s.UserIDHMACSecret)
		}
	}
}

// TestChoose: the prompt of init takes the listed answers, the empty one
// as the default, asks again otherwise and gives up at the end of input.
func TestChoose(t *testing.T) {
	choices := map[string]string{"": "memory", "1": "postgresql"}
	for _, tc := range []struct {
		in, want string
		prompts  int
		fails    bool
	}{
		{"\n", "memory", 1, false},
		{" 1 \n", "postgresql", 1, false},
		{"x\n2\n1\n", "postgresql", 3, false},
		{"1", "postgresql", 1, false}, // no final newline
		{"", "", 1, true},
		{"x\n", "", 2, true},
	} {
		var out strings.Builder
		got, err := choose(bufio.NewReader(strings.NewReader(tc.in)), &out, "? ", choices)
		if got != tc.want || (err != nil) != tc.fails || strings.Count(out.String(), "? ") != tc.prompts {
			t.Errorf("choose(%q) = %q, %v after %d prompts; want %q, error %v, %d prompts",
				tc.in, got, err, strings.Count(out.String(), "? "), tc.want, tc.fails, tc.prompts)
		}
	}
}
