package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// tombstoneAlert decodes the tombstones-purged Alert of h; ok is false
// when h has none (or another alert).
func tombstoneAlert(t *testing.T, h http.Header) (alert map[string]any, ok bool) {
	t.Helper()
	raw := h.Get("Alert")
	if raw == "" {
		return nil, false
	}
	if err := json.Unmarshal([]byte(raw), &alert); err != nil {
		t.Fatalf("Alert %q is not JSON: %v", raw, err)
	}
	return alert, alert["code"] == wire.TombstonesPurgedCode
}

func millisAgo(d time.Duration) string {
	return strconv.FormatInt(time.Now().Add(-d).UnixMilli(), 10)
}

// TestSinceBeforeTheTombstoneHorizonGetsAnAlert: with a retention, a poll
// from before the horizon still gets its 200 and its changes, plus an
// Alert telling the client deletions may be missing; a poll from within
// the retention, or any other request, gets none.
func TestSinceBeforeTheTombstoneHorizonGetsAnAlert(t *testing.T) {
	s, src := testSettings(t, map[string]string{"tombstones_retention_seconds": "3600"})
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, http.MethodPut, "/buckets/b", nil)
	k.must(http.StatusCreated, owner, http.MethodPut, "/buckets/b/collections/c", nil)
	k.must(http.StatusCreated, owner, http.MethodPut, "/buckets/b/collections/c/records/kept", map[string]any{"data": map[string]any{}})
	k.must(http.StatusCreated, owner, http.MethodPut, "/buckets/b/collections/c/records/gone", map[string]any{"data": map[string]any{}})
	k.must(http.StatusOK, owner, http.MethodDelete, "/buckets/b/collections/c/records/gone", nil)

	old, young := millisAgo(2*time.Hour), millisAgo(10*time.Minute)
	records := "/buckets/b/collections/c/records"

	r := k.must(http.StatusOK, owner, http.MethodGet, records+"?_since="+old, nil)
	alert, ok := tombstoneAlert(t, r.header)
	if !ok {
		t.Fatalf("GET records?_since=2h ago with a 1h retention: Alert %q, want code %s", r.header.Get("Alert"), wire.TombstonesPurgedCode)
	}
	if got := r.ids(); !slices.Equal(got, []string{"gone", "kept"}) {
		t.Errorf("GET records?_since=2h ago = %q, want the changes still there (gone's tombstone, kept)", got)
	}
	horizon, _ := alert["horizon"].(float64)
	wantHorizon := float64(time.Now().Add(-time.Hour + wire.TombstoneHorizonSlack).UnixMilli())
	if horizon < wantHorizon-60_000 || horizon > wantHorizon+1 {
		t.Errorf("Alert horizon %v, want about now - 1h + slack (%v)", horizon, wantHorizon)
	}
	if msg, _ := alert["message"].(string); !strings.Contains(msg, "may be missing") {
		t.Errorf("Alert message %q, want it to say deletions may be missing", msg)
	}
	if alert["url"] != s.ProjectDocs {
		t.Errorf("Alert url %v, want project_docs %q", alert["url"], s.ProjectDocs)
	}
	if !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Alert") {
		t.Errorf("Access-Control-Expose-Headers %q, want Alert readable by browsers", r.header.Get("Access-Control-Expose-Headers"))
	}

	warned := []string{
		records + "?_since=" + old,
		records + "?_since=%22" + old + "%22", // quoted, as kinto-http may send it
		records + "?gt_last_modified=" + old,
		records + "?min_last_modified=" + old,
		records + "?_since=" + old + "&_sort=last_modified&_limit=1",
		records + "?_since=" + old + "&_token=" + url.QueryEscape("not decoded by the warning"),
		"/buckets?_since=" + old,
		"/buckets/b/collections?_since=" + old,
		"/buckets/b/groups?_since=" + old,
		"/buckets/default/collections/tasks/records?_since=" + old,
		"/buckets/b/collections/c/records?_since=0",
	}
	for _, path := range warned {
		r := k.do(owner, http.MethodGet, path, nil)
		if _, ok := tombstoneAlert(t, r.header); !ok {
			t.Errorf("GET %s: %d, Alert %q; want the tombstones alert", path, r.status, r.header.Get("Alert"))
		}
	}
	if r := k.do(owner, http.MethodHead, records+"?_since="+old, nil); !hasTombstoneAlert(t, r.header) {
		t.Errorf("HEAD records?_since=old: Alert %q, want the tombstones alert", r.header.Get("Alert"))
	}

	quiet := []string{
		records,
		records + "?_since=" + young,
		records + "?_since=null",
		records + "?_since=" + old + "&gt_last_modified=" + young, // the higher bound counts
		records + "?_before=" + old,
		records + "?_since=yesterday", // a 400, not a poll
		records + "/kept?_since=" + old,
		"/buckets/b/history?_since=" + old,
		"/?_since=" + old,
	}
	for _, path := range quiet {
		r := k.do(owner, http.MethodGet, path, nil)
		if a := r.header.Get("Alert"); a != "" {
			t.Errorf("GET %s: %d with Alert %q, want none", path, r.status, a)
		}
	}
	if r := k.do(owner, http.MethodDelete, records+"?_since="+old, nil); r.header.Get("Alert") != "" {
		t.Errorf("DELETE records?_since=old: Alert %q, want none (not a poll)", r.header.Get("Alert"))
	}

	// Batch subrequests go through the same middleware.
	resp := k.must(http.StatusOK, owner, http.MethodPost, "/batch", map[string]any{"requests": []map[string]any{
		{"method": "GET", "path": records + "?_since=" + old},
		{"method": "GET", "path": records + "?_since=" + young},
	}})
	subs, _ := resp.body["responses"].([]any)
	if len(subs) != 2 {
		t.Fatalf("batch: %s, want 2 responses", resp)
	}
	for i, wantAlert := range []bool{true, false} {
		sub, _ := subs[i].(map[string]any)
		headers, _ := sub["headers"].(map[string]any)
		raw, _ := headers["Alert"].(string)
		if got := strings.Contains(raw, wire.TombstonesPurgedCode); got != wantAlert {
			t.Errorf("batch subrequest %d: Alert %q, want alert %v", i, raw, wantAlert)
		}
	}
}

