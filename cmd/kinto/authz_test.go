package main

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// groupG is the group of bucket b whose only member is the member user;
// groupM is the same in bucket team.
const (
	groupG = "/buckets/b/groups/g"
	groupM = "/buckets/team/groups/m"
)

// seedWorld creates, as the owner, the objects every authorization case
// starts from:
//
//	/buckets/b                       owner only
//	  groups/g      members [member] owner only
//	  groups/gread  read: g
//	  groups/pubg   read: system.Everyone
//	  collections/c    read: g         records/r1
//	  collections/w    write: g        records/r1
//	  collections/pub  read: Everyone  records/r1
//	  collections/priv owner only      records/r1
//	/buckets/open    read: system.Everyone
//	/buckets/team    write: team's group m, whose member is the member user
func seedWorld(k *kintoServer) {
	k.t.Helper()
	bob := k.userID(member)
	steps := []struct {
		method, path string
		body         any
	}{
		{"PUT", "/buckets/b", nil},
		{"PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{bob}}}},
		{"PUT", "/buckets/b/groups/gread", map[string]any{"permissions": map[string]any{"read": []string{groupG}}}},
		{"PUT", "/buckets/b/groups/pubg", map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}}},
		{"PUT", "/buckets/b/collections/c", map[string]any{"permissions": map[string]any{"read": []string{groupG}}}},
		{"PUT", "/buckets/b/collections/w", map[string]any{"permissions": map[string]any{"write": []string{groupG}}}},
		{"PUT", "/buckets/b/collections/pub", map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}}},
		{"PUT", "/buckets/b/collections/priv", nil},
		{"PUT", "/buckets/open", map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}}},
		{"PUT", "/buckets/team", map[string]any{"permissions": map[string]any{"write": []string{groupM}}}},
		{"PUT", "/buckets/team/groups/m", map[string]any{"data": map[string]any{"members": []string{bob}}}},
	}
	for _, c := range []string{"c", "w", "pub", "priv"} {
		steps = append(steps, struct {
			method, path string
			body         any
		}{"PUT", "/buckets/b/collections/" + c + "/records/r1", map[string]any{"data": map[string]any{"title": "secret " + c}}})
	}
	for _, s := range steps {
		body := s.body
		if body == nil {
			body = map[string]any{}
		}
		k.must(http.StatusCreated, owner, s.method, s.path, body)
	}
}

// matrixUsers are the callers of every authorization case, in the order of
// authzCase.want.
var matrixUsers = []user{anonymous, stranger, member, owner}

// authzCase is one request and what each caller gets.
type authzCase struct {
	method, path string
	body         any
	// want holds the status for anonymous, stranger, member and owner.
	want [4]int
	// parentErrno makes a 404 expect errno 111 (missing parent) instead of
	// 110 (missing object).
	parentErrno bool
	// ids, when set, are the ids each caller lists (GET list) or deletes
	// (DELETE list); counts are HEAD's Total-Records.
	ids    *[4][]string
	counts *[4]int
}

func ids4(a, s, m, o []string) *[4][]string { return &[4][]string{a, s, m, o} }
func l(ids ...string) []string              { return ids }

var (
	all401 = [4]int{401, 403, 403, 403}
	all200 = [4]int{200, 200, 200, 200}
	all404 = [4]int{404, 404, 404, 404}
)

