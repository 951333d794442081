package http_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// newGuardedListEnv serves a root resource under ACLs that only alice may
// read and write (through settings), next to the per-user notes.
func newGuardedListEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, withAuth(auth.NewBasic("secret")))
	settings := map[string][]string{
		"thing_read_principals":  {"basicauth:" + aliceID(t)},
		"thing_write_principals": {"basicauth:" + aliceID(t)},
	}
	guard := app.NewGuard(memory.NewPermission(), settings, false)
	store := memory.NewStorage(domain.SystemClock{})
	e.srv.MountResource(app.NewEngine(store, guard), &app.Resource{
		Name: "thing", Plural: "things", IDs: app.NameGenerator{}, Permissions: []string{"read", "write"},
	})
	e.srv.MountResource(app.NewEngine(store, nil), notes())
	return e
}

// aliceID is the user id alice's basic credentials authenticate as.
func aliceID(t *testing.T) string {
	t.Helper()
	e := newResourceEnv(t)
	rec, body := e.json(t, "GET", "/v1/", "", "Authorization", aliceAuth)
	user, _ := body["user"].(map[string]any)
	id, _ := user["id"].(string)
	if rec.Code != http.StatusOK || len(id) <= len("basicauth:") {
		t.Fatalf("GET /v1/ as alice: %d %v, want her user id", rec.Code, body)
	}
	return id[len("basicauth:"):]
}

// Lists check the right to read (or write, for DELETE) before the
// querystring and conditional headers: outsiders get 401/403 whatever
// they send, and only an allowed caller learns that the request is bad.
func TestListAuthorizesBeforeValidating(t *testing.T) {
	e := newGuardedListEnv(t)
	bad := []struct {
		query   string
		headers []string
	}{
		{"?_limit=abc", nil},
		{"?_since=-1", nil},
		{"?_before=abc&_limit=-5", nil},
		{"?_token=garbage", nil},
		{"?gt_last_modified=abc", nil},
		{"?like_title=10", nil},
		{"", []string{"If-Match", "123"}},
		{"", []string{"If-None-Match", `W/"1"`}},
	}
	for _, method := range []string{"GET", "HEAD", "DELETE"} {
		for _, b := range bad {
			for _, who := range []struct {
				name    string
				headers []string
				status  int
				errno   int
			}{
				{"anonymous", nil, http.StatusUnauthorized, 104},
				{"bob", []string{"Authorization", bobAuth}, http.StatusForbidden, 121},
				{"alice", []string{"Authorization", aliceAuth}, http.StatusBadRequest, 107},
			} {
				for _, path := range []string{"/v1/things", "/v1/notes"} {
					status := who.status
					if path == "/v1/notes" && who.name == "bob" {
						status = http.StatusBadRequest // his own per-user list
					}
					what := fmt.Sprintf("%s %s%s %v as %s", method, path, b.query, b.headers, who.name)
					rec := e.do(method, path+b.query, "", append(append([]string{}, b.headers...), who.headers...)...)
					if rec.Code != status {
						t.Errorf("%s: status %d, want %d (%s)", what, rec.Code, status, rec.Body)
						continue
					}
					if method == "HEAD" {
						continue
					}
					body := decode(t, rec)
					wantErrno := who.errno
					if status == http.StatusBadRequest {
						wantErrno = 107
					}
					if body["errno"] != float64(wantErrno) {
						t.Errorf("%s: errno %v, want %d", what, body["errno"], wantErrno)
					}
				}
			}
		}
	}
	// Valid requests are unchanged: the outsiders still get 401/403.
	if rec := e.do("GET", "/v1/things?_limit=2", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET /v1/things anonymously: %d, want 401", rec.Code)
	}
	if rec := e.do("DELETE", "/v1/things", "", "Authorization", bobAuth); rec.Code != http.StatusForbidden {
		t.Errorf("DELETE /v1/things as bob: %d, want 403", rec.Code)
	}
	if rec := e.do("GET", "/v1/things?_limit=2", "", "Authorization", aliceAuth); rec.Code != http.StatusOK {
		t.Errorf("GET /v1/things as alice: %d, want 200 (%s)", rec.Code, rec.Body)
	}
}
