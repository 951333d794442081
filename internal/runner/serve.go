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

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

// readHeaderTimeout bounds how long a client may take to send its request
// headers, so that idle half-open connections cannot pile up.
const readHeaderTimeout = 10 * time.Second

// ListenAndServe listens on http_host:http_port, logs where, and serves
// srv until ctx ends; then it stops accepting connections and lets
// in-flight requests finish within shutdown_timeout_seconds. fields join
// the "listening" log line (the service's backends); addr, version and ini
// are always there. Only Service.Serve may call it: it needs env.Log.
func (e *Env[S]) ListenAndServe(ctx context.Context, srv *httpadapter.Server, fields logrus.Fields) error {
	addr := net.JoinHostPort(e.core.HTTPHost, strconv.Itoa(e.core.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	all := logrus.Fields{"addr": ln.Addr().String(), "version": e.version, "ini": e.Source.INIPath()}
	maps.Copy(all, fields)
	e.Log.WithFields(all).Infof("%s listening on http://%s%s/", e.core.ProjectName, ln.Addr(), srv.Prefix())
	if e.onListen != nil {
		e.onListen(ln.Addr())
	}
	return serveUntilDone(ctx, ln, srv.Handler(), e.core.ShutdownTimeout(), e.Log)
}

// serveUntilDone serves h on ln until ctx ends, then shuts down
// gracefully: the listener closes at once, requests being handled get
// until timeout to finish, and whatever is left is then cut.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, timeout time.Duration, log *logrus.Logger) error {
	errorLog := log.WriterLevel(logrus.WarnLevel)
	defer errorLog.Close()
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          stdlog.New(errorLog, "", 0),
	}
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
