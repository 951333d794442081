package runner_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// withBatch is the demo service with POST /v1/batch mounted, an endpoint
// that reads its request body.
func withBatch() runner.Service[demoSettings] {
	svc := demo()
	svc.Serve = func(ctx context.Context, env *runner.Env[demoSettings]) error {
		srv := httpadapter.NewServer(demoHTTPConfig(&env.Settings.Core), env.Log, map[string]ports.HealthChecker{}, nil)
		srv.MountBatch()
		return env.ListenAndServe(ctx, srv, logrus.Fields{})
	}
	return svc
}

// A client that misbehaves in one of four ways, and the timeout that
// should end it.
type misbehaviour struct {
	name    string
	timeout time.Duration // the setting that should cut the connection
	request string        // sent at once after connecting
	trickle string        // then sent a byte at a time, every tick
	answer  bool          // the request is complete: read its response first
}

// The timeouts the test configures: distinct, so that the time a
// connection lasted tells which one closed it, and far below the defaults
// (10s and more), so that unwired settings fail the test.
const (
	headerTimeout = 300 * time.Millisecond
	readTimeout   = 600 * time.Millisecond
	idleTimeout   = 900 * time.Millisecond
	// closedWithin bounds every connection's life: a server that does
	// not enforce the settings leaves them open past it.
	closedWithin = 5 * time.Second
	tick         = 50 * time.Millisecond
)

func TestServerClosesSlowAndIdleConnections(t *testing.T) {
	cleanEnv(t)
	t.Setenv("DEMO_HTTP_READ_HEADER_TIMEOUT_SECONDS", fmt.Sprint(headerTimeout.Seconds()))
	t.Setenv("DEMO_HTTP_READ_TIMEOUT_SECONDS", fmt.Sprint(readTimeout.Seconds()))
	t.Setenv("DEMO_HTTP_IDLE_TIMEOUT_SECONDS", fmt.Sprint(idleTimeout.Seconds()))
	// The body budget's wait must stay below the read timeout.
	t.Setenv("DEMO_HTTP_BODY_MEMORY_WAIT_SECONDS", "0.1")
	srv := runnertest.Start(t, withBatch())
	addr := strings.TrimPrefix(srv.Base, "http://")

	kinds := []misbehaviour{
		{name: "silent", timeout: headerTimeout},
		{name: "slow headers", timeout: headerTimeout,
			request: "GET /v1/ HTTP/1.1\r\nHost: demo\r\n", trickle: strings.Repeat("X-Slow: y\r\n", 100)},
		{name: "slow body", timeout: readTimeout,
			request: "POST /v1/batch HTTP/1.1\r\nHost: demo\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
			trickle: `{"requests":[` + strings.Repeat(" ", 1000)},
		{name: "idle after a request", timeout: idleTimeout, answer: true,
			request: "GET /v1/__lbheartbeat__ HTTP/1.1\r\nHost: demo\r\n\r\n"},
	}
	const perKind = 50 // 200 connections in all
	type outcome struct {
		kind   misbehaviour
		lasted time.Duration
		err    error
	}
	outcomes := make(chan outcome, perKind*len(kinds))
	var wg sync.WaitGroup
	for _, k := range kinds {
		for range perKind {
			wg.Go(func() {
				lasted, err := misbehave(addr, k)
				outcomes <- outcome{k, lasted, err}
			})
		}
	}
	wg.Wait()
	close(outcomes)

	failures := map[string]int{}
	for o := range outcomes {
		switch {
		case o.err != nil:
			failures[o.kind.name]++
			if failures[o.kind.name] <= 3 {
				t.Errorf("%s client: %v", o.kind.name, o.err)
			}
		case o.lasted < o.kind.timeout:
			// The server's deadline starts after the client's clock, so
			// an earlier close is not the timeout's doing.
			t.Errorf("%s client closed after %v, before the %v timeout", o.kind.name, o.lasted, o.kind.timeout)
		}
	}
	for name, n := range failures {
		t.Errorf("%s: %d of %d connections failed", name, n, perKind)
	}

	// The server outlives its misbehaving clients.
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/__lbheartbeat__"); code != http.StatusOK {
		t.Errorf("GET __lbheartbeat__ after the slow clients = %d, want 200", code)
	}
}

