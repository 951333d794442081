// Tests of package main call run directly, the way main does; they live in
// package main because a command cannot be imported.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// syncBuffer is a bytes.Buffer safe to read while the server writes logs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cleanEnv unsets every variable the service reads, so that the
// developer's environment cannot change a test; t.Setenv restores them.
func cleanEnv(t *testing.T) {
	t.Helper()
	described, err := config.Describe(&settings{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	names := []string{"KINTO_INI"}
	for _, s := range described {
		names = append(names, s.Env, envPrefix+"_"+s.Env)
	}
	for _, n := range names {
		if _, ok := os.LookupEnv(n); ok {
			t.Setenv(n, "")
			os.Unsetenv(n)
		}
	}
}

// runCLI runs the command to completion and returns its exit code and
// outputs. It fails the test if the command starts listening.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	c := cli{stdout: &out, stderr: &errOut, onListen: func(a net.Addr) {
		t.Errorf("run(%q) listened on %s, want it to stop before", args, a)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code = c.run(ctx, args)
	return code, out.String(), errOut.String()
}

// server is a service started by startServer.
type server struct {
	base   string // "http://127.0.0.1:port"
	port   int
	stderr *syncBuffer
	stop   func() int // cancels the context and returns the exit code
}

// startServer runs "serve" on a free port and waits until it listens.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	t.Setenv("KINTO_HTTP_PORT", "0")
	t.Setenv("KINTO_HTTP_HOST", "127.0.0.1")
	listening := make(chan net.Addr, 1)
	errOut := &syncBuffer{}
	c := cli{stdout: &syncBuffer{}, stderr: errOut, onListen: func(a net.Addr) { listening <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- c.run(ctx, append([]string{"serve"}, args...)) }()

	var addr net.Addr
	select {
	case addr = <-listening:
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d before listening: %s", code, errOut.String())
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("serve did not listen within 10s: %s", errOut.String())
	}
	stopped := false
	code := 0
	stop := func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("serve did not stop within 10s of cancel")
		}
		return code
	}
	t.Cleanup(func() { stop() })
	port := addr.(*net.TCPAddr).Port
	return &server{base: "http://" + addr.String(), port: port, stderr: errOut, stop: stop}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: body is not a JSON object: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestServeAnswersHelloThenStopsOnCancel(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_PROJECT_VERSION", "9.9.9")
	srv := startServer(t)

	code, hello := getJSON(t, srv.base+"/v1/")
	if code != http.StatusOK {
		t.Fatalf("GET /v1/: status %d, want 200", code)
	}
	if hello["project_name"] != "kinto" || hello["http_api_version"] != "1.23" || hello["project_version"] != "9.9.9" {
		t.Errorf("hello = %v, want project_name kinto, http_api_version 1.23, project_version 9.9.9", hello)
	}
	if want := srv.base + "/v1/"; hello["url"] != want {
		t.Errorf("hello url = %v, want %s", hello["url"], want)
	}
	code, beat := getJSON(t, srv.base+"/v1/__heartbeat__")
	want := map[string]any{"storage": true, "cache": true, "permission": true}
	if code != http.StatusOK || !reflect.DeepEqual(beat, want) {
		t.Errorf("GET __heartbeat__ = %d %v, want 200 %v", code, beat, want)
	}

	// The healthcheck command finds the server through the same settings.
	t.Setenv("KINTO_HTTP_PORT", strconv.Itoa(srv.port))
	if code, out, errOut := runCLI(t, "healthcheck"); code != exitOK {
		t.Errorf("healthcheck against a running server: exit %d (%s%s), want 0", code, out, errOut)
	}

	if code := srv.stop(); code != exitOK {
		t.Errorf("serve after cancel: exit %d, want 0; log: %s", code, srv.stderr.String())
	}
	if _, err := http.Get(srv.base + "/v1/"); err == nil {
		t.Errorf("GET /v1/ after shutdown succeeded, want the listener closed")
	}
	for _, want := range []string{"listening on " + srv.base + "/v1/", "shutting down", "stopped"} {
		if !strings.Contains(srv.stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, srv.stderr.String())
		}
	}
}

