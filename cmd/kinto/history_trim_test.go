package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// historyBackends are the storages the history tests run on: memory, and
// PostgreSQL (a fresh schema, migrated) when CLIQUET_TEST_POSTGRES_URL is
// set.
func historyBackends(t *testing.T) map[string]func(t *testing.T) map[string]string {
	all := map[string]func(t *testing.T) map[string]string{
		"memory": func(*testing.T) map[string]string { return map[string]string{} },
	}
	if base := os.Getenv("CLIQUET_TEST_POSTGRES_URL"); base != "" {
		all["postgresql"] = func(t *testing.T) map[string]string {
			dsn := runnertest.FreshPostgresSchema(t, base)
			runnertest.CleanEnv(t, command())
			for _, k := range []string{"KINTO_STORAGE_URL", "KINTO_PERMISSION_URL"} {
				t.Setenv(k, dsn)
			}
			t.Setenv("KINTO_STORAGE_BACKEND", "postgresql")
			t.Setenv("KINTO_PERMISSION_BACKEND", "postgresql")
			if code, out, errOut := runnertest.Run(t, command(), "migrate"); code != runner.ExitOK {
				t.Fatalf("migrate: exit %d, %s %s", code, out, errOut)
			}
			return map[string]string{"storage_backend": "postgresql", "storage_url": dsn,
				"permission_backend": "postgresql", "permission_url": dsn}
		}
	} else {
		t.Log("CLIQUET_TEST_POSTGRES_URL not set: history on PostgreSQL skipped")
	}
	return all
}

// historyServer is newKintoServer with the history plugin and extra
// settings on backend's storage; it also returns the backends.
func historyServer(t *testing.T, backend map[string]string, extra map[string]string) (*kintoServer, *wire.Backends) {
	t.Helper()
	keys := map[string]string{"includes": "kinto.plugins.history"}
	for k, v := range backend {
		keys[k] = v
	}
	for k, v := range extra {
		keys[k] = v
	}
	s, src := testSettings(t, keys)
	h, b := newHandler(t, s, src)
	t.Cleanup(func() { b.Close(logrus.New()) })
	return &kintoServer{t: t, h: h, ids: map[string]string{}}, b
}

// recordEntries lists the record entries of /buckets/b/history, newest
// first, as "<record id> <user>".
func recordEntries(t *testing.T, k *kintoServer) []string {
	t.Helper()
	var out []string
	for _, e := range historyEntries(t, k, owner, "b", "?resource_name=record") {
		out = append(out, fmt.Sprintf("%v %v", e["record_id"], e["user_id"]))
	}
	return out
}

// Kinto's automatic trimming: past auto_trim_max_count+auto_trim_threshold
// entries of one resource type in a bucket, the oldest go, down to
// auto_trim_max_count; other types are counted apart and kept.
func TestHistoryAutoTrim(t *testing.T) {
	for name, backend := range historyBackends(t) {
		t.Run(name, func(t *testing.T) {
			k, b := historyServer(t, backend(t), map[string]string{
				"history.auto_trim_max_count": "3", "history.auto_trim_threshold": "2"})
			caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
			if h, _ := caps["history"].(map[string]any); h["auto_trim_max_count"] != float64(3) || h["auto_trim_user_ids"] != nil {
				t.Errorf("history capability %v, want auto_trim_max_count 3 and no auto_trim_user_ids", h)
			}
			k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
			k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
			var firstEntry string
			// Record entries after each write: 1 2 3 4 5, then 6 > 3+2
			// trims to 3, then 4 5, 6 trims to 3, then 4.
			wantCounts := []int{1, 2, 3, 4, 5, 3, 4, 5, 3, 4}
			for i, want := range wantCounts {
				k.must(http.StatusCreated, owner, "PUT", fmt.Sprintf("/buckets/b/collections/c/records/r%d", i), nil)
				if i == 0 {
					firstEntry = historyEntries(t, k, owner, "b", "?resource_name=record")[0]["id"].(string)
				}
				if got := len(recordEntries(t, k)); got != want {
					t.Fatalf("after write %d: %d record entries, want %d", i, got, want)
				}
			}
			ownerID := k.userID(owner)
			want := []string{"r9 " + ownerID, "r8 " + ownerID, "r7 " + ownerID, "r6 " + ownerID}
			if got := recordEntries(t, k); !reflect.DeepEqual(got, want) {
				t.Errorf("record entries %q, want the newest %q", got, want)
			}
			if got := summarize(historyEntries(t, k, owner, "b", "?in_resource_name=bucket,collection")); !reflect.DeepEqual(got, []string{"create /buckets/b/collections/c", "create /buckets/b"}) {
				t.Errorf("bucket and collection entries %q: counted apart, never trimmed", got)
			}
			// A trimmed entry's own read permission went with it.
			acl, err := b.Permission.ObjectACL(context.Background(), "/buckets/b/history/"+firstEntry)
			if err != nil || len(acl) != 0 {
				t.Errorf("permissions of the trimmed entry %s: %v %v, want none", firstEntry, acl, err)
			}
		})
	}
}

// With auto_trim_user_ids only those users' entries are trimmed, each
// user's on their own; the others' are kept whole.
func TestHistoryAutoTrimByUser(t *testing.T) {
	for name, backend := range historyBackends(t) {
		t.Run(name, func(t *testing.T) {
			plain, src := testSettings(t, nil)
			memberID := newKintoServer(t, plain, src).userID(member) // ids depend on the secret only
			k, _ := historyServer(t, backend(t), map[string]string{
				"history.auto_trim_max_count": "1", "history.auto_trim_threshold": "0",
				"history.auto_trim_user_ids": memberID})
			caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
			if h, _ := caps["history"].(map[string]any); !reflect.DeepEqual(h["auto_trim_user_ids"], []any{memberID}) {
				t.Errorf("history capability %v, want auto_trim_user_ids [%s]", h, memberID)
			}
			k.must(http.StatusCreated, owner, "PUT", "/buckets/b", map[string]any{"permissions": map[string]any{"write": []string{memberID}}})
			k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
			for i := range 3 {
				k.must(http.StatusCreated, owner, "PUT", fmt.Sprintf("/buckets/b/collections/c/records/o%d", i), nil)
				k.must(http.StatusCreated, member, "PUT", fmt.Sprintf("/buckets/b/collections/c/records/m%d", i), nil)
			}
			ownerID := k.userID(owner)
			want := []string{"m2 " + memberID, "o2 " + ownerID, "o1 " + ownerID, "o0 " + ownerID}
			if got := recordEntries(t, k); !reflect.DeepEqual(got, want) {
				t.Errorf("record entries %q, want %q", got, want)
			}
		})
	}
}

func TestHistoryAutoTrimSettingsAreNumbers(t *testing.T) {
	for _, name := range []string{"history.auto_trim_max_count", "history.auto_trim_threshold"} {
		s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.history", name: "many"})
		b, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
		if err != nil {
			t.Fatal(err)
		}
		log := logrus.New()
		log.SetOutput(io.Discard)
		_, err = newServer(s, src, b, nil, log)
		var se *config.SettingError
		if !errors.As(err, &se) || se.Setting != name || !strings.Contains(err.Error(), "many") {
			t.Errorf("%s = many: %v, want a setting error naming it", name, err)
		}
		b.Close(log)
	}
}
