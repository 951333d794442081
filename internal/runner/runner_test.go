package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// demoSettings are the settings of the demo service: Core and one of its
// own.
type demoSettings struct {
	config.Core
	Greeting string `setting:"greeting" envconfig:"GREETING" def:"hello"`
}

const demoUsage = "Usage: demo [--ini PATH] [command]\n"

// demo is a service as a binary declares it: serve mounts nothing but the
// utility endpoints; greet is a command of its own that prints the
// greeting setting and fails when it is "fail".
func demo() runner.Service[demoSettings] {
	return runner.Service[demoSettings]{
		Name:      "demo",
		EnvPrefix: "DEMO",
		Version:   "1.2.3",
		Usage:     demoUsage,
		Core:      func(s *demoSettings) *config.Core { return &s.Core },
		Serve: func(ctx context.Context, env *runner.Env[demoSettings]) error {
			srv := httpadapter.NewServer(demoHTTPConfig(&env.Settings.Core), env.Log, map[string]ports.HealthChecker{}, nil)
			return env.ListenAndServe(ctx, srv, logrus.Fields{"greeting": env.Settings.Greeting})
		},
		Commands: map[string]runner.Command[demoSettings]{
			"greet": func(_ context.Context, env *runner.Env[demoSettings]) int {
				if env.Settings.Greeting == "fail" {
					fmt.Fprintln(env.Stderr, "demo: greet: refused")
					return runner.ExitFailure
				}
				fmt.Fprintln(env.Stdout, env.Settings.Greeting)
				return runner.ExitOK
			},
		},
	}
}

func cleanEnv(t *testing.T) {
	t.Helper()
	runnertest.CleanEnv(t, demo())
}

// writeINI writes an INI file with an [app:main] section of body.
func writeINI(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "demo.ini")
	if err := os.WriteFile(path, []byte("[app:main]\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCommandLine(t *testing.T) {
	cleanEnv(t)
	ini := writeINI(t, "demo.greeting = from ini\n")
	serveErr := func(err error) runner.Service[demoSettings] {
		svc := demo()
		svc.Serve = func(context.Context, *runner.Env[demoSettings]) error { return err }
		return svc
	}
	tests := []struct {
		name       string
		svc        runner.Service[demoSettings]
		args       []string
		env        map[string]string
		code       int
		stdout     string // the whole stdout when exact, else a part of it
		exact      bool
		stderr     string // a part of stderr; "" with exact: none at all
		stderrLine bool   // stderr is one line
	}{
		{name: "version", args: []string{"version"}, code: runner.ExitOK, stdout: "1.2.3\n", exact: true},
		{name: "version after flag", args: []string{"--ini", "x.ini", "version"}, code: runner.ExitOK, stdout: "1.2.3\n", exact: true},
		{name: "help", args: []string{"help"}, code: runner.ExitOK, stdout: demoUsage, exact: true},
		{name: "-h", args: []string{"-h"}, code: runner.ExitOK, stdout: demoUsage, exact: true},
		{name: "-h after command", args: []string{"serve", "-h"}, code: runner.ExitUsage, stdout: demoUsage, exact: true},
		{name: "unknown command", args: []string{"dance"}, code: runner.ExitUsage, stderr: "demo: unknown command \"dance\"\n" + demoUsage},
		{name: "unknown flag", args: []string{"--port", "1"}, code: runner.ExitUsage, stderr: "demo: flag provided but not defined: -port\n" + demoUsage},
		{name: "unknown flag after command", args: []string{"serve", "--nope"}, code: runner.ExitUsage, stderr: "flag provided but not defined: -nope"},
		{name: "extra argument", args: []string{"serve", "now"}, code: runner.ExitUsage, stderr: "demo: unexpected argument \"now\"\n" + demoUsage},
		{name: "missing ini file", args: []string{"--ini", "/nonexistent/demo.ini"}, code: runner.ExitUsage, stderr: "demo: config: read ini file /nonexistent/demo.ini", stderrLine: true},
		{name: "bad setting", env: map[string]string{"DEMO_HTTP_PORT": "http"}, code: runner.ExitUsage,
			stderr: `demo: setting http_port (from env DEMO_HTTP_PORT): "http" is not a number`, stderrLine: true},
		{name: "bad log level", env: map[string]string{"DEMO_LOG_LEVEL": "loud"}, code: runner.ExitUsage, stderr: "demo: setting log_level", stderrLine: true},
		{name: "bad eos", env: map[string]string{"DEMO_EOS": "someday"}, code: runner.ExitUsage, stderr: `demo: setting eos (from env DEMO_EOS): "someday"`, stderrLine: true},
		{name: "healthcheck with bad settings", args: []string{"healthcheck"}, env: map[string]string{"DEMO_HTTP_PORT": "http"}, code: runner.ExitUsage, stderr: "setting http_port"},
		{name: "own command", args: []string{"greet"}, code: runner.ExitOK, stdout: "hello\n", exact: true},
		{name: "own command reads the ini", args: []string{"greet", "--ini", ini}, code: runner.ExitOK, stdout: "from ini\n", exact: true},
		{name: "own command reads the environment", args: []string{"greet"}, env: map[string]string{"DEMO_GREETING": "hey"}, code: runner.ExitOK, stdout: "hey\n", exact: true},
		{name: "own command fails", args: []string{"greet"}, env: map[string]string{"DEMO_GREETING": "fail"}, code: runner.ExitFailure, stderr: "demo: greet: refused"},
		{name: "own command with bad settings", args: []string{"greet"}, env: map[string]string{"DEMO_BACKOFF": "soon"}, code: runner.ExitUsage, stderr: "setting backoff"},
		{name: "serve fails on a setting", svc: serveErr(fmt.Errorf("build: %w", &config.SettingError{Setting: "storage_backend", Err: errors.New(`backend "x" is not built`)})),
			code: runner.ExitUsage, stderr: `demo: build: setting storage_backend: backend "x" is not built`, stderrLine: true},
		{name: "serve fails otherwise", svc: serveErr(errors.New("disk on fire")), code: runner.ExitFailure, stderr: "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			svc := tt.svc
			if svc.Name == "" {
				svc = demo()
			}
			code, out, errOut := runnertest.Run(t, svc, tt.args...)
			if code != tt.code {
				t.Errorf("Run(%q): exit %d, want %d (stdout %q, stderr %q)", tt.args, code, tt.code, out, errOut)
			}
			if tt.exact && out != tt.stdout || !strings.Contains(out, tt.stdout) {
				t.Errorf("Run(%q): stdout %q, want %q", tt.args, out, tt.stdout)
			}
			if !strings.Contains(errOut, tt.stderr) || tt.exact && tt.stderr == "" && errOut != "" {
				t.Errorf("Run(%q): stderr %q, want %q", tt.args, errOut, tt.stderr)
			}
			if tt.stderrLine && strings.Count(errOut, "\n") != 1 {
				t.Errorf("Run(%q): stderr %q, want one line", tt.args, errOut)
			}
		})
	}
}

