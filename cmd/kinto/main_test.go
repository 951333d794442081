// Tests of package main run the command line directly, the way main does;
// they live in package main because a command cannot be imported.
package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

func TestServeAnswersHelloThenStopsOnCancel(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_PROJECT_VERSION", "9.9.9")
	srv := runnertest.Start(t, command())

	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/: status %d, want 200", code)
	}
	if hello["project_name"] != "kinto" || hello["http_api_version"] != "1.23" || hello["project_version"] != "9.9.9" {
		t.Errorf("hello = %v, want project_name kinto, http_api_version 1.23, project_version 9.9.9", hello)
	}
	if want := srv.Base + "/v1/"; hello["url"] != want {
		t.Errorf("hello url = %v, want %s", hello["url"], want)
	}
	code, beat := runnertest.GetJSON(t, srv.Base+"/v1/__heartbeat__")
	want := map[string]any{"storage": true, "cache": true, "permission": true}
	if code != http.StatusOK || !reflect.DeepEqual(beat, want) {
		t.Errorf("GET __heartbeat__ = %d %v, want 200 %v", code, beat, want)
	}

	if code := srv.Stop(); code != runner.ExitOK {
		t.Errorf("serve after cancel: exit %d, want 0; log: %s", code, srv.Stderr.String())
	}
}

func TestJSONLogs(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_LOG_FORMAT", "json")
	srv := runnertest.Start(t, command())
	srv.Stop()
	lines := strings.Split(strings.TrimSpace(srv.Stderr.String()), "\n")
	for _, line := range lines {
		var entry struct {
			Logger string
			Fields map[string]any
		}
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Logger != "kinto" || entry.Fields["msg"] == nil {
			t.Errorf("log line %q: %v; want mozlog JSON with Logger kinto", line, err)
		}
	}
}

