package http_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// meEnv serves /users/{id}, answering who is asked for and who asks, and
// an alias middleware that turns /users/me into the caller's own path, as
// a service would add a shortcut of its own: it needs the caller before
// routing, and rewrites paths and bodies.
type meEnv struct {
	*env
	auth *fakeAuth
	// seen are the paths the middleware was handed.
	seen []string
}

func newMeEnv(t *testing.T, opts ...func(*setup)) *meEnv {
	t.Helper()
	me := &meEnv{auth: tokenAuth("token")}
	me.env = newEnv(t, append([]func(*setup){withAuth(me.auth)}, opts...)...)
	srv := me.srv
	user := func(w http.ResponseWriter, r *http.Request) {
		body := map[string]any{
			"id":         httpadapter.PathVar(r, "id"),
			"caller":     httpadapter.UserID(r.Context()),
			"principals": httpadapter.Principals(r.Context()),
		}
		if r.Method == http.MethodPut {
			raw, err := srv.ReadBody(r)
			if err != nil {
				srv.WriteError(w, r, err)
				return
			}
			obj, err := httpadapter.ParseObject(raw)
			if err != nil {
				srv.WriteError(w, r, err)
				return
			}
			body["body"] = obj
		}
		srv.WriteJSON(w, r, http.StatusOK, body)
	}
	srv.Route("user", "/users/{id}", handlers("GET", user, "PUT", user))
	srv.MountBatch()
	srv.Use(me.alias)
	return me
}

// alias rewrites /users/me[/…] to /users/<caller's id>[/…], and a
// data.id of "me" in the body of a PUT to the caller's id.
func (me *meEnv) alias(next http.Handler) http.Handler {
	srv := me.srv
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		me.seen = append(me.seen, r.URL.Path)
		rest := strings.TrimPrefix(r.URL.Path, srv.Prefix())
		below, ok := strings.CutPrefix(rest, "/users/me")
		if !ok || (below != "" && !strings.HasPrefix(below, "/")) {
			next.ServeHTTP(w, r)
			return
		}
		ident, err := srv.Authenticate(r)
		if err != nil {
			srv.WriteError(w, r, err)
			return
		}
		r = ident
		uid := httpadapter.UserID(r.Context())
		if uid == "" {
			srv.WriteError(w, r, &domain.Error{Kind: domain.Unauthenticated, Op: "test.alias"})
			return
		}
		_, id, _ := strings.Cut(uid, ":")
		r = r.Clone(r.Context())
		r.URL.Path = srv.Prefix() + "/users/" + id + below
		r.RequestURI = r.URL.RequestURI()
		if r.Method == http.MethodPut {
			raw, err := srv.ReadBody(r)
			if err != nil {
				srv.WriteError(w, r, err)
				return
			}
			renamed := strings.Replace(string(raw), `"id":"me"`, fmt.Sprintf("%q:%q", "id", id), 1)
			httpadapter.PutBackBody(r, []byte(renamed))
		}
		next.ServeHTTP(w, r)
	})
}

func TestUseRewritesBeforeRouting(t *testing.T) {
	me := newMeEnv(t)
	rec := me.do("GET", "/v1/users/me", "", "Authorization", "Token alice")
	if rec.Code != 200 {
		t.Fatalf("GET /users/me: %d %s", rec.Code, rec.Body)
	}
	b := decode(t, rec)
	if b["id"] != "alice" || b["caller"] != "token:alice" {
		t.Errorf("GET /users/me: %v, want id alice, caller token:alice", b)
	}
	// The route reuses the identity the middleware asked for.
	if me.auth.calls != 1 {
		t.Errorf("policy asked %d times for one request, want 1", me.auth.calls)
	}

	// Other paths go through untouched.
	if b := decode(t, me.do("GET", "/v1/users/bob", "", "Authorization", "Token alice")); b["id"] != "bob" {
		t.Errorf("GET /users/bob: %v", b)
	}
	// The middleware's own answers.
	rec = me.do("GET", "/v1/users/me", "")
	wantError(t, rec, 401, 104, "Unauthorized", "Please authenticate yourself to use this endpoint.")
}

