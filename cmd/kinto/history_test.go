package main

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// historyEntries lists /buckets/<bid>/history as u, with a query.
func historyEntries(t *testing.T, k *kintoServer, u user, bid, query string) []map[string]any {
	t.Helper()
	r := k.must(http.StatusOK, u, http.MethodGet, "/buckets/"+bid+"/history"+query, nil)
	list, _ := r.body["data"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i], _ = e.(map[string]any)
	}
	return out
}

func summarize(entries []map[string]any) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e["action"].(string)+" "+e["uri"].(string))
	}
	return out
}

func TestHistoryRecordsEveryChange(t *testing.T) {
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.history"})
	k := newKintoServer(t, s, src)
	caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
	if _, ok := caps["history"]; !ok {
		t.Fatalf("capabilities %v, want history", caps)
	}
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/c/records/r1", map[string]any{"data": map[string]any{"n": 1}})
	k.must(http.StatusOK, owner, "PATCH", "/buckets/b/collections/c/records/r1", map[string]any{"data": map[string]any{"n": 2}})
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{"x"}}})
	k.must(http.StatusOK, owner, "DELETE", "/buckets/b/collections/c/records/r1", nil)

	entries := historyEntries(t, k, owner, "b", "")
	want := []string{
		"delete /buckets/b/collections/c/records/r1",
		"create /buckets/b/groups/g",
		"update /buckets/b/collections/c/records/r1",
		"create /buckets/b/collections/c/records/r1",
		"create /buckets/b/collections/c",
		"create /buckets/b",
	}
	if got := summarize(entries); !reflect.DeepEqual(got, want) {
		t.Fatalf("history = %q\nwant %q", got, want)
	}
	update := entries[2]
	if update["resource_name"] != "record" || update["collection_id"] != "c" || update["record_id"] != "r1" ||
		update["user_id"] != k.userID(owner) || update["bucket_id"] != nil {
		t.Errorf("update entry %v: want resource_name record, collection_id c, record_id r1, the owner, no bucket_id", update)
	}
	target, _ := update["target"].(map[string]any)
	data, _ := target["data"].(map[string]any)
	perms, _ := target["permissions"].(map[string]any)
	if data["id"] != "r1" || data["n"] != float64(2) || perms["write"] == nil {
		t.Errorf("update target %v: want the record after the change and its permissions", target)
	}
	if date, _ := update["date"].(string); !strings.HasSuffix(date, "+00:00") {
		t.Errorf("date %q, want an ISO date in UTC", update["date"])
	}
	if entries[5]["bucket_id"] != "b" {
		t.Errorf("bucket entry %v: want bucket_id b", entries[5])
	}

	// The record protocol: filters, sort, _since.
	if got := summarize(historyEntries(t, k, owner, "b", "?resource_name=record&_sort=last_modified")); !reflect.DeepEqual(got, []string{
		"create /buckets/b/collections/c/records/r1", "update /buckets/b/collections/c/records/r1", "delete /buckets/b/collections/c/records/r1"}) {
		t.Errorf("record history, oldest first = %q", got)
	}
	since := entries[2]["last_modified"].(float64)
	if got := historyEntries(t, k, owner, "b", "?_since="+formatFloat(since)); len(got) != 2 {
		t.Errorf("history since the update: %q, want the two entries after it", summarize(got))
	}
	// Read-only: no object endpoint, no POST.
	k.must(http.StatusMethodNotAllowed, owner, "POST", "/buckets/b/history", map[string]any{"data": map[string]any{}})
	k.must(http.StatusNotFound, owner, "GET", "/buckets/b/history/"+entries[0]["id"].(string), nil)
}

func TestHistoryReadersAndTrim(t *testing.T) {
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.history"})
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/secret", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/shared", map[string]any{
		"permissions": map[string]any{"read": []string{k.userID(member)}}})
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/shared/records/r", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/secret/records/r", nil)

	// The member reads the history of what it could read: the shared
	// collection and its record, nothing of the secret one.
	got := summarize(historyEntries(t, k, member, "b", "?_sort=last_modified"))
	if want := []string{"create /buckets/b/collections/shared", "create /buckets/b/collections/shared/records/r"}; !reflect.DeepEqual(got, want) {
		t.Errorf("member's history = %q, want %q", got, want)
	}
	k.must(http.StatusForbidden, stranger, "GET", "/buckets/b/history", nil)

	// Trimming needs the bucket's write.
	k.must(http.StatusForbidden, member, "DELETE", "/buckets/b/history", nil)
	k.must(http.StatusOK, owner, "DELETE", "/buckets/b/history", nil)
	if left := historyEntries(t, k, owner, "b", ""); len(left) != 0 {
		t.Errorf("history after DELETE: %q", summarize(left))
	}
}

func TestHistoryExclusionsBatchAndBucketDeletion(t *testing.T) {
	s, src := testSettings(t, map[string]string{"includes": "kinto.plugins.history",
		"history.exclude_resources": "/buckets/b/collections/quiet"})
	k := newKintoServer(t, s, src)
	caps := k.must(http.StatusOK, anonymous, http.MethodGet, "/", nil).body["capabilities"].(map[string]any)
	if h, _ := caps["history"].(map[string]any); !reflect.DeepEqual(h["excluded_resources"], []any{map[string]any{"bucket": "b", "collection": "quiet"}}) {
		t.Errorf("history capability %v, want the excluded collection", h)
	}
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/quiet", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/quiet/records/r", nil)
	// A batch whose second subrequest fails: its entry goes with it.
	resp := k.batch(owner,
		map[string]any{"method": "PUT", "path": "/buckets/b/collections/loud"},
		map[string]any{"method": "PUT", "path": "/buckets/b/collections/bad", "body": map[string]any{"permissions": map[string]any{"bogus": []string{"x"}}}},
	)
	if resp[0].status != 201 || resp[1].status != 400 {
		t.Fatalf("batch statuses %d %d", resp[0].status, resp[1].status)
	}
	if got := summarize(historyEntries(t, k, owner, "b", "?_sort=last_modified")); !reflect.DeepEqual(got, []string{"create /buckets/b", "create /buckets/b/collections/loud"}) {
		t.Errorf("history = %q, want the bucket and the batch's good collection only", got)
	}
	// Deleting the bucket removes its history; a new bucket starts afresh.
	k.must(http.StatusOK, owner, "DELETE", "/buckets/b", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", nil)
	if got := summarize(historyEntries(t, k, owner, "b", "")); !reflect.DeepEqual(got, []string{"create /buckets/b"}) {
		t.Errorf("history of the new bucket = %q", got)
	}
}

func TestHistoryExcludedUsers(t *testing.T) {
	s, src := testSettings(t, nil)
	memberID := newKintoServer(t, s, src).userID(member) // ids depend on the secret only
	s, src = testSettings(t, map[string]string{"includes": "kinto.plugins.history", "history.exclude_user_ids": memberID})
	k := newKintoServer(t, s, src)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b", map[string]any{"permissions": map[string]any{"write": []string{memberID}}})
	k.must(http.StatusCreated, member, "PUT", "/buckets/b/collections/c", nil)
	k.must(http.StatusCreated, owner, "PUT", "/buckets/b/collections/d", nil)
	if got := summarize(historyEntries(t, k, owner, "b", "?_sort=last_modified")); !reflect.DeepEqual(got, []string{"create /buckets/b", "create /buckets/b/collections/d"}) {
		t.Errorf("history = %q, want nothing of the excluded user", got)
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
