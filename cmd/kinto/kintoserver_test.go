package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// The authorization and hostile-input tests drive the service exactly as
// serve builds it (settings loaded from an INI file, memory backends,
// newServer), through its http.Handler, without a
// network.

// testSecret keys the basicauth user ids of the tests.
const testSecret = "authz-test-secret"

// kintoServer is one service instance under test.
type kintoServer struct {
	t   *testing.T
	h   http.Handler
	ids map[string]string // user name → prefixed user id
}

// testSettings loads the service settings from an INI file holding the
// given [app:main] keys, after basicauth with a fixed secret and the
// permissions endpoint on; extra keys override those.
func testSettings(t *testing.T, extra map[string]string) (*settings, *config.Source) {
	t.Helper()
	runnertest.CleanEnv(t, command())
	keys := map[string]string{
		"multiauth.policies":                "basicauth",
		"userid_hmac_secret":                testSecret,
		"experimental_permissions_endpoint": "true",
		"default_bucket_hmac_secret":        "bucket-salt",
	}
	for k, v := range extra {
		keys[k] = v
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var ini strings.Builder
	ini.WriteString("[app:main]\n")
	for _, k := range names {
		fmt.Fprintf(&ini, "kinto.%s = %s\n", k, keys[k])
	}
	path := filepath.Join(t.TempDir(), "kinto.ini")
	if err := os.WriteFile(path, []byte(ini.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s, src, err := command().Load(path)
	if err != nil {
		t.Fatalf("load settings %v: %v", keys, err)
	}
	return s, src
}

// newKintoServer builds a fresh service (empty memory backends) from s.
func newKintoServer(t *testing.T, s *settings, src *config.Source) *kintoServer {
	t.Helper()
	h, _ := newHandler(t, s, src)
	return &kintoServer{t: t, h: h, ids: map[string]string{}}
}

// newHandler builds the service from s on fresh backends, as serve does,
// with its logs discarded.
func newHandler(tb testing.TB, s *settings, src *config.Source) (http.Handler, *wire.Backends) {
	tb.Helper()
	b, err := wire.OpenBackends(context.Background(), &s.Core, domain.SystemClock{}, backendOptions)
	if err != nil {
		tb.Fatalf("OpenBackends: %v", err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	srv, err := newServer(s, src, b, nil, log)
	if err != nil {
		tb.Fatalf("newServer: %v", err)
	}
	return srv.Handler(), b
}

// user is a caller of the tests; an empty password means anonymous.
type user struct {
	name, password string
}

// The callers of the authorization matrix: nobody, an authenticated user
// with no rights, a group member and the owner who created everything.
var (
	anonymous = user{name: "anonymous"}
	stranger  = user{name: "carol", password: "pw"}
	member    = user{name: "bob", password: "pw"}
	owner     = user{name: "alice", password: "pw"}
)

// authorization is the user's Authorization header, "" when anonymous.
func (u user) authorization() string {
	if u.password == "" {
		return ""
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(u.name+":"+u.password))
}

// response is one answer of the service.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any // nil when the body is not a JSON object
}

// errno returns the body's errno, or 0.
func (r response) errno() int {
	n, _ := r.body["errno"].(float64)
	return int(n)
}

// data returns the body's data object.
func (r response) data() map[string]any {
	m, _ := r.body["data"].(map[string]any)
	return m
}

// ids returns the ids of a list body's data, sorted.
func (r response) ids() []string {
	list, _ := r.body["data"].([]any)
	out := []string{}
	for _, item := range list {
		m, _ := item.(map[string]any)
		id, _ := m["id"].(string)
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// perms returns the body's permissions, each list sorted.
func (r response) perms() map[string][]string {
	m, ok := r.body["permissions"].(map[string]any)
	if !ok {
		return nil
	}
	out := map[string][]string{}
	for k, v := range m {
		list, _ := v.([]any)
		ps := []string{}
		for _, p := range list {
			s, _ := p.(string)
			ps = append(ps, s)
		}
		sort.Strings(ps)
		out[k] = ps
	}
	return out
}

func (r response) String() string {
	return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.raw))
}

// do sends one request as u. path omits the /v1 prefix; body is encoded as
// JSON unless it is a string or []byte (sent as is) or nil; headers come in
// name, value pairs.
func (k *kintoServer) do(u user, method, path string, body any, headers ...string) response {
	k.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			k.t.Fatalf("encode body %v: %v", body, err)
		}
		rd = bytes.NewReader(enc)
	}
	req := httptest.NewRequest(method, "http://kinto.test/v1"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a := u.authorization(); a != "" {
		req.Header.Set("Authorization", a)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	k.h.ServeHTTP(rec, req)
	out := response{status: rec.Code, header: rec.Header(), raw: rec.Body.Bytes()}
	_ = json.Unmarshal(out.raw, &out.body)
	return out
}

// must sends a request as u and fails the test unless it answers want.
func (k *kintoServer) must(want int, u user, method, path string, body any, headers ...string) response {
	k.t.Helper()
	r := k.do(u, method, path, body, headers...)
	if r.status != want {
		k.t.Fatalf("%s %s as %s = %s, want %d", method, path, u.name, r, want)
	}
	return r
}

// userID returns u's prefixed user id, as the hello view tells it.
func (k *kintoServer) userID(u user) string {
	k.t.Helper()
	if id, ok := k.ids[u.name]; ok {
		return id
	}
	r := k.must(http.StatusOK, u, http.MethodGet, "/", nil)
	user, _ := r.body["user"].(map[string]any)
	id, _ := user["id"].(string)
	if id == "" {
		k.t.Fatalf("GET / as %s: no user.id in %s", u.name, r)
	}
	k.ids[u.name] = id
	return id
}

// principals returns the hello view's user.principals of u.
func (k *kintoServer) principals(u user) []string {
	k.t.Helper()
	r := k.must(http.StatusOK, u, http.MethodGet, "/", nil)
	user, _ := r.body["user"].(map[string]any)
	list, _ := user["principals"].([]any)
	out := []string{}
	for _, p := range list {
		s, _ := p.(string)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// batchResponse is one subresponse of /batch.
type batchResponse struct {
	status int
	path   string
	body   map[string]any
	raw    any
}

// batch sends requests (each a map with method, path, headers, body) in one
// /batch call as u and returns the subresponses.
func (k *kintoServer) batch(u user, requests ...map[string]any) []batchResponse {
	k.t.Helper()
	r := k.must(http.StatusOK, u, http.MethodPost, "/batch", map[string]any{"requests": requests})
	list, _ := r.body["responses"].([]any)
	if len(list) != len(requests) {
		k.t.Fatalf("batch of %d requests: %d responses: %s", len(requests), len(list), r)
	}
	out := make([]batchResponse, len(list))
	for i, item := range list {
		m, _ := item.(map[string]any)
		st, _ := m["status"].(float64)
		p, _ := m["path"].(string)
		b, _ := m["body"].(map[string]any)
		out[i] = batchResponse{status: int(st), path: p, body: b, raw: m["body"]}
	}
	return out
}

// jsonUnmarshal decodes a JSON text written in a test.
func jsonUnmarshal(text string, v any) error {
	return json.Unmarshal([]byte(text), v)
}