func TestBadSettingsExitBeforeListening(t *testing.T) {
	badINI := filepath.Join(t.TempDir(), "bad.ini")
	if err := os.WriteFile(badINI, []byte("[app:main]\nkinto.paginate_by = many\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		setting string
		value   string
	}{
		{"unknown storage backend", map[string]string{"KINTO_STORAGE_BACKEND": "bogus"}, nil, "storage_backend", `"bogus"`},
		{"port not a number", map[string]string{"KINTO_HTTP_PORT": "eighty"}, nil, "http_port", `"eighty"`},
		{"bad ini value", nil, []string{"--ini", badINI}, "paginate_by", `"many"`},
		{"bad ini value via KINTO_INI", map[string]string{"KINTO_INI": badINI}, []string{"serve"}, "paginate_by", `"many"`},
		{"bad log format", map[string]string{"KINTO_LOG_FORMAT": "xml"}, nil, "log_format", `"xml"`},
		{"bad permission url", map[string]string{"KINTO_PERMISSION_BACKEND": "kinto_redis.permission",
			"KINTO_PERMISSION_URL": "http://localhost"}, nil, "permission_url", `"http"`},
		{"bad cache url", map[string]string{"KINTO_CACHE_BACKEND": "kinto.core.cache.redis",
			"KINTO_CACHE_URL": "http://localhost"}, nil, "cache_url", `"http"`},
		{"accounts admins", map[string]string{"KINTO_ACCOUNT_CREATE_PRINCIPALS": "account:alice"}, nil, "account_create_principals", `"account:alice"`},
		{"bad eos", map[string]string{"KINTO_EOS": "soon"}, nil, "eos", `"soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runnertest.CleanEnv(t, command())
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, _, errOut := runnertest.Run(t, command(), tt.args...)
			if code == runner.ExitOK {
				t.Fatalf("exit 0, want non-zero")
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "setting "+tt.setting) || !strings.Contains(lines[0], tt.value) {
				t.Errorf("stderr = %q, want one line naming setting %s and %s", errOut, tt.setting, tt.value)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		stdout     string
		stderr     string
		emptyError bool
	}{
		{name: "version", args: []string{"version"}, code: runner.ExitOK, stdout: version + "\n", emptyError: true},
		{name: "version after flag", args: []string{"--ini", "x.ini", "version"}, code: runner.ExitOK, stdout: version + "\n"},
		{name: "help", args: []string{"help"}, code: runner.ExitOK, stdout: "Usage: kinto"},
		{name: "-h", args: []string{"-h"}, code: runner.ExitOK, stdout: "Usage: kinto"},
		{name: "migrate on memory", args: []string{"migrate"}, code: runner.ExitOK, stdout: "nothing to do"},
		{name: "migrate on redis", args: []string{"migrate"}, code: runner.ExitOK, stdout: "nothing to do",
			env: map[string]string{"KINTO_PERMISSION_BACKEND": "redis", "KINTO_PERMISSION_URL": "redis://x"}},
		{name: "migrate on an unreachable postgresql", args: []string{"migrate"}, code: runner.ExitFailure, stderr: "migrate",
			env: map[string]string{"KINTO_STORAGE_BACKEND": "postgresql", "KINTO_STORAGE_URL": "postgresql://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}},
		{name: "unknown command", args: []string{"dance"}, code: runner.ExitUsage, stderr: `unknown command "dance"`},
		{name: "unknown flag", args: []string{"--port", "1"}, code: runner.ExitUsage, stderr: "flag provided but not defined"},
		{name: "unknown flag after command", args: []string{"serve", "--nope"}, code: runner.ExitUsage, stderr: "flag provided but not defined"},
		{name: "extra argument", args: []string{"serve", "now"}, code: runner.ExitUsage, stderr: `unexpected argument "now"`},
		{name: "missing ini file", args: []string{"serve", "--ini", "/nonexistent/kinto.ini"}, code: runner.ExitUsage, stderr: "read ini file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runnertest.CleanEnv(t, command())
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runnertest.Run(t, command(), tt.args...)
			if code != tt.code {
				t.Errorf("run(%q): exit %d, want %d (stderr %q)", tt.args, code, tt.code, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("run(%q): stdout %q, want it to contain %q", tt.args, out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("run(%q): stderr %q, want it to contain %q", tt.args, errOut, tt.stderr)
			}
			if tt.emptyError && errOut != "" {
				t.Errorf("run(%q): stderr %q, want none", tt.args, errOut)
			}
		})
	}
}

func TestAuthenticators(t *testing.T) {
	runnertest.CleanEnv(t, command())
	ini := filepath.Join(t.TempDir(), "kinto.ini")
	body := "[app:main]\nmultiauth.policies = account basicauth custom\nuserid_hmac_secret = s3cret\n" +
		"multiauth.policy.account.use = kinto.plugins.accounts.AccountsPolicy\n" +
		"multiauth.policy.custom.use = kinto.core.authentication.BasicAuthAuthenticationPolicy\n"
	if err := os.WriteFile(ini, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var s settings
	src, err := config.Load(envPrefix, ini, &s)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var logs bytes.Buffer
	log := logrus.New()
	log.SetOutput(&logs)
	auths, accounts, err := newAuthenticators(&s, src, memory.NewStorage(domain.SystemClock{}), memory.NewCache(memory.CacheOptions{}), log)
	if err != nil {
		t.Fatalf("newAuthenticators: %v", err)
	}
	var names []string
	for _, a := range auths {
		names = append(names, a.Name())
	}
	if want := []string{"account", "basicauth", "basicauth"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("newAuthenticators: policies %q, want %q (account, basicauth and custom)", names, want)
	}
	if accounts == nil || auths[0] != ports.Authenticator(accounts) {
		t.Errorf("newAuthenticators: accounts policy %v, want the first policy", accounts)
	}
	if logs.String() != "" {
		t.Errorf("log = %q, want no warning", logs.String())
	}
}

// TestREADMEDocumentsEverySetting keeps the configuration table honest.
func TestREADMEDocumentsEverySetting(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	described, err := config.Describe(&settings{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	for _, s := range described {
		if !bytes.Contains(readme, []byte("`"+s.Name+"`")) || !bytes.Contains(readme, []byte("KINTO_"+s.Env)) {
			t.Errorf("README.md does not document setting %s (KINTO_%s)", s.Name, s.Env)
		}
	}
}

func TestExampleINIServes(t *testing.T) {
	runnertest.CleanEnv(t, command())
	srv := runnertest.Start(t, command(), "--ini", filepath.Join("..", "..", "configs", "kinto.ini"))
	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/ with configs/kinto.ini: status %d, want 200", code)
	}
	caps, _ := hello["capabilities"].(map[string]any)
	if _, ok := caps["basicauth"]; !ok {
		t.Errorf("hello capabilities = %v, want basicauth from multiauth.policies", hello["capabilities"])
	}
}

// TestExampleEnvNamesRealSettings keeps configs/example.env free of typos:
// every variable it sets must be one the service reads.
func TestExampleEnvNamesRealSettings(t *testing.T) {
	runnertest.CleanEnv(t, command())
	raw, err := os.ReadFile(filepath.Join("..", "..", "configs", "example.env"))
	if err != nil {
		t.Fatalf("read example.env: %v", err)
	}
	described, err := config.Describe(&settings{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	known := map[string]bool{"KINTO_INI": true}
	for _, s := range described {
		known[envPrefix+"_"+s.Env] = true
	}
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "#"))
		name, value, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(name, "KINTO_") || strings.ContainsAny(name, " ") {
			continue
		}
		if !known[name] {
			t.Errorf("example.env sets %s, which no setting reads", name)
		}
		if !strings.HasPrefix(line, "KINTO_INI") {
			t.Setenv(name, strings.Trim(value, `"`))
		}
	}
	if _, err := config.Load(envPrefix, "", &settings{}); err != nil {
		t.Errorf("Load with example.env (commented examples included): %v", err)
	}
}
