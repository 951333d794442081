package main

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// failingGets is a storage whose reads fail with an unexpected error, so
// that a read answers 500.
type failingGets struct{ ports.Storage }

func (failingGets) Get(context.Context, domain.Parent, string) (domain.Record, error) {
	return domain.Record{}, errors.New("disk on fire")
}

// A 500 reaches the Sentry endpoint of sentry_dsn with the request's
// method, path, user id and request id, and without its credentials; the
// report is flushed, within sentry_timeout_seconds, when the service stops.
func TestSentryReportsInternalErrors(t *testing.T) {
	envelopes := make(chan string, 10)
	sentrySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		envelopes <- r.URL.Path + "\n" + string(b)
		w.WriteHeader(http.StatusOK)
	}))
	defer sentrySrv.Close()
	dsn := strings.Replace(sentrySrv.URL, "http://", "http://publickey@", 1) + "/1"

	s, src := testSettings(t, map[string]string{"sentry_dsn": dsn, "sentry_env": "testing"})
	b, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		t.Fatalf("OpenBackends: %v", err)
	}
	b.Storage = failingGets{b.Storage}
	log := logrus.New()
	log.SetOutput(io.Discard)
	m, err := wire.OpenMetrics(&s.Core, src, log)
	if err != nil {
		t.Fatalf("OpenMetrics: %v", err)
	}
	if m.Sentry == nil {
		t.Fatal("OpenMetrics with sentry_dsn: no Sentry reporter")
	}
	srv, err := newServer(s, src, b, m, log)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	do := func(method string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/v1/buckets/b", nil)
		r.Header.Set("Authorization", owner.authorization())
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, r)
		return w
	}
	w := do("PUT")
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("PUT with failing storage: %d %s, want 500", w.Code, w.Body)
	}
	rid := w.Header().Get("X-Request-Id")
	if rid == "" {
		t.Fatal("no X-Request-Id")
	}
	start := time.Now()
	m.Close() // flushes the queued report
	if took := time.Since(start); took > time.Duration(s.SentryTimeoutSeconds)*time.Second+time.Second {
		t.Errorf("Close took %v, over sentry_timeout_seconds", took)
	}

	var got string
	select {
	case got = <-envelopes:
	case <-time.After(5 * time.Second):
		t.Fatal("no report reached the Sentry endpoint")
	}
	if !strings.HasPrefix(got, "/api/1/") {
		t.Errorf("report sent to %q, want the project's /api/1/ endpoint", strings.SplitN(got, "\n", 2)[0])
	}
	for _, want := range []string{rid, "disk on fire", `"method":"PUT"`, `"url":"/v1/buckets/b"`, `"environment":"testing"`, `"id":"basicauth:`} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	for _, leak := range []string{"Authorization", "Basic ", owner.authorization()[6:]} {
		if strings.Contains(got, leak) {
			t.Errorf("report carries %q:\n%s", leak, got)
		}
	}
}

// A sentry_dsn that does not parse is a settings error that does not
// quote the DSN and its key.
func TestSentryBadDSN(t *testing.T) {
	s, src := testSettings(t, map[string]string{"sentry_dsn": "secretkey@nowhere"})
	log := logrus.New()
	log.SetOutput(io.Discard)
	_, err := wire.OpenMetrics(&s.Core, src, log)
	if err == nil {
		t.Fatal("OpenMetrics with a bad sentry_dsn: no error")
	}
	if !strings.Contains(err.Error(), "sentry_dsn") || strings.Contains(err.Error(), "secretkey") {
		t.Errorf("error %q: want it to name sentry_dsn without the key", err)
	}
}

// Log lines at or above sentry_events_min_level become Sentry events, and
// those at or above sentry_breadcrumbs_min_level breadcrumbs of their own
// request's events, as Kinto's logging integration does; the cause of a
// 5xx answer is sent once (the report, with its stack), and a query
// string never.
func TestSentryLogLevels(t *testing.T) {
	envelopes := make(chan string, 100)
	sentrySrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		envelopes <- string(b)
		w.WriteHeader(http.StatusOK)
	}))
	defer sentrySrv.Close()
	dsn := strings.Replace(sentrySrv.URL, "http://", "http://publickey@", 1) + "/1"

	s, src := testSettings(t, map[string]string{"sentry_dsn": dsn,
		"sentry_breadcrumbs_min_level": "INFO", "sentry_events_min_level": "30"})
	b, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		t.Fatalf("OpenBackends: %v", err)
	}
	b.Storage = failingGets{b.Storage}
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetLevel(logrus.DebugLevel)
	m, err := wire.OpenMetrics(&s.Core, src, log)
	if err != nil {
		t.Fatalf("OpenMetrics: %v", err)
	}
	srv, err := newServer(s, src, b, m, log)
	if err != nil {
		t.Fatalf("newServer: %v", err)
	}
	log.WithField("rid", "r1").Debug("below the breadcrumbs level")
	log.WithFields(logrus.Fields{"rid": "r1", "querystring": map[string]any{"token": "s3cret"}}).Info("first step of r1")
	log.WithField("rid", "r2").Info("a step of another request")
	log.WithField("rid", "r1").Info("below the events level")
	log.WithField("rid", "r1").Warn("r1 went wrong")
	r := httptest.NewRequest("PUT", "/v1/buckets/b", nil)
	r.Header.Set("Authorization", owner.authorization())
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError {
		t.Fatalf("PUT with failing storage: %d %s, want 500", w.Code, w.Body)
	}
	m.Close()

	var events []string
	for {
		select {
		case e := <-envelopes:
			events = append(events, e)
			continue
		case <-time.After(500 * time.Millisecond):
		}
		break
	}
	var warning string
	causes := 0
	for _, e := range events {
		if strings.Contains(e, `"message":"r1 went wrong"`) {
			warning = e
		}
		causes += strings.Count(e, `"disk on fire"`)
		if strings.Contains(e, "s3cret") {
			t.Errorf("an event carries the query string:\n%s", e)
		}
	}
	// The warning and the report: the info and debug lines are no events.
	if len(events) != 2 {
		t.Errorf("%d events, want 2:\n%s", len(events), strings.Join(events, "\n"))
	}
	if warning == "" {
		t.Fatalf("no event for the warning among %d:\n%s", len(events), strings.Join(events, "\n"))
	}
	for _, want := range []string{`"level":"warning"`, `"request_id":"r1"`, "first step of r1", "below the events level"} {
		if !strings.Contains(warning, want) {
			t.Errorf("warning event lacks %q:\n%s", want, warning)
		}
	}
	for _, never := range []string{"below the breadcrumbs level", "a step of another request"} {
		if strings.Contains(warning, never) {
			t.Errorf("warning event carries %q:\n%s", never, warning)
		}
	}
	if causes != 1 {
		t.Errorf("the 5xx cause is in %d events, want 1 (the report):\n%s", causes, strings.Join(events, "\n"))
	}
}
