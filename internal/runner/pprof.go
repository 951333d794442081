package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/config"
)

// PprofHandler serves the Go profiler (net/http/pprof) under
// /debug/pprof/. It is a mux of its own: the public handler never
// includes it, and http.DefaultServeMux (where the pprof package also
// registers itself) is never served.
func PprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startPprof listens on pprof_listen_host:pprof_port when pprof_enabled,
// and serves the profiler there until ctx ends. It returns the address
// listened on (nil when off) and a channel closed once it has stopped.
// The profiler's server keeps the public server's read and idle bounds;
// its write bound is left off, because a CPU profile or trace streams for
// the seconds the client asks.
func startPprof(ctx context.Context, core *config.Core, log logrus.FieldLogger) (net.Addr, <-chan struct{}, error) {
	done := make(chan struct{})
	if !core.PprofEnabled {
		close(done)
		return nil, done, nil
	}
	addr := net.JoinHostPort(core.PprofListenHost, strconv.Itoa(core.PprofPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("profiler: listen on %s: %w", addr, err)
	}
	limits := limitsOf(core)
	srv := &http.Server{
		Handler:           PprofHandler(),
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		IdleTimeout:       limits.IdleTimeout,
	}
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.WithError(err).Error("profiler server stopped")
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close() // profiles are diagnostics: no grace period
	}()
	log.WithField("addr", ln.Addr().String()).Warnf("profiler listening on http://%s/debug/pprof/ (pprof_enabled)", ln.Addr())
	return ln.Addr(), done, nil
}