func authzCases() []authzCase {
	empty := map[string]any{}
	patch := map[string]any{"data": map[string]any{"touched": true}}
	return []authzCase{
		// Buckets.
		{method: "GET", path: "/buckets", want: all200, ids: ids4(l("open"), l("open"), l("open", "team"), l("b", "open", "team"))},
		{method: "HEAD", path: "/buckets", want: all200, counts: &[4]int{1, 1, 2, 3}},
		{method: "GET", path: "/buckets/b", want: [4]int{401, 403, 403, 200}},
		{method: "HEAD", path: "/buckets/b", want: [4]int{401, 403, 403, 200}},
		{method: "GET", path: "/buckets/open", want: all200},
		{method: "GET", path: "/buckets/team", want: [4]int{401, 403, 200, 200}},
		{method: "GET", path: "/buckets/nope", want: all401},
		{method: "PUT", path: "/buckets/b", body: empty, want: [4]int{401, 403, 403, 200}},
		{method: "PUT", path: "/buckets/open", body: empty, want: [4]int{401, 403, 403, 200}},
		{method: "PUT", path: "/buckets/team", body: empty, want: [4]int{401, 403, 200, 200}},
		{method: "PUT", path: "/buckets/new", body: empty, want: [4]int{401, 201, 201, 201}},
		{method: "PATCH", path: "/buckets/b", body: patch, want: [4]int{401, 403, 403, 200}},
		{method: "PATCH", path: "/buckets/open", body: patch, want: [4]int{401, 403, 403, 200}},
		{method: "PATCH", path: "/buckets/team", body: patch, want: [4]int{401, 403, 200, 200}},
		{method: "PATCH", path: "/buckets/nope", body: patch, want: all401},
		{method: "DELETE", path: "/buckets/b", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/open", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/team", want: [4]int{401, 403, 200, 200}},
		{method: "DELETE", path: "/buckets/nope", want: all401},
		{method: "POST", path: "/buckets", body: empty, want: [4]int{401, 201, 201, 201}},
		{method: "POST", path: "/buckets", body: map[string]any{"data": map[string]any{"id": "new"}}, want: [4]int{401, 201, 201, 201}},
		{method: "POST", path: "/buckets", body: map[string]any{"data": map[string]any{"id": "b"}}, want: [4]int{401, 403, 403, 200}},
		{method: "POST", path: "/buckets", body: map[string]any{"data": map[string]any{"id": "open"}}, want: all200},
		{method: "DELETE", path: "/buckets", want: [4]int{401, 200, 200, 200}, ids: ids4(nil, l(), l("team"), l("b", "open", "team"))},

		// Collections.
		{method: "GET", path: "/buckets/b/collections", want: all200, ids: ids4(l("pub"), l("pub"), l("c", "pub", "w"), l("c", "priv", "pub", "w"))},
		{method: "HEAD", path: "/buckets/b/collections", want: all200, counts: &[4]int{1, 1, 3, 4}},
		{method: "GET", path: "/buckets/b/collections/c", want: [4]int{401, 403, 200, 200}},
		{method: "HEAD", path: "/buckets/b/collections/c", want: [4]int{401, 403, 200, 200}},
		{method: "GET", path: "/buckets/b/collections/w", want: [4]int{401, 403, 200, 200}},
		{method: "GET", path: "/buckets/b/collections/pub", want: all200},
		{method: "GET", path: "/buckets/b/collections/priv", want: [4]int{401, 403, 403, 200}},
		{method: "GET", path: "/buckets/b/collections/nope", want: [4]int{401, 403, 403, 404}},
		{method: "PUT", path: "/buckets/b/collections/c", body: empty, want: [4]int{401, 403, 403, 200}},
		{method: "PUT", path: "/buckets/b/collections/w", body: empty, want: [4]int{401, 403, 200, 200}},
		{method: "PUT", path: "/buckets/b/collections/pub", body: empty, want: [4]int{401, 403, 403, 200}},
		{method: "PUT", path: "/buckets/b/collections/new", body: empty, want: [4]int{401, 403, 403, 201}},
		{method: "PATCH", path: "/buckets/b/collections/c", body: patch, want: [4]int{401, 403, 403, 200}},
		{method: "PATCH", path: "/buckets/b/collections/w", body: patch, want: [4]int{401, 403, 200, 200}},
		{method: "PATCH", path: "/buckets/b/collections/nope", body: patch, want: [4]int{401, 403, 403, 404}},
		{method: "DELETE", path: "/buckets/b/collections/c", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/b/collections/w", want: [4]int{401, 403, 200, 200}},
		{method: "DELETE", path: "/buckets/b/collections/nope", want: [4]int{401, 403, 403, 404}},
		{method: "POST", path: "/buckets/b/collections", body: empty, want: [4]int{401, 403, 403, 201}},
		{method: "POST", path: "/buckets/b/collections", body: map[string]any{"data": map[string]any{"id": "pub"}}, want: all200},
		{method: "POST", path: "/buckets/b/collections", body: map[string]any{"data": map[string]any{"id": "priv"}}, want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/b/collections", want: [4]int{401, 403, 200, 200}, ids: ids4(nil, nil, l("w"), l("c", "priv", "pub", "w"))},

		// Groups.
		{method: "GET", path: "/buckets/b/groups", want: all200, ids: ids4(l("pubg"), l("pubg"), l("gread", "pubg"), l("g", "gread", "pubg"))},
		{method: "HEAD", path: "/buckets/b/groups", want: all200, counts: &[4]int{1, 1, 2, 3}},
		{method: "GET", path: "/buckets/b/groups/g", want: [4]int{401, 403, 403, 200}},
		{method: "GET", path: "/buckets/b/groups/gread", want: [4]int{401, 403, 200, 200}},
		{method: "GET", path: "/buckets/b/groups/pubg", want: all200},
		{method: "GET", path: "/buckets/b/groups/nope", want: [4]int{401, 403, 403, 404}},
		{method: "PUT", path: "/buckets/b/groups/gread", body: empty, want: [4]int{401, 403, 403, 200}},
		{method: "PUT", path: "/buckets/b/groups/new", body: empty, want: [4]int{401, 403, 403, 201}},
		{method: "PATCH", path: "/buckets/b/groups/pubg", body: patch, want: [4]int{401, 403, 403, 200}},
		{method: "PATCH", path: "/buckets/b/groups/nope", body: patch, want: [4]int{401, 403, 403, 404}},
		{method: "DELETE", path: "/buckets/b/groups/g", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/b/groups/nope", want: [4]int{401, 403, 403, 404}},
		{method: "POST", path: "/buckets/b/groups", body: map[string]any{"data": map[string]any{"id": "pubg"}}, want: all200},
		{method: "POST", path: "/buckets/b/groups", body: map[string]any{"data": map[string]any{"id": "g"}}, want: [4]int{401, 403, 403, 200}},
		{method: "POST", path: "/buckets/b/groups", body: empty, want: [4]int{401, 403, 403, 201}},
		{method: "DELETE", path: "/buckets/b/groups", want: [4]int{401, 403, 403, 200}, ids: ids4(nil, nil, nil, l("g", "gread", "pubg"))},

		// Records.
		{method: "GET", path: "/buckets/b/collections/c/records", want: [4]int{401, 403, 200, 200}, ids: ids4(nil, nil, l("r1"), l("r1"))},
		{method: "GET", path: "/buckets/b/collections/pub/records", want: all200, ids: ids4(l("r1"), l("r1"), l("r1"), l("r1"))},
		{method: "GET", path: "/buckets/b/collections/priv/records", want: [4]int{401, 403, 403, 200}},
		{method: "HEAD", path: "/buckets/b/collections/c/records", want: [4]int{401, 403, 200, 200}, counts: &[4]int{0, 0, 1, 1}},
		{method: "GET", path: "/buckets/b/collections/c/records/r1", want: [4]int{401, 403, 200, 200}},
		{method: "HEAD", path: "/buckets/b/collections/c/records/r1", want: [4]int{401, 403, 200, 200}},
		{method: "GET", path: "/buckets/b/collections/w/records/r1", want: [4]int{401, 403, 200, 200}},
		{method: "GET", path: "/buckets/b/collections/pub/records/r1", want: all200},
		{method: "GET", path: "/buckets/b/collections/priv/records/r1", want: [4]int{401, 403, 403, 200}},
		{method: "GET", path: "/buckets/b/collections/c/records/nope", want: [4]int{401, 403, 404, 404}},
		{method: "GET", path: "/buckets/b/collections/priv/records/nope", want: [4]int{401, 403, 403, 404}},
		{method: "PUT", path: "/buckets/b/collections/c/records/r1", body: empty, want: [4]int{401, 403, 403, 200}},
		{method: "PUT", path: "/buckets/b/collections/w/records/r1", body: empty, want: [4]int{401, 403, 200, 200}},
		{method: "PUT", path: "/buckets/b/collections/w/records/new", body: empty, want: [4]int{401, 403, 201, 201}},
		{method: "PUT", path: "/buckets/b/collections/pub/records/new", body: empty, want: [4]int{401, 403, 403, 201}},
		{method: "PATCH", path: "/buckets/b/collections/c/records/r1", body: patch, want: [4]int{401, 403, 403, 200}},
		{method: "PATCH", path: "/buckets/b/collections/w/records/r1", body: patch, want: [4]int{401, 403, 200, 200}},
		{method: "PATCH", path: "/buckets/b/collections/pub/records/r1", body: patch, want: [4]int{401, 403, 403, 200}},
		{method: "PATCH", path: "/buckets/b/collections/c/records/nope", body: patch, want: [4]int{401, 403, 404, 404}},
		{method: "PATCH", path: "/buckets/b/collections/priv/records/nope", body: patch, want: [4]int{401, 403, 403, 404}},
		{method: "PATCH", path: "/buckets/b/collections/pub/records/nope", body: patch, want: all404},
		{method: "DELETE", path: "/buckets/b/collections/c/records/r1", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/b/collections/w/records/r1", want: [4]int{401, 403, 200, 200}},
		{method: "DELETE", path: "/buckets/b/collections/pub/records/r1", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/b/collections/pub/records/nope", want: all404},
		{method: "DELETE", path: "/buckets/b/collections/c/records/nope", want: [4]int{401, 403, 404, 404}},
		{method: "POST", path: "/buckets/b/collections/w/records", body: empty, want: [4]int{401, 403, 201, 201}},
		{method: "POST", path: "/buckets/b/collections/c/records", body: empty, want: [4]int{401, 403, 403, 201}},
		{method: "POST", path: "/buckets/b/collections/pub/records", body: map[string]any{"data": map[string]any{"id": "r1"}}, want: all200},
		{method: "POST", path: "/buckets/b/collections/priv/records", body: map[string]any{"data": map[string]any{"id": "r1"}}, want: [4]int{401, 403, 403, 200}},
		{method: "POST", path: "/buckets/b/collections/c/records", body: map[string]any{"data": map[string]any{"id": "r1"}}, want: [4]int{401, 403, 200, 200}},
		{method: "DELETE", path: "/buckets/b/collections/w/records", want: [4]int{401, 403, 200, 200}, ids: ids4(nil, nil, l("r1"), l("r1"))},
		{method: "DELETE", path: "/buckets/b/collections/c/records", want: [4]int{401, 403, 403, 200}},
		{method: "DELETE", path: "/buckets/b/collections/pub/records", want: [4]int{401, 403, 403, 200}},

		// Missing parents (PROTOCOL-kinto §1.4): record writes check the
		// collection first, reads authorize first.
		{method: "GET", path: "/buckets/b/collections/nope/records", want: [4]int{401, 403, 403, 404}, parentErrno: true},
		{method: "HEAD", path: "/buckets/b/collections/nope/records", want: [4]int{401, 403, 403, 404}, parentErrno: true},
		{method: "DELETE", path: "/buckets/b/collections/nope/records", want: [4]int{401, 403, 403, 404}, parentErrno: true},
		{method: "GET", path: "/buckets/b/collections/nope/records/x", want: [4]int{401, 403, 403, 404}, parentErrno: true},
		{method: "POST", path: "/buckets/b/collections/nope/records", body: empty, want: all404, parentErrno: true},
		{method: "PUT", path: "/buckets/b/collections/nope/records/x", body: empty, want: all404, parentErrno: true},
		{method: "PATCH", path: "/buckets/b/collections/nope/records/x", body: patch, want: all404, parentErrno: true},
		{method: "DELETE", path: "/buckets/b/collections/nope/records/x", want: all404, parentErrno: true},
		{method: "POST", path: "/buckets/nope/collections/c/records", body: empty, want: all404, parentErrno: true},
		{method: "GET", path: "/buckets/nope/collections/c/records", want: all401},
		{method: "GET", path: "/buckets/nope/collections", want: all401},
		{method: "GET", path: "/buckets/nope/groups", want: all401},
		// Collections and groups are authorized before their bucket is
		// looked for: outsiders cannot probe which buckets exist.
		{method: "PUT", path: "/buckets/nope/collections/x", body: empty, want: all401},
		{method: "POST", path: "/buckets/nope/collections", body: empty, want: all401},
		{method: "PATCH", path: "/buckets/nope/collections/x", body: patch, want: all401},
		{method: "DELETE", path: "/buckets/nope/collections/x", want: all401},
		{method: "DELETE", path: "/buckets/nope/collections", want: all401},
		{method: "PUT", path: "/buckets/nope/groups/x", body: empty, want: all401},
		{method: "POST", path: "/buckets/nope/groups", body: empty, want: all401},
		{method: "DELETE", path: "/buckets/nope/groups/x", want: all401},
	}
}

// errnoFor is the errno that goes with an error status.
func errnoFor(status int, parent bool) int {
	switch status {
	case 401:
		return 104
	case 403:
		return 121
	case 404:
		if parent {
			return 111
		}
		return 110
	}
	return 0
}

// TestAuthorizationMatrix runs every case for each caller on a fresh world,
// directly and inside /batch (an anonymous batch whose subrequest carries
// the caller's credentials), and expects the same answer both ways.
func TestAuthorizationMatrix(t *testing.T) {
	s, src := testSettings(t, nil)
	for _, tc := range authzCases() {
		for i, u := range matrixUsers {
			name := fmt.Sprintf("%s %s as %s", tc.method, tc.path, u.name)
			t.Run(name, func(t *testing.T) {
				k := newKintoServer(t, s, src)
				seedWorld(k)
				r := k.do(u, tc.method, tc.path, tc.body)
				checkAuthzAnswer(t, "direct", tc, i, r.status, r.errno(), r)
				if r.status == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") != `Basic realm="Realm"` {
					t.Errorf("401 WWW-Authenticate = %q, want Basic realm=\"Realm\"", r.header.Get("WWW-Authenticate"))
				}
				if tc.ids != nil && r.status == http.StatusOK {
					if got := r.ids(); !slices.Equal(got, tc.ids[i]) && !(len(got) == 0 && len(tc.ids[i]) == 0) {
						t.Errorf("ids = %v, want %v", got, tc.ids[i])
					}
				}
				if tc.counts != nil && r.status == http.StatusOK {
					if got := r.header.Get("Total-Records"); got != strconv.Itoa(tc.counts[i]) || r.header.Get("Total-Objects") != got {
						t.Errorf("Total-Records %q, Total-Objects %q, want %d", got, r.header.Get("Total-Objects"), tc.counts[i])
					}
				}

				// The same request inside a batch, on a fresh world.
				k = newKintoServer(t, s, src)
				seedWorld(k)
				sub := map[string]any{"method": tc.method, "path": tc.path}
				if a := u.authorization(); a != "" {
					sub["headers"] = map[string]string{"Authorization": a}
				}
				if tc.body != nil {
					sub["body"] = tc.body
				}
				br := k.batch(anonymous, sub)[0]
				errno, _ := br.body["errno"].(float64)
				checkAuthzAnswer(t, "in batch", tc, i, br.status, int(errno), br.raw)
				if tc.ids != nil && br.status == http.StatusOK && tc.method != "HEAD" {
					got := response{body: br.body}.ids()
					if !slices.Equal(got, tc.ids[i]) && !(len(got) == 0 && len(tc.ids[i]) == 0) {
						t.Errorf("in batch: ids = %v, want %v", got, tc.ids[i])
					}
				}
			})
		}
	}
}

func checkAuthzAnswer(t *testing.T, how string, tc authzCase, i, status, errno int, body any) {
	t.Helper()
	want := tc.want[i]
	if status != want {
		t.Errorf("%s: status %d, want %d; body %v", how, status, want, body)
		return
	}
	if wantErrno := errnoFor(want, tc.parentErrno); wantErrno != 0 && tc.method != "HEAD" && errno != wantErrno {
		t.Errorf("%s: errno %d, want %d; body %v", how, errno, wantErrno, body)
	}
}

// TestMissingObjectDetails checks the details of 404s: the object itself
// (errno 110) and a missing parent collection (errno 111).
func TestMissingObjectDetails(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	tests := []struct {
		method, path string
		errno        int
		details      map[string]any
	}{
		{"GET", "/buckets/b/collections/c/records/nope", 110, map[string]any{"id": "nope", "resource_name": "record"}},
		{"DELETE", "/buckets/b/groups/nope", 110, map[string]any{"id": "nope", "resource_name": "group"}},
		{"GET", "/buckets/b/collections/nope", 110, map[string]any{"id": "nope", "resource_name": "collection"}},
		{"GET", "/buckets/b/collections/nope/records", 111, map[string]any{"id": "nope", "resource_name": "collection"}},
		{"PUT", "/buckets/b/collections/nope/records/x", 111, map[string]any{"id": "nope", "resource_name": "collection"}},
		{"POST", "/buckets/nope/collections/c/records", 111, map[string]any{"id": "c", "resource_name": "collection"}},
	}
	for _, tt := range tests {
		var body any
		if tt.method == "PUT" || tt.method == "POST" {
			body = map[string]any{}
		}
		r := k.do(owner, tt.method, tt.path, body)
		if r.status != 404 || r.errno() != tt.errno || !reflect.DeepEqual(r.body["details"], tt.details) {
			t.Errorf("%s %s = %s, want 404 errno %d details %v", tt.method, tt.path, r, tt.errno, tt.details)
		}
	}
}

// uris returns the uri of every /permissions entry, sorted.
func uris(r response) []string {
	list, _ := r.body["data"].([]any)
	out := []string{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		u, _ := m["uri"].(string)
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// entryPerms returns the sorted permissions of the /permissions entry uri.
func entryPerms(r response, uri string) []string {
	list, _ := r.body["data"].([]any)
	for _, item := range list {
		m, _ := item.(map[string]any)
		if m["uri"] != uri {
			continue
		}
		ps, _ := m["permissions"].([]any)
		out := []string{}
		for _, p := range ps {
			s, _ := p.(string)
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	return nil
}

func TestPermissionsEndpointShowsOnlyOwnGrants(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	everyone := []string{"/buckets/b/collections/pub", "/buckets/b/groups/pubg", "/buckets/open"}
	tests := []struct {
		u    user
		want []string
	}{
		{anonymous, everyone},
		{stranger, append([]string{"/"}, everyone...)},
		{member, append([]string{"/", "/buckets/b/collections/c", "/buckets/b/collections/w", "/buckets/b/groups/gread", "/buckets/team"}, everyone...)},
		{owner, []string{"/", "/buckets/b", "/buckets/b/collections/c", "/buckets/b/collections/c/records/r1",
			"/buckets/b/collections/priv", "/buckets/b/collections/priv/records/r1", "/buckets/b/collections/pub",
			"/buckets/b/collections/pub/records/r1", "/buckets/b/collections/w", "/buckets/b/collections/w/records/r1",
			"/buckets/b/groups/g", "/buckets/b/groups/gread", "/buckets/b/groups/pubg", "/buckets/open", "/buckets/team",
			"/buckets/team/groups/m"}},
	}
	for _, tt := range tests {
		want := slices.Clone(tt.want)
		slices.Sort(want)
		r := k.must(http.StatusOK, tt.u, "GET", "/permissions", nil)
		if got := uris(r); !slices.Equal(got, want) {
			t.Errorf("GET /permissions as %s: uris %v, want %v", tt.u.name, got, want)
		}
		// The same inside a batch.
		sub := map[string]any{"path": "/permissions"}
		if a := tt.u.authorization(); a != "" {
			sub["headers"] = map[string]string{"Authorization": a}
		}
		br := k.batch(anonymous, sub)[0]
		if got := uris(response{body: br.body}); br.status != 200 || !slices.Equal(got, want) {
			t.Errorf("batch GET /permissions as %s: %d %v, want 200 %v", tt.u.name, br.status, got, want)
		}
		// Filters never widen the listing.
		r = k.must(http.StatusOK, tt.u, "GET", "/permissions?resource_name=record", nil)
		for _, u := range uris(r) {
			if !slices.Contains(want, u) {
				t.Errorf("GET /permissions?resource_name=record as %s lists %s", tt.u.name, u)
			}
		}
	}

	r := k.must(http.StatusOK, member, "GET", "/permissions", nil)
	for uri, want := range map[string][]string{
		"/buckets/team":              {"collection:create", "group:create", "read", "read:attributes", "write"},
		"/buckets/b/collections/w":   {"read", "read:attributes", "record:create", "write"},
		"/buckets/b/collections/c":   {"read", "read:attributes"},
		"/buckets/b/groups/gread":    {"read"},
		"/buckets/b/collections/pub": {"read", "read:attributes"},
		"/":                          {"bucket:create"},
	} {
		if got := entryPerms(r, uri); !slices.Equal(got, want) {
			t.Errorf("member's /permissions entry %s: %v, want %v", uri, got, want)
		}
	}
	r = k.must(http.StatusOK, member, "GET", "/permissions?_sort=id", nil)
	if len(uris(r)) != 8 {
		t.Errorf("GET /permissions?_sort=id as member: %s, want 8 entries", r)
	}
	if r := k.do(member, "GET", "/permissions?unknown_field=1", nil); r.status != 200 && r.status != 400 {
		t.Errorf("GET /permissions?unknown_field=1 = %s, want 200 or 400, never %d", r, r.status)
	}
}

func TestPermissionsEndpointReadPrincipals(t *testing.T) {
	s, src := testSettings(t, map[string]string{"permissions_read_principals": "system.Authenticated"})
	k := newKintoServer(t, s, src)
	if r := k.do(anonymous, "GET", "/permissions", nil); r.status != 401 || r.errno() != 104 {
		t.Errorf("anonymous GET /permissions with permissions_read_principals=system.Authenticated: %s, want 401/104", r)
	}
	k.must(http.StatusOK, stranger, "GET", "/permissions", nil)
}

func TestHelloPrincipalsFollowGroupMembership(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	bob, carol := k.userID(member), k.userID(stranger)

	has := func(u user, p string) bool { return slices.Contains(k.principals(u), p) }
	if !has(member, groupG) || !has(member, groupM) {
		t.Fatalf("member principals %v, want %s and %s", k.principals(member), groupG, groupM)
	}
	if want := []string{carol, "system.Authenticated", "system.Everyone"}; !slices.Equal(k.principals(stranger), want) {
		t.Errorf("stranger principals %v, want %v", k.principals(stranger), want)
	}
	if r := k.must(200, anonymous, "GET", "/", nil); r.body["user"] != nil {
		t.Errorf("anonymous hello has a user block: %v", r.body["user"])
	}

	// Removed from the group: the principal and its rights are gone at once.
	k.must(200, owner, "PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{}}})
	if has(member, groupG) {
		t.Errorf("member principals %v after removal, still hold %s", k.principals(member), groupG)
	}
	k.must(403, member, "GET", "/buckets/b/collections/c/records/r1", nil)

	// Added back through a merge.
	k.must(200, owner, "PATCH", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{bob}}})
	if !has(member, groupG) {
		t.Errorf("member principals %v after PATCH, want %s", k.principals(member), groupG)
	}
	k.must(200, member, "GET", "/buckets/b/collections/c/records/r1", nil)

	// system.Authenticated as a member gives the group to every user.
	k.must(201, owner, "PUT", "/buckets/b/groups/everybody", map[string]any{"data": map[string]any{"members": []string{"system.Authenticated"}}})
	if !has(stranger, "/buckets/b/groups/everybody") {
		t.Errorf("stranger principals %v, want the group of system.Authenticated", k.principals(stranger))
	}

	// Deleting the group removes the principal from everyone.
	k.must(200, owner, "DELETE", "/buckets/b/groups/g", nil)
	if has(member, groupG) {
		t.Errorf("member principals %v after group deletion, still hold %s", k.principals(member), groupG)
	}
	k.must(403, member, "GET", "/buckets/b/collections/c/records/r1", nil)
	// Re-creating the group with other members does not give it back.
	k.must(201, owner, "PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{carol}}})
	k.must(403, member, "GET", "/buckets/b/collections/c/records/r1", nil)
	k.must(200, stranger, "GET", "/buckets/b/collections/c/records/r1", nil)
}

func TestBucketDeletionCascades(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	k.must(200, owner, "PATCH", "/buckets/b", map[string]any{"permissions": map[string]any{"read": []string{groupG}}})
	k.must(200, member, "GET", "/buckets/b/collections/priv/records/r1", nil)

	k.must(200, owner, "DELETE", "/buckets/b", nil)
	if slices.Contains(k.principals(member), groupG) {
		t.Errorf("member principals %v after bucket deletion, still hold %s", k.principals(member), groupG)
	}
	// The owner lost its rights with the bucket's ACL.
	k.must(403, owner, "GET", "/buckets/b", nil)
	k.must(403, owner, "GET", "/buckets/b/collections/c/records", nil)

	// Re-created empty, with the same group granted: former members get
	// nothing, the children are gone.
	k.must(201, owner, "PUT", "/buckets/b", map[string]any{"permissions": map[string]any{"read": []string{groupG}}})
	if r := k.must(200, owner, "GET", "/buckets/b/collections", nil); len(r.ids()) != 0 {
		t.Errorf("collections of the re-created bucket: %v, want none", r.ids())
	}
	if r := k.must(200, owner, "GET", "/buckets/b/groups", nil); len(r.ids()) != 0 {
		t.Errorf("groups of the re-created bucket: %v, want none", r.ids())
	}
	if r := k.do(owner, "GET", "/buckets/b/collections/c/records", nil); r.status != 404 || r.errno() != 111 {
		t.Errorf("records of a purged collection: %s, want 404/111", r)
	}
	k.must(403, member, "GET", "/buckets/b", nil)
	k.must(201, owner, "PUT", "/buckets/b/groups/g", map[string]any{"data": map[string]any{"members": []string{}}})
	k.must(403, member, "GET", "/buckets/b", nil)
	if r := k.must(200, member, "GET", "/permissions", nil); slices.Contains(uris(r), "/buckets/b") {
		t.Errorf("member's /permissions still lists /buckets/b: %v", uris(r))
	}
	// The re-created collection starts empty.
	k.must(201, owner, "PUT", "/buckets/b/collections/c", nil)
	if r := k.must(200, owner, "GET", "/buckets/b/collections/c/records?_since=0", nil); len(r.ids()) != 0 {
		t.Errorf("records of the re-created collection (with tombstones): %v, want none", r.ids())
	}
}

func TestCollectionDeletionDropsRecordRights(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	k.must(200, owner, "PATCH", "/buckets/b/collections/priv/records/r1", map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}})
	k.must(200, anonymous, "GET", "/buckets/b/collections/priv/records/r1", nil)
	k.must(200, owner, "DELETE", "/buckets/b/collections/priv", nil)
	k.must(201, owner, "PUT", "/buckets/b/collections/priv", nil)
	// The record is gone and so is its ACL: no access survives recreation.
	k.must(401, anonymous, "GET", "/buckets/b/collections/priv/records/r1", nil)
	k.must(404, owner, "GET", "/buckets/b/collections/priv/records/r1", nil)
}

// TestRecordCreateOnlyUser follows a user who may only create records in
// a collection, through a group (PROTOCOL-kinto §10).
func TestRecordCreateOnlyUser(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	bob := k.userID(member)
	k.must(201, owner, "PUT", "/buckets/b/collections/inbox", map[string]any{"permissions": map[string]any{"record:create": []string{groupG}}})
	for _, id := range []string{"a1", "a2", "a3"} {
		k.must(201, owner, "PUT", "/buckets/b/collections/inbox/records/"+id, map[string]any{"data": map[string]any{"title": "owner's " + id}})
	}
	r := k.must(201, member, "POST", "/buckets/b/collections/inbox/records", map[string]any{"data": map[string]any{"title": "mine"}})
	mine, _ := r.data()["id"].(string)
	if got := r.perms(); !reflect.DeepEqual(got, map[string][]string{"write": {bob}}) {
		t.Errorf("POST as record:create user: permissions %v, want write [%s]", got, bob)
	}
	k.must(201, member, "PUT", "/buckets/b/collections/inbox/records/m2", map[string]any{"data": map[string]any{"title": "mine too"}})
	wantIDs := []string{mine, "m2"}
	slices.Sort(wantIDs)
	k.must(200, owner, "DELETE", "/buckets/b/collections/inbox/records/a3", nil)

	for _, q := range []string{"", "?_since=0", "?_sort=title", "?_fields=title", "?_limit=1&_sort=-title", "?has_title=true"} {
		r := k.must(200, member, "GET", "/buckets/b/collections/inbox/records"+q, nil)
		got := r.ids()
		if q == "?_limit=1&_sort=-title" {
			if len(got) != 1 || !slices.Contains(wantIDs, got[0]) {
				t.Errorf("GET records%s as record:create user: %v, want one of %v", q, got, wantIDs)
			}
			continue
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("GET records%s as record:create user: %v, want %v", q, got, wantIDs)
		}
	}
	for _, q := range []string{"?id=a1", "?in_id=a1,a2,a3", "?title=owner%27s%20a1", "?like_title=owner", "?_since=0&id=a3"} {
		if r := k.must(200, member, "GET", "/buckets/b/collections/inbox/records"+q, nil); len(r.ids()) != 0 {
			t.Errorf("GET records%s as record:create user: %v, want none", q, r.ids())
		}
		if r := k.must(200, member, "HEAD", "/buckets/b/collections/inbox/records"+q, nil); r.header.Get("Total-Records") != "0" {
			t.Errorf("HEAD records%s as record:create user: Total-Records %q, want 0", q, r.header.Get("Total-Records"))
		}
	}
	if r := k.must(200, member, "HEAD", "/buckets/b/collections/inbox/records", nil); r.header.Get("Total-Records") != "2" {
		t.Errorf("HEAD records as record:create user: Total-Records %q, want 2", r.header.Get("Total-Records"))
	}
	// The collection's attributes are readable, without its ACL.
	r = k.must(200, member, "GET", "/buckets/b/collections/inbox", nil)
	if got := r.perms(); len(got) != 0 {
		t.Errorf("GET collection as record:create user: permissions %v, want {}", got)
	}
	if r := k.must(200, member, "GET", "/buckets/b/collections", nil); !slices.Contains(r.ids(), "inbox") || slices.Contains(r.ids(), "priv") {
		t.Errorf("GET collections as record:create user: %v, want inbox listed and priv not", r.ids())
	}
	k.must(403, member, "GET", "/buckets/b", nil)
	k.must(403, member, "GET", "/buckets/b/collections/inbox/records/a1", nil)
	k.must(403, member, "PATCH", "/buckets/b/collections/inbox/records/a1", map[string]any{"data": map[string]any{"x": 1}})
	k.must(403, member, "GET", "/buckets/b/collections/inbox/records/a3", nil)
	k.must(403, member, "GET", "/buckets/b/collections/inbox/records/nope", nil)
	// POST with the id of someone else's record neither reads nor changes it.
	k.must(403, member, "POST", "/buckets/b/collections/inbox/records", map[string]any{"data": map[string]any{"id": "a1", "title": "x"}})
	// Own records: read, change, delete.
	k.must(200, member, "PATCH", "/buckets/b/collections/inbox/records/m2", map[string]any{"data": map[string]any{"x": 1}})
	k.must(200, member, "DELETE", "/buckets/b/collections/inbox/records/m2", nil)
	// DELETE on the list only deletes what the caller may write.
	r = k.must(200, member, "DELETE", "/buckets/b/collections/inbox/records", nil)
	if got := r.ids(); !slices.Equal(got, []string{mine}) {
		t.Errorf("DELETE records as record:create user deleted %v, want [%s]", got, mine)
	}
	if r := k.must(200, owner, "GET", "/buckets/b/collections/inbox/records", nil); !slices.Equal(r.ids(), []string{"a1", "a2"}) {
		t.Errorf("owner's records after the member's DELETE: %v, want [a1 a2]", r.ids())
	}
	r = k.must(200, member, "GET", "/permissions", nil)
	if got := entryPerms(r, "/buckets/b/collections/inbox"); !slices.Equal(got, []string{"read:attributes", "record:create"}) {
		t.Errorf("/permissions entry of the inbox: %v, want read:attributes record:create", got)
	}
	for _, u := range uris(r) {
		if u == "/buckets/b/collections/inbox/records/a1" || u == "/buckets/b" {
			t.Errorf("record:create user's /permissions lists %s", u)
		}
	}
	// The batch gives the same view.
	br := k.batch(member, map[string]any{"path": "/buckets/b/collections/inbox/records?_since=0"},
		map[string]any{"path": "/buckets/b/collections/inbox/records/a1"})
	if got := (response{body: br[0].body}).ids(); br[0].status != 200 || len(got) != 0 {
		t.Errorf("batch GET records as record:create user: %d %v, want 200 []", br[0].status, got)
	}
	if br[1].status != 403 {
		t.Errorf("batch GET someone else's record: %d, want 403", br[1].status)
	}
}

// TestSingleRecordReader checks that a read grant on one record reveals
// nothing else of its collection, whatever the query.
func TestSingleRecordReader(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	carol := k.userID(stranger)
	for _, id := range []string{"r2", "r3"} {
		k.must(201, owner, "PUT", "/buckets/b/collections/priv/records/"+id, map[string]any{"data": map[string]any{"title": "secret priv"}})
	}
	k.must(200, owner, "PATCH", "/buckets/b/collections/priv/records/r1", map[string]any{"permissions": map[string]any{"read": []string{carol}}})
	k.must(200, owner, "DELETE", "/buckets/b/collections/priv/records/r3", nil)

	for _, q := range []string{"", "?_since=0", "?title=secret%20priv", "?_fields=id", "?_sort=-id", "?_limit=5", "?gt_last_modified=0"} {
		r := k.must(200, stranger, "GET", "/buckets/b/collections/priv/records"+q, nil)
		if got := r.ids(); !slices.Equal(got, []string{"r1"}) {
			t.Errorf("GET priv/records%s as single-record reader: %v, want [r1]", q, got)
		}
	}
	if r := k.must(200, stranger, "HEAD", "/buckets/b/collections/priv/records?title=secret%20priv", nil); r.header.Get("Total-Records") != "1" {
		t.Errorf("HEAD priv/records as single-record reader: Total-Records %q, want 1", r.header.Get("Total-Records"))
	}
	r := k.must(200, stranger, "GET", "/buckets/b/collections/priv/records/r1", nil)
	if len(r.perms()) != 0 {
		t.Errorf("GET r1 as reader: permissions %v, want {}", r.perms())
	}
	k.must(403, stranger, "GET", "/buckets/b/collections/priv/records/r2", nil)
	k.must(403, stranger, "GET", "/buckets/b/collections/priv", nil)
	k.must(403, stranger, "DELETE", "/buckets/b/collections/priv/records", nil)
	k.must(403, stranger, "PATCH", "/buckets/b/collections/priv/records/r1", map[string]any{"data": map[string]any{"x": 1}})
	if r := k.must(200, stranger, "GET", "/permissions", nil); !slices.Contains(uris(r), "/buckets/b/collections/priv/records/r1") ||
		slices.Contains(uris(r), "/buckets/b/collections/priv/records/r2") {
		t.Errorf("GET /permissions as single-record reader: %v, want r1 and not r2", uris(r))
	}
	// The owner sees the tombstone of r3; the reader does not.
	r = k.must(200, owner, "GET", "/buckets/b/collections/priv/records?_since=0", nil)
	if !slices.Equal(r.ids(), []string{"r1", "r2", "r3"}) {
		t.Errorf("owner's _since=0: %v, want r1 r2 and the r3 tombstone", r.ids())
	}
}

// TestPermissionsInResponses: the object's own ACL for writers, {} for
// anyone else, none on deletions (PROTOCOL-kinto §2.9).
func TestPermissionsInResponses(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	alice, bob, carol := k.userID(owner), k.userID(member), k.userID(stranger)

	r := k.must(201, owner, "PUT", "/buckets/b/collections/w/records/x", map[string]any{"data": map[string]any{}, "permissions": map[string]any{"read": []string{carol}}})
	if want := map[string][]string{"read": {carol}, "write": {alice}}; !reflect.DeepEqual(r.perms(), want) {
		t.Errorf("PUT as owner: permissions %v, want %v", r.perms(), want)
	}
	if r := k.must(200, stranger, "GET", "/buckets/b/collections/w/records/x", nil); r.perms() == nil || len(r.perms()) != 0 {
		t.Errorf("GET as reader: permissions %v (%s), want {}", r.perms(), r)
	}
	// A writer through the collection sees {} until it writes the record;
	// then it is in the record's own write ACL.
	if r := k.must(200, member, "GET", "/buckets/b/collections/w/records/x", nil); len(r.perms()) != 0 {
		t.Errorf("GET as inherited writer: permissions %v, want {}", r.perms())
	}
	r = k.must(200, member, "PATCH", "/buckets/b/collections/w/records/x", map[string]any{"data": map[string]any{"n": 1}})
	want := []string{alice, bob}
	slices.Sort(want)
	if got := r.perms(); !slices.Equal(got["write"], want) || !slices.Equal(got["read"], []string{carol}) {
		t.Errorf("PATCH as inherited writer: permissions %v, want write %v read [%s]", got, want, carol)
	}
	r = k.must(200, owner, "GET", "/buckets/b/collections/w/records/x?_fields=n", nil)
	if !slices.Equal(r.perms()["write"], want) {
		t.Errorf("GET with _fields as owner: permissions %v, want write %v", r.perms(), want)
	}
	r = k.must(200, member, "DELETE", "/buckets/b/collections/w/records/x", nil)
	if _, has := r.body["permissions"]; has {
		t.Errorf("DELETE answer has permissions: %s", r)
	}
	// A bucket-level ACL is never shown on a child.
	r = k.must(200, owner, "GET", "/buckets/b/collections/c", nil)
	if want := map[string][]string{"read": {groupG}, "write": {alice}}; !reflect.DeepEqual(r.perms(), want) {
		t.Errorf("GET collection as owner: permissions %v, want %v", r.perms(), want)
	}
}

func TestPutWithOnlyPermissionsKeepsData(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	alice := k.userID(owner)
	path := "/buckets/b/collections/priv/records/r1"
	k.must(200, owner, "PATCH", path, map[string]any{"permissions": map[string]any{"read": []string{"account:x"}}})
	r := k.must(200, owner, "PUT", path, map[string]any{"permissions": map[string]any{"read": []string{"system.Everyone"}}})
	if r.data()["title"] != "secret priv" {
		t.Errorf("PUT with only permissions: data %v, want the title kept", r.data())
	}
	if want := map[string][]string{"read": {"system.Everyone"}, "write": {alice}}; !reflect.DeepEqual(r.perms(), want) {
		t.Errorf("PUT with only permissions: permissions %v, want %v (full replace)", r.perms(), want)
	}
	if r := k.must(200, anonymous, "GET", path, nil); r.data()["title"] != "secret priv" {
		t.Errorf("anonymous GET after sharing: %s", r)
	}
	// Creating with only permissions gives an empty object.
	r = k.must(201, owner, "PUT", "/buckets/b/collections/priv/records/fresh", map[string]any{"permissions": map[string]any{"read": []string{"account:y"}}})
	if len(r.data()) != 2 {
		t.Errorf("PUT creating with only permissions: data %v, want only id and last_modified", r.data())
	}
	// PUT without permissions keeps the ACL.
	r = k.must(200, owner, "PUT", path, map[string]any{"data": map[string]any{"title": "new"}})
	if !slices.Equal(r.perms()["read"], []string{"system.Everyone"}) {
		t.Errorf("PUT without permissions: permissions %v, want read kept", r.perms())
	}
}

func TestPatchPermissionFlavours(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	alice := k.userID(owner)
	path := "/buckets/b/collections/priv/records/r1"
	set := func(read, write []string) {
		t.Helper()
		k.must(200, owner, "PUT", path, map[string]any{"permissions": map[string]any{"read": read, "write": write}})
	}
	tests := []struct {
		name        string
		contentType string
		body        any
		want        map[string][]string
	}{
		{"json replaces the mentioned permission", "application/json",
			map[string]any{"permissions": map[string]any{"read": []string{"c"}}},
			map[string][]string{"read": {"c"}, "write": {"w", alice}}},
		{"json ignores null", "application/json",
			map[string]any{"permissions": map[string]any{"read": nil}},
			map[string][]string{"read": {"a", "b"}, "write": {"w", alice}}},
		{"merge-patch keeps unmentioned permissions", "application/merge-patch+json",
			map[string]any{"permissions": map[string]any{"read": []string{"c"}}},
			map[string][]string{"read": {"c"}, "write": {"w", alice}}},
		{"merge-patch null empties one permission", "application/merge-patch+json",
			map[string]any{"permissions": map[string]any{"read": nil}},
			map[string][]string{"write": {"w", alice}}},
		{"json-patch add and remove without value", "application/json-patch+json",
			[]any{
				map[string]any{"op": "add", "path": "/permissions/read/system.Everyone"},
				map[string]any{"op": "remove", "path": "/permissions/write/w"},
				map[string]any{"op": "add", "path": "/permissions/read/~1buckets~1b~1groups~1g"},
				map[string]any{"op": "remove", "path": "/permissions/read/a"},
			},
			map[string][]string{"read": {"b", "system.Everyone", groupG}, "write": {alice}}},
		{"json-patch mixes data and permissions", "application/json-patch+json",
			[]any{
				map[string]any{"op": "add", "path": "/data/title", "value": "patched"},
				map[string]any{"op": "add", "path": "/permissions/write/z", "value": "z"},
			},
			map[string][]string{"read": {"a", "b"}, "write": {"w", "z", alice}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set([]string{"a", "b"}, []string{"w"})
			r := k.must(200, owner, "PATCH", path, tt.body, "Content-Type", tt.contentType)
			got := r.perms()
			for p, v := range got {
				if len(v) == 0 {
					delete(got, p)
				}
			}
			want := map[string][]string{}
			for p, v := range tt.want {
				want[p] = slices.Sorted(slices.Values(v))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("PATCH %s: permissions %v, want %v", tt.contentType, got, want)
			}
			if r.data()["title"] == nil {
				t.Errorf("PATCH %s lost the data: %v", tt.contentType, r.data())
			}
			// The answer is what is stored.
			again := k.must(200, owner, "GET", path, nil).perms()
			for p, v := range again {
				if len(v) == 0 {
					delete(again, p)
				}
			}
			if !reflect.DeepEqual(again, want) {
				t.Errorf("GET after PATCH %s: permissions %v, want %v", tt.contentType, again, want)
			}
		})
	}
}

func TestDefaultBucket(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	for _, p := range []string{"/buckets/default", "/buckets/default/collections/tasks/records"} {
		if r := k.do(anonymous, "GET", p, nil); r.status != 401 || r.errno() != 104 {
			t.Errorf("anonymous GET %s: %s, want 401/104", p, r)
		}
	}
	if br := k.batch(anonymous, map[string]any{"path": "/buckets/default/collections/tasks/records"}); br[0].status != 401 {
		t.Errorf("anonymous batch GET default bucket: %d, want 401", br[0].status)
	}
	hello := k.must(200, owner, "GET", "/", nil)
	userBlock, _ := hello.body["user"].(map[string]any)
	bid, _ := userBlock["bucket"].(string)
	if bid == "" {
		t.Fatalf("hello user block %v has no bucket", userBlock)
	}
	r := k.must(201, owner, "PUT", "/buckets/default/collections/tasks/records/t1", map[string]any{"data": map[string]any{"title": "private"}})
	if r.data()["id"] != "t1" {
		t.Errorf("PUT in default bucket: %s", r)
	}
	r = k.must(200, owner, "GET", "/buckets/default", nil)
	if r.data()["id"] != bid {
		t.Errorf("GET /buckets/default: id %v, want %s", r.data()["id"], bid)
	}
	k.must(200, owner, "GET", "/buckets/"+bid+"/collections/tasks/records/t1", nil)

	// Another user gets another bucket and cannot reach the first by id.
	r = k.must(200, member, "GET", "/buckets/default", nil)
	if r.data()["id"] == bid {
		t.Errorf("member's default bucket is the owner's %s", bid)
	}
	for _, p := range []string{"/buckets/" + bid, "/buckets/" + bid + "/collections/tasks", "/buckets/" + bid + "/collections/tasks/records", "/buckets/" + bid + "/collections/tasks/records/t1"} {
		if r := k.do(member, "GET", p, nil); r.status != 403 {
			t.Errorf("member GET %s: %s, want 403", p, r)
		}
		if r := k.do(anonymous, "GET", p, nil); r.status != 401 {
			t.Errorf("anonymous GET %s: %s, want 401", p, r)
		}
	}
	if r := k.must(200, member, "GET", "/buckets/default/collections/tasks/records", nil); len(r.ids()) != 0 {
		t.Errorf("member's own tasks: %v, want none", r.ids())
	}
	if r := k.must(200, member, "GET", "/permissions", nil); slices.ContainsFunc(uris(r), func(u string) bool { return u == "/buckets/"+bid }) {
		t.Errorf("member's /permissions lists the owner's default bucket: %v", uris(r))
	}
	// Inside a batch the alias works the same.
	br := k.batch(owner, map[string]any{"path": "/buckets/default/collections/tasks/records"})
	if got := (response{body: br[0].body}).ids(); br[0].status != 200 || !slices.Equal(got, []string{"t1"}) {
		t.Errorf("batch GET default records: %d %v, want 200 [t1]", br[0].status, got)
	}
}

// TestSettingsGrants: *_principals settings grant without ACEs, and
// bucket_create_principals decides GET /buckets for callers who see
// nothing (PROTOCOL-kinto §2.3, §2.6).
func TestSettingsGrants(t *testing.T) {
	s, src := testSettings(t, map[string]string{"bucket_create_principals": "account:nobody", "record_read_principals": "system.Authenticated"})
	k := newKintoServer(t, s, src)
	k.must(403, owner, "PUT", "/buckets/b", map[string]any{})
	k.must(403, stranger, "GET", "/buckets", nil)
	k.must(401, anonymous, "GET", "/buckets", nil)

	s, src = testSettings(t, map[string]string{"record_read_principals": "system.Authenticated"})
	k = newKintoServer(t, s, src)
	seedWorld(k)
	k.must(200, stranger, "GET", "/buckets/b/collections/priv/records/r1", nil)
	k.must(403, stranger, "PATCH", "/buckets/b/collections/priv/records/r1", map[string]any{"data": map[string]any{}})
	k.must(401, anonymous, "GET", "/buckets/b/collections/priv/records/r1", nil)
	k.must(403, stranger, "GET", "/buckets/b/collections/priv", nil)
}

// TestEveryoneAndAuthenticatedACEs: objects shared with system.Everyone are
// open to anonymous callers (who then write as system.Everyone); those
// shared with system.Authenticated to every user but not anonymous ones.
func TestEveryoneAndAuthenticatedACEs(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	k.must(201, owner, "PUT", "/buckets/b/collections/wiki", map[string]any{"permissions": map[string]any{"write": []string{"system.Everyone"}}})
	r := k.must(201, anonymous, "PUT", "/buckets/b/collections/wiki/records/page", map[string]any{"data": map[string]any{"t": 1}})
	if want := map[string][]string{"write": {"system.Everyone"}}; !reflect.DeepEqual(r.perms(), want) {
		t.Errorf("anonymous PUT: permissions %v, want %v", r.perms(), want)
	}
	k.must(200, stranger, "PATCH", "/buckets/b/collections/wiki/records/page", map[string]any{"data": map[string]any{"t": 2}})
	k.must(201, anonymous, "POST", "/buckets/b/collections/wiki/records", map[string]any{})
	if r := k.must(200, anonymous, "HEAD", "/buckets/b/collections/wiki/records", nil); r.header.Get("Total-Records") != "2" {
		t.Errorf("anonymous HEAD wiki records: Total-Records %q, want 2", r.header.Get("Total-Records"))
	}
	k.must(401, anonymous, "GET", "/buckets/b/collections/priv/records", nil)

	k.must(201, owner, "PUT", "/buckets/b/collections/members", map[string]any{"permissions": map[string]any{"read": []string{"system.Authenticated"}}})
	k.must(201, owner, "PUT", "/buckets/b/collections/members/records/m", map[string]any{})
	k.must(401, anonymous, "GET", "/buckets/b/collections/members/records/m", nil)
	k.must(200, stranger, "GET", "/buckets/b/collections/members/records/m", nil)
	k.must(403, stranger, "DELETE", "/buckets/b/collections/members/records/m", nil)
	if r := k.must(200, anonymous, "GET", "/buckets/b/collections", nil); slices.Contains(r.ids(), "members") || !slices.Contains(r.ids(), "wiki") {
		t.Errorf("anonymous GET collections: %v, want wiki and not members", r.ids())
	}
	if r := k.must(200, stranger, "GET", "/buckets/b/collections", nil); !slices.Contains(r.ids(), "members") {
		t.Errorf("stranger GET collections: %v, want members listed", r.ids())
	}
}

// TestSafeCreationNeedsCreateRight: PUT with If-None-Match: * on an
// existing object asks for the create right first, then answers 412.
func TestSafeCreationNeedsCreateRight(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	p := "/buckets/b/collections/priv/records/r1"
	k.must(200, owner, "PATCH", p, map[string]any{"permissions": map[string]any{"write": []string{k.userID(stranger)}}})
	k.must(403, stranger, "PUT", p, map[string]any{}, "If-None-Match", "*")
	k.must(200, stranger, "PUT", p, map[string]any{})
	r := k.must(412, member, "PUT", "/buckets/b/collections/w/records/r1", map[string]any{}, "If-None-Match", "*")
	if r.errno() != 114 {
		t.Errorf("safe creation over an existing record: %s, want errno 114", r)
	}
	k.must(401, anonymous, "PUT", "/buckets/b/collections/w/records/r1", map[string]any{}, "If-None-Match", "*")
}

func TestJSONPatchPermissionPaths(t *testing.T) {
	s, src := testSettings(t, nil)
	k := newKintoServer(t, s, src)
	seedWorld(k)
	p := "/buckets/b/collections/priv/records/r1"
	for _, ops := range []string{
		`[{"op":"add","path":"/permissions/read","value":["account:x"]}]`,
		`[{"op":"add","path":"/permissions","value":{"read":["account:x"]}}]`,
		`[{"op":"add","path":"/permissions/read/"}]`,
		`[{"op":"remove","path":"/permissions/"}]`,
	} {
		r := k.do(owner, "PATCH", p, ops, "Content-Type", "application/json-patch+json")
		if r.status != 400 || r.errno() != 107 {
			t.Errorf("JSON-Patch %s = %s, want 400/107", ops, r)
		}
	}
	if r := k.must(200, owner, "GET", p, nil); len(r.perms()["read"]) != 0 {
		t.Errorf("read ACL after refused JSON-Patch: %v, want empty", r.perms())
	}
	// A stranger cannot grant itself anything through JSON-Patch.
	ops := []any{map[string]any{"op": "add", "path": "/permissions/read/" + k.userID(stranger)}}
	k.must(403, stranger, "PATCH", p, ops, "Content-Type", "application/json-patch+json")
	k.must(403, stranger, "GET", p, nil)
}