// misbehave connects to addr, behaves as k says until the server closes
// the connection, and returns how long that took from before dialling. An
// error means the connection was not closed by the server within
// closedWithin, or that the exchange went wrong.
func misbehave(addr string, k misbehaviour) (time.Duration, error) {
	start := time.Now()
	giveUp := start.Add(closedWithin)
	c, err := net.DialTimeout("tcp", addr, closedWithin)
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	if err := c.SetWriteDeadline(giveUp); err != nil {
		return 0, fmt.Errorf("set write deadline: %w", err)
	}
	if _, err := io.WriteString(c, k.request); err != nil {
		return 0, fmt.Errorf("send request: %w", err)
	}
	br := bufio.NewReader(c)
	if k.answer {
		if err := c.SetReadDeadline(giveUp); err != nil {
			return 0, fmt.Errorf("set read deadline: %w", err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return 0, fmt.Errorf("read response: %w", err)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
			return 0, fmt.Errorf("response %d (close %v, %v), want a kept-alive 200", resp.StatusCode, resp.Close, err)
		}
	}
	// Read with a short deadline, which doubles as the trickle's clock:
	// each time it passes, one more byte goes out.
	next := 0
	for {
		if time.Now().After(giveUp) {
			return time.Since(start), fmt.Errorf("still open after %v", closedWithin)
		}
		if err := c.SetReadDeadline(time.Now().Add(tick)); err != nil {
			return 0, fmt.Errorf("set read deadline: %w", err)
		}
		_, err := br.ReadByte()
		var ne net.Error
		switch {
		case err == nil:
			continue // an answer before closing (a 400 to the cut body): read on
		case errors.As(err, &ne) && ne.Timeout():
			if next < len(k.trickle) {
				if _, werr := c.Write([]byte{k.trickle[next]}); werr != nil {
					return closed(start, werr)
				}
				next++
			}
		default:
			return closed(start, err)
		}
	}
}

// closed judges the error that ended a connection started at start: EOF
// or a reset is the server closing it, in time or not; our own deadline
// passing means it was still open.
func closed(start time.Time, err error) (time.Duration, error) {
	lasted := time.Since(start)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || lasted > closedWithin {
		return lasted, fmt.Errorf("still open after %v (%v)", closedWithin, err)
	}
	return lasted, nil
}

func TestHTTPServerTakesTheTimeoutSettings(t *testing.T) {
	core := config.Core{
		HTTPReadTimeoutSeconds: 1.5, HTTPReadHeaderTimeoutSeconds: 0.25,
		HTTPWriteTimeoutSeconds: 2, HTTPIdleTimeoutSeconds: 3, ShutdownTimeoutSeconds: 4,
	}
	limits := runner.LimitsOf(&core)
	want := runner.ServerLimits{
		ReadTimeout: 1500 * time.Millisecond, ReadHeaderTimeout: 250 * time.Millisecond,
		WriteTimeout: 2 * time.Second, IdleTimeout: 3 * time.Second, ShutdownTimeout: 4 * time.Second,
	}
	if limits != want {
		t.Errorf("limitsOf = %+v, want %+v", limits, want)
	}
	hs := runner.NewHTTPServer(http.NotFoundHandler(), limits, nil)
	if hs.ReadTimeout != want.ReadTimeout || hs.ReadHeaderTimeout != want.ReadHeaderTimeout ||
		hs.WriteTimeout != want.WriteTimeout || hs.IdleTimeout != want.IdleTimeout {
		t.Errorf("http.Server timeouts = read %v, header %v, write %v, idle %v; want %+v",
			hs.ReadTimeout, hs.ReadHeaderTimeout, hs.WriteTimeout, hs.IdleTimeout, want)
	}
}