func TestServeHealthcheckAndShutdown(t *testing.T) {
	cleanEnv(t)
	srv := runnertest.Start(t, demo())

	code, hello := runnertest.GetJSON(t, srv.Base+"/v1/")
	if code != http.StatusOK || hello["project_name"] != "demo" || hello["project_version"] != "1.2.3" {
		t.Errorf("GET /v1/ = %d %v, want project_name demo (the service name), project_version 1.2.3", code, hello)
	}

	t.Setenv("DEMO_HTTP_PORT", strconv.Itoa(srv.Port))
	code, out, errOut := runnertest.Run(t, demo(), "healthcheck")
	if want := "ok: GET " + srv.Base + "/v1/__lbheartbeat__: 200 OK\n"; code != runner.ExitOK || out != want || errOut != "" {
		t.Errorf("healthcheck against a running server: exit %d, %q, %q; want 0, %q", code, out, errOut, want)
	}

	if code := srv.Stop(); code != runner.ExitOK {
		t.Errorf("serve after cancel: exit %d, want 0; log: %s", code, srv.Stderr.String())
	}
	if _, err := http.Get(srv.Base + "/v1/"); err == nil {
		t.Errorf("GET /v1/ after shutdown succeeded, want the listener closed")
	}
	for _, want := range []string{"demo listening on " + srv.Base + "/v1/", "addr=", "version=1.2.3", "greeting=hello",
		"shutting down: finishing in-flight requests", "timeout=15s", "stopped"} {
		if !strings.Contains(srv.Stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, srv.Stderr.String())
		}
	}
}

func TestServeJSONLogsNameTheProject(t *testing.T) {
	cleanEnv(t)
	t.Setenv("DEMO_LOG_FORMAT", "json")
	t.Setenv("DEMO_PROJECT_NAME", "mine")
	srv := runnertest.Start(t, demo())
	srv.Stop()
	for _, line := range strings.Split(strings.TrimSpace(srv.Stderr.String()), "\n") {
		var entry struct{ Logger string }
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Logger != "mine" {
			t.Errorf("log line %q: %v; want JSON with Logger mine", line, err)
		}
	}
}