func TestShutdownWaitsForInFlightRequests(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration
		wantErr  bool
		wantBody bool
	}{
		{name: "finishes within the grace period", timeout: 5 * time.Second, wantBody: true},
		{name: "cut after the grace period", timeout: 50 * time.Millisecond, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			entered, release := make(chan struct{}), make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				select {
				case <-release:
				case <-r.Context().Done():
					return
				}
				_, _ = w.Write([]byte("done"))
			})
			log := logrus.New()
			log.SetOutput(&bytes.Buffer{})
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- serveUntilDone(ctx, ln, h, tt.timeout, log) }()

			type result struct {
				body string
				err  error
			}
			got := make(chan result, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err != nil {
					got <- result{err: err}
					return
				}
				defer resp.Body.Close()
				var b bytes.Buffer
				_, err = b.ReadFrom(resp.Body)
				got <- result{b.String(), err}
			}()
			<-entered
			cancel()
			// New connections are refused once shutdown has begun.
			deadline := time.Now().Add(2 * time.Second)
			for {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					break
				}
				c.Close()
				if time.Now().After(deadline) {
					t.Fatal("listener still accepts 2s after cancel")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tt.wantErr {
				err := <-served
				close(release)
				if err == nil || !strings.Contains(err.Error(), "shutdown") {
					t.Errorf("serveUntilDone = %v, want a shutdown error after the grace period", err)
				}
				if r := <-got; r.err == nil {
					t.Errorf("cut request answered %q, want a transport error", r.body)
				}
				return
			}
			close(release)
			if r := <-got; r.err != nil || r.body != "done" {
				t.Errorf("in-flight request during shutdown: %q, %v; want done", r.body, r.err)
			}
			if err := <-served; err != nil {
				t.Errorf("serveUntilDone = %v, want nil", err)
			}
		})
	}
}

