package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// errHeartbeatTimeout marks a check that did not answer in time.
var errHeartbeatTimeout = errors.New("heartbeat timed out")

// serveHeartbeat answers GET /__heartbeat__: every backend check runs
// concurrently under HeartbeatTimeout; any failure makes the answer 503,
// with false for the failing backends (null for a nil checker).
func (s *Server) serveHeartbeat(w http.ResponseWriter, r *http.Request) {
	type result struct {
		name string
		err  error
		took time.Duration
	}
	start := time.Now()
	ctx := r.Context()
	if s.cfg.HeartbeatTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.HeartbeatTimeout)
		defer cancel()
	}
	status := make(map[string]any, len(s.checks))
	results := make(chan result, len(s.checks)) // buffered: late checks never block
	pending := map[string]bool{}
	for name, c := range s.checks {
		if c == nil {
			status[name] = nil
			continue
		}
		pending[name] = true
		go func() {
			t0 := time.Now()
			err := safeCheck(ctx, c)
			results <- result{name, err, time.Since(t0)}
		}()
	}
	// A check that ignores its context must not hold the answer: stop
	// waiting when the deadline passes and count the stragglers as failed.
	for len(pending) > 0 {
		select {
		case res := <-results:
			delete(pending, res.name)
			status[res.name] = res.err == nil
			s.measureCheck(res.name, res.err == nil, res.took)
			if res.err != nil {
				s.logCheck(r, res.name, res.err)
			}
		case <-ctx.Done():
			for name := range pending {
				status[name] = false
				s.measureCheck(name, false, time.Since(start))
				s.logCheck(r, name, errHeartbeatTimeout)
			}
			pending = nil
		}
	}
	code := http.StatusOK
	for _, v := range status {
		if healthy, isBool := v.(bool); isBool && !healthy {
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", strconv.Itoa(s.cfg.RetryAfterSeconds))
			break
		}
	}
	s.writeJSON(w, r, code, status)
}

// measureCheck records one backend check of the heartbeat: how long it
// took (heartbeat_duration_seconds) and its result (heartbeat_healthy,
// 1 or 0), labelled with the backend's name.
func (s *Server) measureCheck(name string, healthy bool, took time.Duration) {
	backend := ports.Label{Name: "backend", Value: name}
	s.metrics.Timing("heartbeat_duration_seconds", took, backend)
	v := 0.0
	if healthy {
		v = 1
	}
	s.metrics.Gauge("heartbeat_healthy", v, backend)
}

func (s *Server) logCheck(r *http.Request, name string, err error) {
	s.logFor(r).WithError(err).WithFields(logrus.Fields{
		"path":    r.URL.Path,
		"backend": name,
		"timeout": s.cfg.HeartbeatTimeout.String(),
	}).Error("heartbeat check failed")
}

// safeCheck runs one check, turning a panic into a failure: it runs on its
// own goroutine, out of reach of the request's panic recovery, and must not
// take the process down.
func safeCheck(ctx context.Context, c ports.HealthChecker) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("heartbeat check panicked: %v", v)
		}
	}()
	return c.Healthy(ctx)
}
