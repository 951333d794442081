package runner

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"maps"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/config"
)

// serverLimits are the bounds of the HTTP server: net/http's timeouts on
// slow and idle clients, which would otherwise each hold a connection and
// a goroutine for as long as they like, and the grace period of shutdown.
type serverLimits struct {
	ReadTimeout       time.Duration // whole request, body included; 0: none
	ReadHeaderTimeout time.Duration // request headers; 0: ReadTimeout
	WriteTimeout      time.Duration // end of headers to end of response; 0: none
	IdleTimeout       time.Duration // between requests on a connection; 0: ReadTimeout
	ShutdownTimeout   time.Duration // in-flight requests at shutdown
}

// limitsOf reads the server's bounds from the settings.
func limitsOf(core *config.Core) serverLimits {
	return serverLimits{
		ReadTimeout:       core.HTTPReadTimeout(),
		ReadHeaderTimeout: core.HTTPReadHeaderTimeout(),
		WriteTimeout:      core.HTTPWriteTimeout(),
		IdleTimeout:       core.HTTPIdleTimeout(),
		ShutdownTimeout:   core.ShutdownTimeout(),
	}
}

// newHTTPServer is the one place the http.Server is built, so that tests
// exercise the same timeouts as production.
func newHTTPServer(h http.Handler, limits serverLimits, errorLog *stdlog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadTimeout:       limits.ReadTimeout,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		ErrorLog:          errorLog,
	}
}

// HTTPService is what ListenAndServe serves: the HTTP adapter's Server, or
// anything else with the same three methods, so that the runner needs no
// adapter.
type HTTPService interface {
	// Handler is the root handler, with every middleware applied.
	Handler() http.Handler
	// Prefix is the version prefix of the routes ("/v1"), for the log line.
	Prefix() string
	// WrapListener wraps the listener the server accepts connections on
	// (the HTTP adapter answers net/http's own early refusals in its
	// error format there).
	WrapListener(net.Listener) net.Listener
}

// ShutdownNotifier is implemented by an HTTPService whose responses may
// last (the HTTP adapter's change streams): http.Server.Shutdown waits for
// every request to end but never tells a long one to, so such a stream
// would hold the process for the whole shutdown_timeout_seconds. The
// runner calls Shutdown once graceful shutdown begins; it must not block,
// and long responses should end promptly on it.
type ShutdownNotifier interface {
	Shutdown()
}

// ListenAndServe listens on listen_host:http_port, logs where, and serves
// srv, cutting clients that break the http_*_timeout_seconds, until ctx
// ends; then it stops accepting connections and lets
// in-flight requests finish within shutdown_timeout_seconds. fields join
// the "listening" log line (the service's backends); addr, version and ini
// are always there. Only Service.Serve may call it: it needs env.Log.
func (e *Env[S]) ListenAndServe(ctx context.Context, srv HTTPService, fields logrus.Fields) error {
	addr := net.JoinHostPort(e.core.ListenHost, strconv.Itoa(e.core.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	pctx, stopPprof := context.WithCancel(ctx)
	pprofAddr, pprofDone, err := startPprof(pctx, e.core, e.Log)
	if err != nil {
		stopPprof()
		_ = ln.Close()
		return err
	}
	defer func() { stopPprof(); <-pprofDone }()
	if pprofAddr != nil && e.onPprof != nil {
		e.onPprof(pprofAddr)
	}
	all := logrus.Fields{"addr": ln.Addr().String(), "version": e.version, "ini": e.Source.INIPath()}
	maps.Copy(all, fields)
	e.Log.WithFields(all).Infof("%s listening on http://%s%s/", e.core.ProjectName, ln.Addr(), srv.Prefix())
	if e.onListen != nil {
		e.onListen(ln.Addr())
	}
	var onShutdown []func()
	if n, ok := srv.(ShutdownNotifier); ok {
		onShutdown = append(onShutdown, n.Shutdown)
	}
	return serveUntilDone(ctx, srv.WrapListener(ln), srv.Handler(), limitsOf(e.core), e.Log, onShutdown...)
}

// serveUntilDone serves h on ln within limits until ctx ends, then shuts
// down gracefully: the listener closes at once, onShutdown are called (in
// goroutines of their own) to end long responses, requests being handled
// get until limits.ShutdownTimeout to finish, and whatever is left is then
// cut.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, limits serverLimits, log *logrus.Logger, onShutdown ...func()) error {
	errorLog := log.WriterLevel(logrus.WarnLevel)
	defer errorLog.Close()
	hs := newHTTPServer(h, limits, stdlog.New(errorLog, "", 0))
	for _, f := range onShutdown {
		hs.RegisterOnShutdown(f)
	}
	timeout := limits.ShutdownTimeout
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.WithField("timeout", timeout.String()).Info("shutting down: finishing in-flight requests")
	// ctx is already done; the grace period needs a fresh one.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		_ = hs.Close() // the grace period is over: drop what is left
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