func TestListenFailureExitsNonZero(t *testing.T) {
	cleanEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("DEMO_LISTEN_HOST", "127.0.0.1")
	t.Setenv("DEMO_HTTP_PORT", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	code, _, errOut := runnertest.Run(t, demo(), "start")
	if code != runner.ExitFailure || !strings.Contains(errOut, "listen on") || !strings.Contains(errOut, "server stopped") {
		t.Errorf("start on a taken port: exit %d, %q; want 1 and a listen error", code, errOut)
	}
}

func TestLoadDefaultsProjectNameToServiceName(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		ini  string
		want string
	}{
		{name: "default", want: "demo"},
		{name: "environment", env: map[string]string{"DEMO_PROJECT_NAME": "mine"}, want: "mine"},
		{name: "ini", ini: "project_name = fromini\n", want: "fromini"},
		{name: "ini sets Core's default", ini: "demo.project_name = kinto\n", want: "kinto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ini := ""
			if tt.ini != "" {
				ini = writeINI(t, tt.ini)
			}
			s, src, err := demo().Load(ini)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if s.ProjectName != tt.want || src.INIPath() != ini {
				t.Errorf("Load: project_name %q, ini %q; want %q, %q", s.ProjectName, src.INIPath(), tt.want, ini)
			}
		})
	}
}

func TestLoadReportsSettingErrors(t *testing.T) {
	cleanEnv(t)
	t.Setenv("DEMO_PAGINATE_BY", "many")
	_, _, err := demo().Load("")
	var se *config.SettingError
	if !errors.As(err, &se) || se.Setting != "paginate_by" {
		t.Errorf("Load(paginate_by=many) = %v, want a *config.SettingError for paginate_by", err)
	}
}

func TestHealthcheck(t *testing.T) {
	// answer serves status on path and 404 elsewhere, and returns its port.
	answer := func(t *testing.T, path string, status int) int {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			http.Error(w, http.StatusText(status), status)
		})}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
		return ln.Addr().(*net.TCPAddr).Port
	}
	// free returns a port nothing listens on.
	free := func(t *testing.T) int {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	tests := []struct {
		name   string
		port   func(t *testing.T) int
		env    map[string]string
		code   int
		stdout string   // a part of stdout
		stderr []string // parts of stderr
	}{
		{name: "ok on the API version's prefix", port: func(t *testing.T) int { return answer(t, "/v2/__lbheartbeat__", http.StatusOK) },
			env: map[string]string{"DEMO_HTTP_API_VERSION": "2.1"}, code: runner.ExitOK, stdout: "/v2/__lbheartbeat__: 200 OK\n"},
		{name: "error status", port: func(t *testing.T) int { return answer(t, "/v1/__lbheartbeat__", http.StatusServiceUnavailable) },
			code: runner.ExitFailure, stderr: []string{"demo: healthcheck: GET http://127.0.0.1:", "/v1/__lbheartbeat__: 503 Service Unavailable\n"}},
		{name: "no server, wildcard host checked on loopback", port: free, env: map[string]string{"DEMO_LISTEN_HOST": "0.0.0.0"},
			code: runner.ExitFailure, stderr: []string{`demo: healthcheck: Get "http://127.0.0.1:`}},
		{name: "empty host checked on loopback", port: func(t *testing.T) int { return answer(t, "/v1/__lbheartbeat__", http.StatusOK) },
			env: map[string]string{"DEMO_LISTEN_HOST": ""}, code: runner.ExitOK, stdout: "ok: GET http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cleanEnv(t)
			t.Setenv("DEMO_LISTEN_HOST", "127.0.0.1")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			port := strconv.Itoa(tt.port(t))
			t.Setenv("DEMO_HTTP_PORT", port)
			code, out, errOut := runnertest.Run(t, demo(), "healthcheck")
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(out+errOut, ":"+port+"/") {
				t.Errorf("healthcheck: exit %d, stdout %q, stderr %q; want %d and stdout %q, naming port %s", code, out, errOut, tt.code, tt.stdout, port)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errOut, want) {
					t.Errorf("healthcheck: stderr %q, want it to contain %q", errOut, want)
				}
			}
			if tt.stderr == nil && errOut != "" {
				t.Errorf("healthcheck: stderr %q, want none", errOut)
			}
		})
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
			go func() {
				served <- runner.ServeUntilDone(ctx, ln, h, runner.ServerLimits{ShutdownTimeout: tt.timeout}, log)
			}()

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

func TestServeUntilDoneReportsAServeError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // Serve fails at once on a closed listener
	log := logrus.New()
	log.SetOutput(&bytes.Buffer{})
	err = runner.ServeUntilDone(context.Background(), ln, http.NotFoundHandler(), runner.ServerLimits{ShutdownTimeout: time.Second}, log)
	if err == nil || !strings.HasPrefix(err.Error(), "serve: ") {
		t.Errorf("serveUntilDone on a closed listener = %v, want a serve error", err)
	}
}

