package main

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// snapshotOf returns the snapshot of /buckets/b/collections/c at ts as
// "<id>:<n>" items, newest first, checking the order.
func snapshotOf(t *testing.T, k *kintoServer, u user, ts float64) []string {
	t.Helper()
	r := k.must(http.StatusOK, u, http.MethodGet, fmt.Sprintf("/buckets/b/snapshot/collections/c@%d", int64(ts)), nil)
	list, ok := r.body["data"].([]any)
	if !ok {
		t.Fatalf("snapshot body %s: want a data list", r.raw)
	}
	var out []string
	last := -1.0
	for _, item := range list {
		rec := item.(map[string]any)
		lm := rec["last_modified"].(float64)
		if last >= 0 && lm > last {
			t.Fatalf("snapshot %s not newest first", r.raw)
		}
		last = lm
		if rec["deleted"] != nil {
			t.Fatalf("snapshot %s holds a tombstone", r.raw)
		}
		out = append(out, fmt.Sprintf("%v:%v", rec["id"], rec["n"]))
	}
	return out
}

// lastModified writes a record and returns its new timestamp.
func lastModified(t *testing.T, k *kintoServer, method, path string, body any, want int) float64 {
	t.Helper()
	r := k.must(want, owner, method, path, body)
	return r.data()["last_modified"].(float64)
}

// Kinto's snapshot view rebuilds a collection at a timestamp from the
// live records and the history, with Kinto's rules for each case.
func TestHistorySnapshot(t *testing.T) {
	for name, backend := range historyBackends(t) {
		t.Run(name, func(t *testing.T) {
			k, _ := historyServer(t, backend(t), nil)
			k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
			k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
			rec := func(id string) string { return "/buckets/b/collections/c/records/" + id }
			data := func(n int) map[string]any { return map[string]any{"data": map[string]any{"n": n}} }

			t0 := lastModified(t, k, "PUT", rec("kept"), data(0), http.StatusCreated)
			lastModified(t, k, "PUT", rec("updated"), data(1), http.StatusCreated)
			lastModified(t, k, "PUT", rec("deleted"), data(1), http.StatusCreated)
			t1 := lastModified(t, k, "PUT", rec("gone"), data(1), http.StatusCreated)
			lastModified(t, k, "DELETE", rec("gone"), nil, http.StatusOK)
			t2 := lastModified(t, k, "PUT", rec("updated"), data(2), http.StatusOK)
			// After t2: an update, a deletion, a creation.
			lastModified(t, k, "PUT", rec("updated"), data(3), http.StatusOK)
			lastModified(t, k, "DELETE", rec("deleted"), nil, http.StatusOK)
			lastModified(t, k, "PUT", rec("new"), data(1), http.StatusCreated)

			// At t2: the update after it is rolled back, the deletion after
			// it undone, the creation after it left out, the record deleted
			// before it absent.
			if got, want := snapshotOf(t, k, owner, t2), []string{"updated:2", "deleted:1", "kept:0"}; !reflect.DeepEqual(got, want) {
				t.Errorf("snapshot at t2 = %q, want %q", got, want)
			}
			// At t1 the record deleted since is back, at its version then.
			if got, want := snapshotOf(t, k, owner, t1), []string{"gone:1", "deleted:1", "updated:1", "kept:0"}; !reflect.DeepEqual(got, want) {
				t.Errorf("snapshot at t1 = %q, want %q", got, want)
			}
			// At t0 (inclusive), only the first record.
			if got, want := snapshotOf(t, k, owner, t0), []string{"kept:0"}; !reflect.DeepEqual(got, want) {
				t.Errorf("snapshot at t0 = %q, want %q", got, want)
			}
			// Now: the live records, as they are.
			now := k.must(http.StatusOK, owner, "GET", "/buckets/b/collections/c/records", nil).header.Get("ETag")
			var ts int64
			fmt.Sscanf(now, `"%d"`, &ts)
			if got, want := snapshotOf(t, k, owner, float64(ts)), []string{"new:1", "updated:3", "kept:0"}; !reflect.DeepEqual(got, want) {
				t.Errorf("snapshot now = %q, want %q", got, want)
			}
			// Before anything, nothing.
			if got := snapshotOf(t, k, owner, 0); len(got) != 0 {
				t.Errorf("snapshot at 0 = %q, want none", got)
			}
		})
	}
}

func TestHistorySnapshotRequests(t *testing.T) {
	k, _ := historyServer(t, nil, nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
	url := "/buckets/b/snapshot/collections/c@1234"
	for _, m := range []string{"PUT", "PATCH", "POST", "DELETE"} {
		k.must(http.StatusMethodNotAllowed, owner, m, url, map[string]any{"data": map[string]any{}})
	}
	for _, bad := range []string{"abc", "-42"} {
		r := k.must(http.StatusBadRequest, owner, "GET", "/buckets/b/snapshot/collections/c@"+bad, nil)
		details, _ := r.body["details"].([]any)
		if len(details) != 1 || details[0].(map[string]any)["location"] != "path" || details[0].(map[string]any)["name"] != "timestamp" {
			t.Errorf("timestamp %s: %s, want a 400 naming the path's timestamp", bad, r.raw)
		}
	}
	k.must(http.StatusNotFound, owner, "GET", "/buckets/b/snapshot/collections/c", nil)

	// Readers of the bucket or of the collection only; 401 for anonymous.
	k.must(http.StatusUnauthorized, anonymous, "GET", url, nil)
	k.must(http.StatusForbidden, member, "GET", url, nil)
	k.must(http.StatusOK, owner, "PATCH", "/buckets/b/collections/c", map[string]any{"permissions": map[string]any{"read": []string{k.userID(member)}}})
	k.must(http.StatusOK, member, "GET", url, nil)
	k.must(http.StatusForbidden, stranger, "GET", url, nil)
	k.must(http.StatusOK, owner, "PATCH", "/buckets/b", map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}})
	k.must(http.StatusOK, anonymous, "GET", url, nil)
	k.must(http.StatusOK, stranger, "GET", url, nil)
}

// Without the history plugin there is no snapshot view.
func TestHistorySnapshotNeedsThePlugin(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusNotFound, owner, "GET", "/buckets/b/snapshot/collections/c@1234", nil)
}
