// Tests of package main call run and newServer directly, the way main and
// serve do; they live in package main because a command cannot be
// imported.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/config"
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
	names := []string{envPrefix + "_INI"}
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

// runCLI runs the command to completion; it fails the test if the command
// starts listening.
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
	base   string
	port   int
	stderr *syncBuffer
	stop   func() int // cancels the context and returns the exit code
}

// startServer runs "serve" on a free port and waits until it listens.
func startServer(t *testing.T) *server {
	t.Helper()
	t.Setenv("READINGLIST_HTTP_PORT", "0")
	t.Setenv("READINGLIST_HTTP_HOST", "127.0.0.1")
	listening := make(chan net.Addr, 1)
	errOut := &syncBuffer{}
	c := cli{stdout: &syncBuffer{}, stderr: errOut, onListen: func(a net.Addr) { listening <- a }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- c.run(ctx, []string{"serve"}) }()

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
	stopped, code := false, 0
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
	return &server{base: "http://" + addr.String(), port: addr.(*net.TCPAddr).Port, stderr: errOut, stop: stop}
}

func getJSON(t *testing.T, url string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
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

func TestServeHelloHealthcheckAndShutdown(t *testing.T) {
	cleanEnv(t)
	srv := startServer(t)

	code, hello := getJSON(t, srv.base+"/v1/", "Authorization", basic("alice"))
	if code != http.StatusOK || hello["project_name"] != "readinglist" || hello["project_version"] != version {
		t.Errorf("GET /v1/ = %d %v, want project_name readinglist, project_version %s", code, hello, version)
	}
	if user, _ := hello["user"].(map[string]any); !strings.HasPrefix(user["id"].(string), "basicauth:") {
		t.Errorf("hello user = %v, want a basicauth user (basicauth is the default policy)", hello["user"])
	}
	code, beat := getJSON(t, srv.base+"/v1/__heartbeat__")
	if want := map[string]any{"storage": true}; code != http.StatusOK || !reflect.DeepEqual(beat, want) {
		t.Errorf("GET __heartbeat__ = %d %v, want 200 %v", code, beat, want)
	}
	code, stats := getJSON(t, srv.base+"/v1/articles/stats", "Authorization", basic("alice"))
	if code != http.StatusOK || stats["total"] != float64(0) {
		t.Errorf("GET stats = %d %v, want 200 with total 0", code, stats)
	}

	t.Setenv("READINGLIST_HTTP_PORT", strconv.Itoa(srv.port))
	if code, out, errOut := runCLI(t, "healthcheck"); code != exitOK {
		t.Errorf("healthcheck against a running server: exit %d (%s%s), want 0", code, out, errOut)
	}

	if code := srv.stop(); code != exitOK {
		t.Errorf("serve after cancel: exit %d, want 0; log: %s", code, srv.stderr.String())
	}
	if _, err := http.Get(srv.base + "/v1/"); err == nil {
		t.Errorf("GET /v1/ after shutdown succeeded, want the listener closed")
	}
	for _, want := range []string{"readinglist listening on " + srv.base + "/v1/", "shutting down", "stopped"} {
		if !strings.Contains(srv.stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, srv.stderr.String())
		}
	}

	// Nothing listens any more: the healthcheck fails.
	if code, _, errOut := runCLI(t, "healthcheck"); code != exitFailure || !strings.Contains(errOut, "healthcheck") {
		t.Errorf("healthcheck without a server: exit %d (%s), want 1", code, errOut)
	}
}

func TestSettingsOverrideServiceDefaults(t *testing.T) {
	cleanEnv(t)
	t.Setenv("READINGLIST_PROJECT_NAME", "mylist")
	t.Setenv("READINGLIST_MULTIAUTH_POLICIES", "")
	srv := startServer(t)
	code, hello := getJSON(t, srv.base+"/v1/", "Authorization", basic("alice"))
	if code != http.StatusOK || hello["project_name"] != "mylist" {
		t.Errorf("hello = %d %v, want project_name mylist", code, hello)
	}
	if _, ok := hello["user"]; ok {
		t.Errorf("hello user = %v with no authentication policy, want none", hello["user"])
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "version", args: []string{"version"}, wantCode: exitOK, wantStdout: version + "\n"},
		{name: "help", args: []string{"help"}, wantCode: exitOK, wantStdout: "Usage: readinglist"},
		{name: "-h", args: []string{"-h"}, wantCode: exitUsage, wantStdout: "Usage: readinglist"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: exitUsage, wantStderr: `unknown command "frobnicate"`},
		{name: "extra argument", args: []string{"serve", "now"}, wantCode: exitUsage, wantStderr: `unexpected argument "now"`},
		{name: "unknown flag", args: []string{"--verbose"}, wantCode: exitUsage, wantStderr: "flag provided but not defined"},
		{name: "missing ini", args: []string{"--ini", "/nonexistent/readinglist.ini"}, wantCode: exitUsage, wantStderr: "/nonexistent/readinglist.ini"},
		{name: "bad setting", env: map[string]string{"READINGLIST_HTTP_PORT": "http"}, wantCode: exitUsage, wantStderr: "setting http_port (from env READINGLIST_HTTP_PORT)"},
		{name: "backend not built", env: map[string]string{"READINGLIST_STORAGE_BACKEND": "postgresql", "READINGLIST_STORAGE_URL": "postgres://localhost/x"}, wantCode: exitUsage, wantStderr: `setting storage_backend: backend "postgresql" is not built`},
		{name: "bad log level", env: map[string]string{"READINGLIST_LOG_LEVEL": "loud"}, wantCode: exitUsage, wantStderr: "log_level"},
		{name: "bad eos", env: map[string]string{"READINGLIST_EOS": "someday"}, wantCode: exitUsage, wantStderr: "setting eos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("run(%q): exit %d, want %d (stdout %q, stderr %q)", tt.args, code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, tt.wantStdout) {
				t.Errorf("run(%q): stdout %q, want it to contain %q", tt.args, out, tt.wantStdout)
			}
			if !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("run(%q): stderr %q, want it to contain %q", tt.args, errOut, tt.wantStderr)
			}
		})
	}
}