func TestUseSitsAfterRedirectsAndBefore404(t *testing.T) {
	me := newMeEnv(t)
	alice := []string{"Authorization", "Token alice"}

	// The version-prefix redirect comes first: the middleware sees the
	// redirected request, not this one.
	rec := me.do("GET", "/users/me", "", alice...)
	if rec.Code != 307 || rec.Header().Get("Location") != "http://example.com/v1/users/me" {
		t.Errorf("GET /users/me: %d, Location %q; want 307 to /v1/users/me", rec.Code, rec.Header().Get("Location"))
	}
	if len(me.seen) != 0 {
		t.Errorf("middleware saw %v before the redirect was followed", me.seen)
	}
	// Unknown routes and trailing slashes are judged on the rewritten
	// path.
	rec = me.do("GET", "/v1/users/me/", "", alice...)
	if rec.Code != 307 || rec.Header().Get("Location") != "http://example.com/v1/users/alice" {
		t.Errorf("GET /users/me/: %d, Location %q; want 307 to /v1/users/alice", rec.Code, rec.Header().Get("Location"))
	}
	wantError(t, me.do("GET", "/v1/users/me/friends", "", alice...), 404, 111, "Not Found", "The resource you are looking for could not be found.")
	// Paths outside the prefix never reach it.
	me.seen = nil
	wantError(t, me.do("GET", "/v2/users/me", "", alice...), 404, 116, "Not Found", "The requested API version is not available on this server.")
	if len(me.seen) != 0 {
		t.Errorf("middleware saw %v", me.seen)
	}
}

func TestUseRewritesBatchSubrequests(t *testing.T) {
	me := newMeEnv(t)
	body := `{"requests":[
		{"path":"/users/me"},
		{"path":"/users/me","headers":{"Authorization":"Token bob"}},
		{"method":"PUT","path":"/users/me","body":{"data":{"id":"me"}}}]}`
	rec, b := me.json(t, "POST", "/v1/batch", body, "Authorization", "Token alice")
	if rec.Code != 200 {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	responses := b["responses"].([]any)
	var ids []any
	for _, resp := range responses {
		sub := resp.(map[string]any)
		if sub["status"] != float64(200) {
			t.Fatalf("subrequest %v", sub)
		}
		ids = append(ids, sub["body"].(map[string]any)["id"])
	}
	// Each subrequest is identified on its own headers.
	if !slices.Equal(ids, []any{"alice", "bob", "alice"}) {
		t.Errorf("subrequest ids %v, want alice, bob, alice", ids)
	}
	put := responses[2].(map[string]any)["body"].(map[string]any)
	data := put["body"].(map[string]any)["data"].(map[string]any)
	if data["id"] != "alice" {
		t.Errorf("PUT body seen by the route: %v, want data.id alice", put["body"])
	}
}

func TestUseBodyWithinLimits(t *testing.T) {
	me := newMeEnv(t, withConfig(func(c *httpadapter.Config) { c.MaxBodyBytes = 32 }))
	rec, b := me.json(t, "PUT", "/v1/users/me", `{"data":{"id":"me"}}`, "Authorization", "Token alice")
	if rec.Code != 200 {
		t.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	if data := b["body"].(map[string]any)["data"].(map[string]any); data["id"] != "alice" {
		t.Errorf("PUT body seen by the route: %v, want data.id alice", b["body"])
	}
	rec = me.do("PUT", "/v1/users/me", `{"data":{"id":"me","padding":"0123456789abcdef"}}`, "Authorization", "Token alice", "Content-Type", "application/json")
	wantError(t, rec, 413, 113, "Request Entity Too Large", "Request body is larger than 32 bytes.")
}

func TestUseOrder(t *testing.T) {
	e := newEnv(t)
	var order []string
	tag := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	e.srv.Use(tag("first"))
	e.srv.Use(tag("second"))
	if rec := e.do("GET", "/v1/__lbheartbeat__", ""); rec.Code != 200 {
		t.Fatalf("lbheartbeat: %d", rec.Code)
	}
	if !slices.Equal(order, []string{"first", "second"}) {
		t.Errorf("middleware order %v, want first, second", order)
	}
}

func TestAuthenticateFailure(t *testing.T) {
	down := &fakeAuth{name: "token", fn: func(string) (string, bool, error) { return "", false, errors.New("down") }}
	e := newEnv(t, withAuth(down))
	e.srv.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ident, err := e.srv.Authenticate(r)
			if err != nil {
				e.srv.WriteError(w, r, err)
				return
			}
			next.ServeHTTP(w, ident)
		})
	})
	rec := e.do("GET", "/v1/", "", "Authorization", "Token alice")
	wantError(t, rec, 503, 201, "Service Unavailable", "Service temporary unavailable due to overloading or maintenance, please retry later.")
}