func TestJSONLogs(t *testing.T) {
	cleanEnv(t)
	t.Setenv("KINTO_LOG_FORMAT", "json")
	srv := startServer(t)
	srv.stop()
	lines := strings.Split(strings.TrimSpace(srv.stderr.String()), "\n")
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
		{"backend not built in", map[string]string{"KINTO_CACHE_BACKEND": "kinto.core.cache.redis",
			"KINTO_CACHE_URL": "redis://localhost"}, nil, "cache_backend", `"redis"`},
		{"accounts admins", map[string]string{"KINTO_ACCOUNT_CREATE_PRINCIPALS": "account:alice"}, nil, "account_create_principals", `"account:alice"`},
		{"bad eos", map[string]string{"KINTO_EOS": "soon"}, nil, "eos", `"soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, _, errOut := runCLI(t, tt.args...)
			if code == exitOK {
				t.Fatalf("exit 0, want non-zero")
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], "setting "+tt.setting) || !strings.Contains(lines[0], tt.value) {
				t.Errorf("stderr = %q, want one line naming setting %s and %s", errOut, tt.setting, tt.value)
			}
		})
	}
}

func TestListenFailureExitsNonZero(t *testing.T) {
	cleanEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("KINTO_HTTP_PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	code, _, errOut := runCLI(t, "serve")
	if code != exitFailure || !strings.Contains(errOut, "listen on") {
		t.Errorf("serve on a taken port: exit %d, %q; want 1 and a listen error", code, errOut)
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
		{name: "version", args: []string{"version"}, code: exitOK, stdout: version + "\n", emptyError: true},
		{name: "version after flag", args: []string{"--ini", "x.ini", "version"}, code: exitOK, stdout: version + "\n"},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: "Usage: kinto"},
		{name: "-h", args: []string{"-h"}, code: exitUsage, stdout: "Usage: kinto"},
		{name: "migrate on memory", args: []string{"migrate"}, code: exitOK, stdout: "nothing to do"},
		{name: "migrate with a backend not built in", args: []string{"migrate"}, code: exitFailure, stderr: "setting permission_backend",
			env: map[string]string{"KINTO_PERMISSION_BACKEND": "redis", "KINTO_PERMISSION_URL": "redis://x"}},
		{name: "migrate on an unreachable postgresql", args: []string{"migrate"}, code: exitFailure, stderr: "migrate",
			env: map[string]string{"KINTO_STORAGE_BACKEND": "postgresql", "KINTO_STORAGE_URL": "postgresql://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}},
		{name: "unknown command", args: []string{"dance"}, code: exitUsage, stderr: `unknown command "dance"`},
		{name: "unknown flag", args: []string{"--port", "1"}, code: exitUsage, stderr: "flag provided but not defined"},
		{name: "unknown flag after command", args: []string{"serve", "--nope"}, code: exitUsage, stderr: "flag provided but not defined"},
		{name: "extra argument", args: []string{"serve", "now"}, code: exitUsage, stderr: `unexpected argument "now"`},
		{name: "missing ini file", args: []string{"serve", "--ini", "/nonexistent/kinto.ini"}, code: exitUsage, stderr: "read ini file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runCLI(t, tt.args...)
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

func TestHealthcheckFailsWithoutServer(t *testing.T) {
	cleanEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	t.Setenv("KINTO_HTTP_PORT", strconv.Itoa(port))
	t.Setenv("KINTO_HTTP_HOST", "0.0.0.0") // wildcard: checked on loopback
	code, _, errOut := runCLI(t, "healthcheck")
	if code != exitFailure || !strings.Contains(errOut, "127.0.0.1:"+strconv.Itoa(port)) {
		t.Errorf("healthcheck without server: exit %d, %q; want 1 naming 127.0.0.1:%d", code, errOut, port)
	}
}

func TestHealthcheckFailsOnErrorStatus(t *testing.T) {
	cleanEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	})}
	go hs.Serve(ln)
	defer hs.Close()
	t.Setenv("KINTO_HTTP_PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	code, _, errOut := runCLI(t, "healthcheck")
	if code != exitFailure || !strings.Contains(errOut, "503") {
		t.Errorf("healthcheck on a 503 server: exit %d, %q; want 1 and the status", code, errOut)
	}
}

func TestHTTPConfigFillsEveryField(t *testing.T) {
	s := settings{Core: config.Core{
		ProjectName: "p", ProjectDocs: "https://d/", HTTPAPIVersion: "1.23",
		HTTPScheme: "https", HTTPPublicHost: "h.example.com",
		PaginateBy: config.NullInt{Int: 20, Valid: true}, StorageMaxFetchSize: 30,
		ReadOnly: true, BatchMaxRequests: 5, ExplicitPermissions: true,
		CORSOrigins: config.List{"*"}, CORSMaxAgeSeconds: config.NullInt{Int: 10, Valid: true},
		VersionPrefixRedirectEnabled: true, VersionPrefixRedirectTTLSeconds: 1,
		TrailingSlashRedirectEnabled: true, TrailingSlashRedirectTTLSeconds: 2, RootCacheExpiresSeconds: 3,
		HeartbeatTimeoutSeconds: 1.5, VersionJSONPath: "v.json", ErrorInfoLink: "https://e/", MaxBodyBytes: 99,
		RetryAfterSeconds: 4, Backoff: config.NullInt{Int: 5, Valid: true}, BackoffPercentage: config.NullInt{Int: 6, Valid: true},
		EOS: "2030-01-01", EOSMessage: "bye", EOSURL: "https://eos/",
	}}
	cfg := httpConfig(&s, "1.2.3")
	v := reflect.ValueOf(cfg)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("httpConfig left %s zero", v.Type().Field(i).Name)
		}
	}
	if cfg.ProjectVersion != "1.2.3" || cfg.HeartbeatTimeout != 1500*time.Millisecond || cfg.HTTPHost != "h.example.com" {
		t.Errorf("httpConfig = %+v, want the binary version, 1.5s heartbeat and the public host", cfg)
	}

	// Null settings map to the adapter's "none" values.
	s.CORSMaxAgeSeconds, s.Backoff, s.BackoffPercentage, s.PaginateBy = config.NullInt{}, config.NullInt{}, config.NullInt{}, config.NullInt{}
	s.ProjectVersion = "7"
	cfg = httpConfig(&s, "1.2.3")
	if cfg.CORSMaxAge != -1 || cfg.Backoff != 0 || cfg.BackoffPercentage != 0 || cfg.PaginateBy != 0 || cfg.ProjectVersion != "7" {
		t.Errorf("httpConfig(nulls) = CORSMaxAge %d, Backoff %d, BackoffPercentage %d, PaginateBy %d, ProjectVersion %q; want -1, 0, 0, 0, 7",
			cfg.CORSMaxAge, cfg.Backoff, cfg.BackoffPercentage, cfg.PaginateBy, cfg.ProjectVersion)
	}
}

func TestAuthenticators(t *testing.T) {
	cleanEnv(t)
	ini := filepath.Join(t.TempDir(), "kinto.ini")
	body := "[app:main]\nmultiauth.policies = account basicauth custom\n" +
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
	auths, accounts, err := newAuthenticators(&s, src, memory.NewStorage(memory.SystemClock{}), log)
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
	cleanEnv(t)
	srv := startServer(t, "--ini", filepath.Join("..", "..", "configs", "kinto.ini"))
	code, hello := getJSON(t, srv.base+"/v1/")
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
	cleanEnv(t)
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