// DefaultINI is read when present and when nothing names another file.
func TestLoadReadsTheDefaultINIWhenPresent(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	def := filepath.Join(dir, "config", "demo.ini")
	svc := demo()
	svc.DefaultINI = def

	s, src, err := svc.Load("")
	if err != nil || src.INIPath() != "" || s.Greeting != "hello" {
		t.Fatalf("Load without the file: %v, ini %q, greeting %q; want no file read", err, src.INIPath(), s.Greeting)
	}

	if err := os.MkdirAll(filepath.Dir(def), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(def, []byte("[app:main]\ngreeting = from-default\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, src, err = svc.Load("")
	if err != nil || src.INIPath() != def || s.Greeting != "from-default" {
		t.Errorf("Load: %v, ini %q, greeting %q; want %s read", err, src.INIPath(), s.Greeting, def)
	}

	other := writeINI(t, "greeting = from-env-file\n")
	t.Setenv("DEMO_INI", other)
	if s, _, err = svc.Load(""); err != nil || s.Greeting != "from-env-file" {
		t.Errorf("Load with DEMO_INI: %v, greeting %q; want DEMO_INI's file", err, s.Greeting)
	}
	flag := writeINI(t, "greeting = from-flag\n")
	if s, _, err = svc.Load(flag); err != nil || s.Greeting != "from-flag" {
		t.Errorf("Load(--ini): %v, greeting %q; want the flag's file", err, s.Greeting)
	}
}

// TestSetupCommand: a Setup command runs before any setting is loaded (so
// a missing INI file or a bad variable does not stop it), is told which
// INI file it was pointed at, and never prompts without a terminal.
func TestSetupCommand(t *testing.T) {
	cleanEnv(t)
	svc := demo()
	svc.DefaultINI = "config/demo.ini"
	svc.Setup = map[string]runner.Command[demoSettings]{
		"setup": func(_ context.Context, env *runner.Env[demoSettings]) int {
			if env.Settings != nil || env.Source != nil {
				fmt.Fprintln(env.Stderr, "settings were loaded")
				return runner.ExitFailure
			}
			fmt.Fprintf(env.Stdout, "ini=%s args=%q interactive=%v version=%s", env.INI, env.Args, env.Interactive(), env.Version())
			return runner.ExitOK
		},
	}
	t.Setenv("DEMO_BATCH_MAX_REQUESTS", "not a number") // would fail Load
	missing := filepath.Join(t.TempDir(), "new.ini")
	for _, tc := range []struct {
		args   []string
		envINI string
		want   string
	}{
		{[]string{"setup", "--ini", missing, "-x"}, "", "ini=" + missing + ` args=["-x"]`},
		{[]string{"--ini", missing, "setup"}, "", "ini=" + missing + " args=[]"},
		{[]string{"setup"}, "from-env.ini", "ini=from-env.ini args=[]"},
		{[]string{"setup"}, "", "ini=config/demo.ini args=[]"},
	} {
		t.Setenv("DEMO_INI", tc.envINI)
		code, out, errOut := runnertest.Run(t, svc, tc.args...)
		if code != 0 || !strings.HasPrefix(out, tc.want+" interactive=false version=1.2.3") {
			t.Errorf("%q (DEMO_INI=%q): exit %d, %q %q; want %q", tc.args, tc.envINI, code, out, errOut, tc.want)
		}
	}
	// Other commands still load, and refuse, the settings.
	t.Setenv("DEMO_INI", "")
	if code, _, _ := runnertest.Run(t, svc, "greet"); code != runner.ExitUsage {
		t.Errorf("greet with a bad setting: exit %d, want %d", code, runner.ExitUsage)
	}
}

// demoHTTPConfig is the HTTP adapter's configuration of the demo service:
// the settings its tests read (the services' own translation of every
// setting is in cmd/internal/wire).
func demoHTTPConfig(core *config.Core) httpadapter.Config {
	return httpadapter.Config{
		ProjectName: core.ProjectName, ProjectVersion: "1.2.3", HTTPAPIVersion: core.HTTPAPIVersion,
		BatchMaxRequests: core.BatchMaxRequests, MaxBodyBytes: core.MaxBodyBytes,
		BodyMemoryBytes: core.HTTPBodyMemoryBytes, BodyMemoryWait: core.HTTPBodyMemoryWait(),
		HeartbeatTimeout: core.HeartbeatTimeout(), CORSMaxAge: -1,
	}
}