func TestAddPrincipals(t *testing.T) {
	var asked []string
	e := newEnv(t, withAuth(tokenAuth("token")))
	e.srv.AddPrincipals(func(_ context.Context, userID string) ([]string, error) {
		asked = append(asked, userID)
		return []string{"role:editor"}, nil
	})
	e.srv.AddPrincipals(func(context.Context, string) ([]string, error) { return []string{"team:blue"}, nil })
	var seen []string
	e.srv.Route("whoami", "/whoami", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		seen = httpadapter.Principals(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))

	e.do("GET", "/v1/whoami", "", "Authorization", "Token alice")
	want := []string{"token:alice", "system.Everyone", "system.Authenticated", "role:editor", "team:blue"}
	if !slices.Equal(seen, want) {
		t.Errorf("principals %v, want %v", seen, want)
	}
	b := decode(t, e.do("GET", "/v1/", "", "Authorization", "Token alice"))
	user := b["user"].(map[string]any)
	if fmt.Sprint(user["principals"]) != fmt.Sprint(want) {
		t.Errorf("hello principals %v, want %v", user["principals"], want)
	}
	// Anonymous callers have only system.Everyone; the sources are not
	// asked.
	asked = nil
	e.do("GET", "/v1/whoami", "")
	if !slices.Equal(seen, []string{"system.Everyone"}) || len(asked) != 0 {
		t.Errorf("anonymous: principals %v, sources asked for %v", seen, asked)
	}
}

func TestAddPrincipalsFailure(t *testing.T) {
	e := newEnv(t, withAuth(tokenAuth("token")))
	e.srv.AddPrincipals(func(context.Context, string) ([]string, error) { return nil, errors.New("groups backend down") })
	rec := e.do("GET", "/v1/", "", "Authorization", "Token alice")
	wantError(t, rec, 503, 201, "Service Unavailable", "Service temporary unavailable due to overloading or maintenance, please retry later.")
	if rec.Header().Get("Retry-After") != "3" {
		t.Errorf("Retry-After %q, want 3", rec.Header().Get("Retry-After"))
	}
	// Without credentials the source is never needed.
	if rec := e.do("GET", "/v1/", ""); rec.Code != 200 {
		t.Errorf("anonymous hello: %d", rec.Code)
	}
}

func TestAddHelloUser(t *testing.T) {
	e := newEnv(t, withAuth(tokenAuth("token")))
	e.srv.AddHelloUser(func(user map[string]any, userID string) { user["home"] = "/users/" + userID })
	e.srv.AddHelloUser(func(user map[string]any, _ string) { user["plan"] = "free" })
	b := decode(t, e.do("GET", "/v1/", "", "Authorization", "Token alice"))
	user := b["user"].(map[string]any)
	if user["id"] != "token:alice" || user["home"] != "/users/token:alice" || user["plan"] != "free" {
		t.Errorf("hello user %v", user)
	}
	if b := decode(t, e.do("GET", "/v1/", "")); b["user"] != nil {
		t.Errorf("anonymous hello has a user block: %v", b["user"])
	}
}

func TestReadOnlyAndNow(t *testing.T) {
	e := newEnv(t)
	if e.srv.ReadOnly() {
		t.Error("ReadOnly on a writable service")
	}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	httpadapter.SetNow(e.srv, func() time.Time { return at })
	if !e.srv.Now().Equal(at) {
		t.Errorf("Now %v, want the server's clock %v", e.srv.Now(), at)
	}
	ro := newEnv(t, withConfig(func(c *httpadapter.Config) { c.ReadOnly = true }))
	if !ro.srv.ReadOnly() {
		t.Error("ReadOnly off on a read-only service")
	}
}
