// Package runnertest runs a runner.Service in tests the way main does:
// to completion, or as a server on a free port, with an environment that
// the developer's variables cannot change.
package runnertest

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// timeout bounds every wait, so that a hung server fails its test.
const timeout = 10 * time.Second

// Buffer is a bytes.Buffer safe to read while a server writes its logs.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// CleanEnv unsets every variable that svc reads, with and without its
// EnvPrefix, and <EnvPrefix>_INI, so that the developer's environment
// cannot change a test; tb.Setenv restores them afterwards.
func CleanEnv[S any](tb testing.TB, svc runner.Service[S]) {
	tb.Helper()
	described, err := config.Describe(new(S))
	if err != nil {
		tb.Fatalf("Describe: %v", err)
	}
	names := []string{svc.EnvPrefix + "_INI"}
	for _, s := range described {
		names = append(names, s.Env, svc.EnvPrefix+"_"+s.Env)
	}
	for _, n := range names {
		if _, ok := os.LookupEnv(n); ok {
			tb.Setenv(n, "")
			os.Unsetenv(n)
		}
	}
}

// Run runs svc with args to completion and returns its exit code and
// outputs. It fails the test if the command starts listening.
func Run[S any](t *testing.T, svc runner.Service[S], args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut Buffer
	svc.Stdout, svc.Stderr = &out, &errOut
	svc.OnListen = func(a net.Addr) {
		t.Errorf("run(%q) listened on %s, want it to stop before", args, a)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	code = svc.Run(ctx, args)
	return code, out.String(), errOut.String()
}

// Server is a service started by Start.
type Server struct {
	Base   string // "http://127.0.0.1:port"
	Port   int
	Stderr *Buffer    // the logs
	Stop   func() int // cancels the context and returns the exit code; Start's cleanup calls it too
}

// Start runs "serve" with args on a free loopback port (it sets
// <EnvPrefix>_HTTP_PORT and _LISTEN_HOST) and waits until the server listens.
func Start[S any](t *testing.T, svc runner.Service[S], args ...string) *Server {
	t.Helper()
	t.Setenv(svc.EnvPrefix+"_HTTP_PORT", "0")
	t.Setenv(svc.EnvPrefix+"_LISTEN_HOST", "127.0.0.1")
	listening := make(chan net.Addr, 1)
	errOut := &Buffer{}
	svc.Stdout, svc.Stderr = &Buffer{}, errOut
	svc.OnListen = func(a net.Addr) { listening <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- svc.Run(ctx, append([]string{"serve"}, args...)) }()

	var addr net.Addr
	select {
	case addr = <-listening:
	case code := <-done:
		cancel()
		t.Fatalf("serve exited with %d before listening: %s", code, errOut.String())
	case <-time.After(timeout):
		cancel()
		t.Fatalf("serve did not listen within %v: %s", timeout, errOut.String())
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
		case <-time.After(timeout):
			t.Fatalf("serve did not stop within %v of cancel", timeout)
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return &Server{Base: "http://" + addr.String(), Port: addr.(*net.TCPAddr).Port, Stderr: errOut, Stop: stop}
}

// GetJSON sends GET url with the given headers (alternating name, value)
// and returns the status and the decoded JSON object; it fails the test
// when the request fails or the body is no JSON object.
func GetJSON(t *testing.T, url string, header ...string) (int, map[string]any) {
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
