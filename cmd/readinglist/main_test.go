// Tests of package main run the command line and newServer directly, the
// way main and serve do; they live in package main because a command
// cannot be imported.
package main

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

func TestServeHelloAndShutdown(t *testing.T) {
	runnertest.CleanEnv(t, command())
	srv := runnertest.Start(t, command())

	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/", "Authorization", basic("alice"))
	if code != http.StatusOK || hello["project_name"] != "readinglist" || hello["project_version"] != version {
		t.Errorf("GET /v1/ = %d %v, want project_name readinglist, project_version %s", code, hello, version)
	}
	if user, _ := hello["user"].(map[string]any); !strings.HasPrefix(user["id"].(string), "basicauth:") {
		t.Errorf("hello user = %v, want a basicauth user (basicauth is the default policy)", hello["user"])
	}
	code, beat := runnertest.GetJSON(t, srv.Base+"/v1/__heartbeat__")
	if want := map[string]any{"storage": true}; code != http.StatusOK || !reflect.DeepEqual(beat, want) {
		t.Errorf("GET __heartbeat__ = %d %v, want 200 %v", code, beat, want)
	}
	code, stats := runnertest.GetJSON(t, srv.Base+"/v1/articles/stats", "Authorization", basic("alice"))
	if code != http.StatusOK || stats["total"] != float64(0) {
		t.Errorf("GET stats = %d %v, want 200 with total 0", code, stats)
	}

	if code := srv.Stop(); code != runner.ExitOK {
		t.Errorf("serve after cancel: exit %d, want 0; log: %s", code, srv.Stderr.String())
	}
}

// unreachablePostgres refuses connections at once.
const unreachablePostgres = "postgresql://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"

func TestServeIgnoresCacheAndPermissionSettings(t *testing.T) {
	runnertest.CleanEnv(t, command())
	// readinglist keeps everything in its storage: an INI written for
	// Cliquet's readinglist, with a Redis cache, must still start.
	t.Setenv("READINGLIST_CACHE_BACKEND", "cliquet.cache.redis")
	t.Setenv("READINGLIST_CACHE_URL", "redis://127.0.0.1:1/0")
	t.Setenv("READINGLIST_PERMISSION_BACKEND", "postgresql")
	t.Setenv("READINGLIST_PERMISSION_URL", unreachablePostgres)
	srv := runnertest.Start(t, command())
	code, beat := runnertest.GetJSON(t, srv.Base+"/v1/__heartbeat__")
	if want := map[string]any{"storage": true}; code != http.StatusOK || !reflect.DeepEqual(beat, want) {
		t.Errorf("GET __heartbeat__ = %d %v, want 200 %v", code, beat, want)
	}
}

func TestSettingsOverrideServiceDefaults(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("READINGLIST_PROJECT_NAME", "mylist")
	t.Setenv("READINGLIST_MULTIAUTH_POLICIES", "")
	srv := runnertest.Start(t, command())
	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/", "Authorization", basic("alice"))
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
		{name: "version", args: []string{"version"}, wantCode: runner.ExitOK, wantStdout: version + "\n"},
		{name: "help", args: []string{"help"}, wantCode: runner.ExitOK, wantStdout: "Usage: readinglist"},
		{name: "-h", args: []string{"-h"}, wantCode: runner.ExitOK, wantStdout: "Usage: readinglist"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: runner.ExitUsage, wantStderr: `unknown command "frobnicate"`},
		{name: "extra argument", args: []string{"serve", "now"}, wantCode: runner.ExitUsage, wantStderr: `unexpected argument "now"`},
		{name: "unknown flag", args: []string{"--verbose"}, wantCode: runner.ExitUsage, wantStderr: "flag provided but not defined"},
		{name: "missing ini", args: []string{"--ini", "/nonexistent/readinglist.ini"}, wantCode: runner.ExitUsage, wantStderr: "/nonexistent/readinglist.ini"},
		{name: "bad setting", env: map[string]string{"READINGLIST_HTTP_PORT": "http"}, wantCode: runner.ExitUsage, wantStderr: "setting http_port (from env READINGLIST_HTTP_PORT)"},
		{name: "help lists migrate", args: []string{"help"}, wantCode: runner.ExitOK, wantStdout: "\n  migrate "},
		{name: "storage unreachable", env: map[string]string{"READINGLIST_STORAGE_BACKEND": "postgresql", "READINGLIST_STORAGE_URL": unreachablePostgres}, wantCode: runner.ExitFailure, wantStderr: "connect storage database"},
		{name: "migrate on memory", args: []string{"migrate"}, wantCode: runner.ExitOK, wantStdout: "migrate: memory and Redis backends keep no schema; nothing to do"},
		{name: "migrate ignores the cache and permission settings", args: []string{"migrate"}, wantCode: runner.ExitOK, wantStdout: "nothing to do",
			env: map[string]string{"READINGLIST_CACHE_BACKEND": "redis", "READINGLIST_CACHE_URL": "redis://x", "READINGLIST_PERMISSION_BACKEND": "postgresql", "READINGLIST_PERMISSION_URL": unreachablePostgres}},
		{name: "migrate on an unreachable postgresql", args: []string{"migrate"}, wantCode: runner.ExitFailure, wantStderr: "readinglist: migrate: connect storage database",
			env: map[string]string{"READINGLIST_STORAGE_BACKEND": "postgresql", "READINGLIST_STORAGE_URL": unreachablePostgres}},
		{name: "bad log level", env: map[string]string{"READINGLIST_LOG_LEVEL": "loud"}, wantCode: runner.ExitUsage, wantStderr: "log_level"},
		{name: "bad eos", env: map[string]string{"READINGLIST_EOS": "someday"}, wantCode: runner.ExitUsage, wantStderr: "setting eos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runnertest.CleanEnv(t, command())
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runnertest.Run(t, command(), tt.args...)
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

// A policy list of which nothing is built would serve anonymous users
// only: refused, exit 2.
func TestOnlyUnbuiltPoliciesStopStartUp(t *testing.T) {
	runnertest.CleanEnv(t, command())
	t.Setenv("READINGLIST_MULTIAUTH_POLICIES", "openid")
	code, _, errOut := runnertest.Run(t, command(), "serve")
	if code != runner.ExitUsage || !strings.Contains(errOut, "setting multiauth.policies") {
		t.Errorf("exit %d, stderr %q; want 2 naming multiauth.policies", code, errOut)
	}
}