func hasTombstoneAlert(t *testing.T, h http.Header) bool {
	t.Helper()
	_, ok := tombstoneAlert(t, h)
	return ok
}

// TestNoTombstoneAlertWithoutRetention: tombstones kept forever, no
// _since is too old.
func TestNoTombstoneAlertWithoutRetention(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, http.MethodPut, "/buckets/b", nil)
	r := k.must(http.StatusOK, owner, http.MethodGet, "/buckets?_since=0", nil)
	if a := r.header.Get("Alert"); a != "" {
		t.Errorf("GET /buckets?_since=0 without retention: Alert %q, want none", a)
	}
}

// TestServePurgesOldTombstones serves with a retention of 5 days and a
// purge every second: a tombstone stamped 10 days ago (proposed
// timestamps) goes within a few purges, one made now stays, and the purge
// stops with the server. On memory, and on PostgreSQL when
// CLIQUET_TEST_POSTGRES_URL is set.
func TestServePurgesOldTombstones(t *testing.T) {
	for _, backend := range []string{"memory", "postgresql"} {
		t.Run(backend, func(t *testing.T) {
			runnertest.CleanEnv(t, command())
			if backend == "postgresql" {
				base := os.Getenv("CLIQUET_TEST_POSTGRES_URL")
				if base == "" {
					t.Skip("CLIQUET_TEST_POSTGRES_URL not set: the background purge on PostgreSQL skipped")
				}
				dsn := runnertest.FreshPostgresSchema(t, base)
				for _, k := range []string{"STORAGE", "PERMISSION", "CACHE"} {
					t.Setenv("KINTO_"+k+"_BACKEND", "postgresql")
					t.Setenv("KINTO_"+k+"_URL", dsn)
				}
				if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != runner.ExitOK {
					t.Fatalf("migrate: exit %d, %s %s", code, out, errOut)
				}
			}
			t.Setenv("KINTO_USERID_HMAC_SECRET", testSecret)
			t.Setenv("KINTO_TOMBSTONES_RETENTION_SECONDS", strconv.Itoa(5*24*3600))
			t.Setenv("KINTO_TOMBSTONES_PURGE_INTERVAL_SECONDS", "1")
			t.Setenv("KINTO_LOG_LEVEL", "debug")
			srv := runnertest.Start(t, command())
			const alice = "alice:pw"
			records := "/buckets/b/collections/c/records"
			wantStatus(t, "PUT bucket", acctDo(t, srv, http.MethodPut, "/buckets/b", alice, nil), http.StatusCreated, 0)
			wantStatus(t, "PUT collection", acctDo(t, srv, http.MethodPut, "/buckets/b/collections/c", alice, nil), http.StatusCreated, 0)
			tenDaysAgo := time.Now().Add(-10 * 24 * time.Hour).UnixMilli()
			wantStatus(t, "PUT old", acctDo(t, srv, http.MethodPut, records+"/old", alice,
				map[string]any{"data": map[string]any{"last_modified": tenDaysAgo}}), http.StatusCreated, 0)
			wantStatus(t, "DELETE old 10 days ago", acctDo(t, srv, http.MethodDelete,
				records+"/old?last_modified="+strconv.FormatInt(tenDaysAgo+1, 10), alice, nil), http.StatusOK, 0)
			wantStatus(t, "PUT young", acctDo(t, srv, http.MethodPut, records+"/young", alice,
				map[string]any{"data": map[string]any{}}), http.StatusCreated, 0)
			wantStatus(t, "DELETE young", acctDo(t, srv, http.MethodDelete, records+"/young", alice, nil), http.StatusOK, 0)

			tombstones := func() []string {
				a := acctDo(t, srv, http.MethodGet, records+"?_since=0", alice, nil)
				wantStatus(t, "GET records?_since=0", a, http.StatusOK, 0)
				var ids []string
				list, _ := a.body["data"].([]any)
				for _, item := range list {
					m, _ := item.(map[string]any)
					if m["deleted"] == true {
						id, _ := m["id"].(string)
						ids = append(ids, id)
					}
				}
				slices.Sort(ids)
				return ids
			}
			if got := tombstones(); !slices.Equal(got, []string{"old", "young"}) {
				t.Fatalf("tombstones before a purge = %q, want old and young (is old's proposed timestamp kept?)", got)
			}
			deadline := time.Now().Add(15 * time.Second)
			got := tombstones()
			for !slices.Equal(got, []string{"young"}) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				got = tombstones()
			}
			if !slices.Equal(got, []string{"young"}) {
				t.Fatalf("tombstones 15s into a purge every second = %q, want only young", got)
			}
			if code := srv.Stop(); code != runner.ExitOK {
				t.Fatalf("serve exited %d, want 0: %s", code, srv.Stderr)
			}
			logs := srv.Stderr.String()
			for _, want := range []string{"purging old tombstones in the background", "purged old tombstones", "purged=1"} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
			// Stopped with the server: no purge logs after Stop.
			n := strings.Count(srv.Stderr.String(), "tombstone retention:")
			time.Sleep(1500 * time.Millisecond)
			if after := strings.Count(srv.Stderr.String(), "tombstone retention:"); after != n {
				t.Errorf("%d purge log lines after the server stopped, want none", after-n)
			}
		})
	}
}
