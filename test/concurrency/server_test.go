package concurrency_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of every wait of the suite, so that a hung server or client fails
// the test instead of hanging it.
const (
	buildTimeout    = 5 * time.Minute  // go build of cmd/kinto on a busy machine
	startTimeout    = 20 * time.Second // from exec to a 200 on __heartbeat__
	stopTimeout     = 5 * time.Second  // SIGTERM to exit, then SIGKILL
	requestTimeout  = 15 * time.Second // one HTTP request
	workloadTimeout = 3 * time.Minute  // one workload, all clients
	migrateTimeout  = time.Minute      // kinto migrate
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// TestMain removes the binary built by kintoBinary.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// kintoBinary builds cmd/kinto once per test binary and returns its path:
// the test runs the real executable, as an operator would.
func kintoBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "concurrency-kinto-")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		bin := filepath.Join(dir, "kinto")
		cmd := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "github.com/cliquet-go/cliquet/cmd/kinto")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/kinto: %v\n%s", err, out)
			return
		}
		builtBin = bin
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// hermeticEnv is the caller's environment without its KINTO_* variables,
// plus settings: a developer's shell must not change what is tested.
func hermeticEnv(settings map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KINTO_") {
			env = append(env, kv)
		}
	}
	for k, v := range settings {
		env = append(env, k+"="+v)
	}
	return env
}

// runMigrate runs `kinto migrate` with settings.
func runMigrate(t *testing.T, settings map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kintoBinary(t), "migrate")
	cmd.Env = hermeticEnv(settings)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinto migrate: %v\n%s", err, out)
	}
}

// syncBuffer collects a process's output for the failure message.
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
	s := b.buf.String()
	if len(s) > 8192 {
		s = "…" + s[len(s)-8192:]
	}
	return s
}

// server is one running kinto process.
type server struct {
	origin string // http://127.0.0.1:port
	logs   *syncBuffer
	proc   *os.Process   // for the crash tests' SIGKILL
	exited chan struct{} // closed once the process is reaped
}

// startServer runs `kinto serve` with settings on a free loopback port and
// returns once its heartbeat answers 200. The process is stopped at
// cleanup. A port taken between the probe and the bind is retried.
func startServer(t *testing.T, settings map[string]string) *server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startOnce(t, settings)
		if err == nil {
			return s
		}
		lastErr = err
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatal(lastErr)
	return nil
}

func startOnce(t *testing.T, settings map[string]string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	all := map[string]string{"KINTO_LISTEN_HOST": "127.0.0.1", "KINTO_HTTP_PORT": strconv.Itoa(port)}
	for k, v := range settings {
		all[k] = v
	}
	cmd := exec.Command(kintoBinary(t), "serve")
	cmd.Env = hermeticEnv(all)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = childAttr() // dies with the test binary where the OS allows
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start kinto serve: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopProcess(t, cmd, exited) })

	s := &server{origin: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs, proc: cmd.Process, exited: exited}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("kinto serve exited before answering:\n%s", logs)
		default:
		}
		if resp, err := client.Get(s.origin + "/v1/__heartbeat__"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("kinto serve on %s: no 200 from __heartbeat__ within %s:\n%s", s.origin, startTimeout, logs)
}

// stopProcess sends SIGTERM, then SIGKILL after stopTimeout.
func stopProcess(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) {
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(terminateSignal())
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		t.Logf("kinto serve (pid %d) ignored SIGTERM for %s; killing it", cmd.Process.Pid, stopTimeout)
		_ = cmd.Process.Kill()
		<-exited
	}
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("probe a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// client speaks to the servers as one Basic-auth user.
type client struct {
	http     *http.Client
	user     string
	password string
}

func newClient(user, password string) *client {
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &client{http: &http.Client{Timeout: requestTimeout, Transport: tr}, user: user, password: password}
}

// response is what the tests look at in an answer.
type response struct {
	status int
	etag   string
	body   []byte
}

// do sends one request with an optional JSON body and header pairs.
func (c *client) do(ctx context.Context, method, url string, body any, headers ...string) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return response{}, err
	}
	req.SetBasicAuth(c.user, c.password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	return response{status: resp.StatusCode, etag: resp.Header.Get("ETag"), body: b}, nil
}

// must sends a request that has to succeed with a 2xx.
func (c *client) must(t *testing.T, method, url string, body any) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	r, err := c.do(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, r.status, r.body)
	}
	return r
}
