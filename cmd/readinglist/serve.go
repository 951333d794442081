package main

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// serve builds the service from s, listens, and serves until ctx ends;
// then it stops accepting connections and lets in-flight requests finish
// within shutdown_timeout_seconds. Errors about a setting are
// *config.SettingError and happen before listening.
func serve(ctx context.Context, s *settings, src *config.Source, log *logrus.Logger, onListen func(net.Addr)) error {
	store, err := newStorage(s)
	if err != nil {
		return err
	}
	srv := newServer(httpConfig(s, version), log, store, memory.SystemClock{}, newAuthenticators(s, src, log))

	addr := net.JoinHostPort(s.HTTPHost, strconv.Itoa(s.HTTPPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	log.WithFields(logrus.Fields{"addr": ln.Addr().String(), "version": version, "ini": src.INIPath(),
		"storage_backend": s.StorageBackend}).Infof("%s listening on http://%s%s/", s.ProjectName, ln.Addr(), srv.Prefix())
	if onListen != nil {
		onListen(ln.Addr())
	}
	return serveUntilDone(ctx, ln, srv.Handler(), s.ShutdownTimeout(), log)
}

// newStorage builds the storage backend of storage_backend. readinglist
// keeps everything in its storage: it uses neither a cache nor a
// permission backend, so their settings are ignored.
func newStorage(s *settings) (ports.Storage, error) {
	switch s.StorageBackend {
	case config.BackendMemory:
		return memory.NewStorage(memory.SystemClock{}), nil
	}
	return nil, notBuilt("storage_backend", s.StorageBackend)
}

// newAuthenticators builds the policies of multiauth.policies, in order:
// basicauth when so named or when multiauth.policy.<name>.use is Kinto's
// BasicAuth policy. Others are skipped with a warning.
func newAuthenticators(s *settings, src *config.Source, log logrus.FieldLogger) []ports.Authenticator {
	var out []ports.Authenticator
	for _, name := range s.MultiauthPolicies {
		use, _ := src.Lookup("multiauth.policy." + name + ".use")
		if name == "basicauth" || strings.HasSuffix(use, "BasicAuthAuthenticationPolicy") {
			if s.UserIDHMACSecret == "" {
				log.Warn("userid_hmac_secret is empty: basicauth user ids are guessable; set READINGLIST_USERID_HMAC_SECRET")
			}
			out = append(out, auth.NewBasic(s.UserIDHMACSecret))
			continue
		}
		log.WithFields(logrus.Fields{"policy": name, "use": use}).Warn("authentication policy not supported by this version; ignored")
	}
	return out
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
