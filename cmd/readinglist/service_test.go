package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// addedOn is the fake clock's time, so that added_on is predictable.
const addedOn = 1700000000123

type fixedClock int64

func (c fixedClock) NowMillis() int64 { return int64(c) }

// service is the readinglist handler built by newServer on memory storage,
// with the default settings.
type service struct {
	h http.Handler
}

// newService wires the service as serve does, over store (nil: a fresh
// memory storage).
func newService(t *testing.T, store ports.Storage) *service {
	t.Helper()
	runnertest.CleanEnv(t, command())
	s, src, err := command().Load("")
	if err != nil {
		t.Fatalf("Load defaults: %v", err)
	}
	var units ports.UnitOfWork = ports.Unitless{S: store}
	if store == nil {
		st := memory.NewStore(domain.SystemClock{})
		store, units = st.Storage(), st
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	policies, err := wire.Policies(&s.Core, src, nil, log)
	if err != nil {
		t.Fatalf("policies: %v", err)
	}
	srv := newServer(wire.HTTPConfig(&s.Core, "test"), log, store, units, fixedClock(addedOn), policies.Authenticators)
	return &service{h: srv.Handler()}
}

// response is a decoded answer.
type response struct {
	code   int
	header http.Header
	body   map[string]any
}

// basic returns the Authorization header of user (password "secret").
func basic(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":secret"))
}

// do sends a request as user ("" for anonymous); body is JSON-encoded
// unless it is a string; headers alternate name, value.
func (s *service) do(t *testing.T, method, target, user string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = strings.NewReader(string(raw))
	}
	r := httptest.NewRequest(method, target, rd)
	if rd != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		r.Header.Set("Authorization", basic(user))
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, r)
	out := response{code: rec.Code, header: rec.Header()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out.body); err != nil {
			t.Fatalf("%s %s: body %q is not a JSON object: %v", method, target, rec.Body.String(), err)
		}
	}
	return out
}

// create posts an article as user and returns its data.
func (s *service) create(t *testing.T, user string, data map[string]any, headers ...string) map[string]any {
	t.Helper()
	res := s.do(t, http.MethodPost, "/v1/articles", user, map[string]any{"data": data}, headers...)
	if res.code != http.StatusCreated {
		t.Fatalf("POST /v1/articles %v: status %d, want 201 (%v)", data, res.code, res.body)
	}
	return res.body["data"].(map[string]any)
}

// article is valid data for a new article.
func article(n int) map[string]any {
	return map[string]any{"url": fmt.Sprintf("https://example.com/%d", n), "title": fmt.Sprintf("Article %d", n)}
}

// wantError checks the protocol's error envelope and returns it.
func wantError(t *testing.T, what string, res response, code, errno int) map[string]any {
	t.Helper()
	if res.code != code || res.body["code"] != float64(code) || res.body["errno"] != float64(errno) {
		t.Fatalf("%s: %d %v, want %d errno %d", what, res.code, res.body, code, errno)
	}
	return res.body
}

func TestCreateFillsServerFields(t *testing.T) {
	svc := newService(t, nil)
	in := article(1)
	in["device"] = "forged"   // replaced by the User-Agent
	in["added_on"] = 42       // replaced by the clock
	in["added_by"] = "Alice"  // kept
	in["read_position"] = 120 // kept
	got := svc.create(t, "alice", in, "User-Agent", "Firefox/120.0")

	want := map[string]any{
		"url": "https://example.com/1", "title": "Article 1", "added_by": "Alice",
		"device": "Firefox/120.0", "added_on": float64(addedOn),
		"unread": true, "archived": false, "favorite": false, "read_position": float64(120),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("created %s = %v (%T), want %v", k, got[k], got[k], v)
		}
	}
	id, _ := got["id"].(string)
	if len(id) != 36 || got["last_modified"] == nil {
		t.Errorf("created id %q last_modified %v, want a UUID and a timestamp", id, got["last_modified"])
	}

	// Without a User-Agent there is no device to record.
	noUA := svc.create(t, "alice", article(2), "User-Agent", "")
	if d, ok := noUA["device"]; ok {
		t.Errorf("created without User-Agent: device = %v, want absent", d)
	}

	// A PUT that creates is a creation too.
	put := svc.do(t, http.MethodPut, "/v1/articles/0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111", "alice",
		map[string]any{"data": article(3)}, "User-Agent", "Phone")
	if put.code != http.StatusCreated {
		t.Fatalf("PUT new id: %d %v, want 201", put.code, put.body)
	}
	if d := put.body["data"].(map[string]any); d["device"] != "Phone" || d["added_on"] != float64(addedOn) {
		t.Errorf("PUT new id: device %v added_on %v, want Phone and %d", d["device"], d["added_on"], addedOn)
	}
}

func TestLongUserAgentIsTruncated(t *testing.T) {
	svc := newService(t, nil)
	ua := strings.Repeat("é", 200) // 400 bytes
	got := svc.create(t, "alice", article(1), "User-Agent", ua)
	d, _ := got["device"].(string)
	if len(d) > maxDeviceBytes || !strings.HasPrefix(ua, d) || len(d) < maxDeviceBytes-1 {
		t.Errorf("device has %d bytes (%q…), want a prefix of the User-Agent of at most %d bytes on a rune boundary", len(d), d[:10], maxDeviceBytes)
	}
}

func TestCreateSchemaErrors(t *testing.T) {
	svc := newService(t, nil)
	tests := []struct {
		name   string
		data   map[string]any
		field  string
		substr string
	}{
		{"missing url", map[string]any{"title": "t"}, "url", "'url' is a required property"},
		{"missing title", map[string]any{"url": "https://a.example"}, "title", "'title' is a required property"},
		{"title not a string", map[string]any{"url": "https://a.example", "title": 12}, "title", "is not of type 'string'"},
		{"empty title", map[string]any{"url": "https://a.example", "title": ""}, "title", ""},
		{"url not a URL", map[string]any{"url": "not a url", "title": "t"}, "url", ""},
		{"negative read_position", map[string]any{"url": "https://a.example", "title": "t", "read_position": -1}, "read_position", ""},
		{"fractional read_position", map[string]any{"url": "https://a.example", "title": "t", "read_position": 1.5}, "read_position", "is not of type 'integer'"},
		{"unread not a boolean", map[string]any{"url": "https://a.example", "title": "t", "unread": "yes"}, "unread", "is not of type 'boolean'"},
		{"unknown field", map[string]any{"url": "https://a.example", "title": "t", "unred": false}, "unred", "Additional properties are not allowed ('unred' was unexpected)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := svc.do(t, http.MethodPost, "/v1/articles", "alice", map[string]any{"data": tt.data})
			body := wantError(t, "POST", res, http.StatusBadRequest, 107)
			details, _ := body["details"].([]any)
			if len(details) != 1 {
				t.Fatalf("details = %v, want one issue", body["details"])
			}
			d := details[0].(map[string]any)
			desc, _ := d["description"].(string)
			if d["location"] != "body" || d["name"] != tt.field || !strings.Contains(desc, tt.substr) {
				t.Errorf("detail = %v, want location body, name %s, description containing %q", d, tt.field, tt.substr)
			}
			if msg, _ := body["message"].(string); !strings.Contains(msg, tt.field) {
				t.Errorf("message %q does not name %s", msg, tt.field)
			}
		})
	}
	// Nothing was stored by the refused writes.
	if list := svc.do(t, http.MethodGet, "/v1/articles", "alice", nil); len(list.body["data"].([]any)) != 0 {
		t.Errorf("after refused writes: list %v, want empty", list.body["data"])
	}
}

func TestReadonlyFields(t *testing.T) {
	svc := newService(t, nil)
	a := svc.create(t, "alice", article(1), "User-Agent", "Laptop")
	path := "/v1/articles/" + a["id"].(string)

	for _, tt := range []struct {
		field string
		value any
	}{
		{"device", "Phone"},
		{"added_on", 1},
	} {
		res := svc.do(t, http.MethodPatch, path, "alice", map[string]any{"data": map[string]any{tt.field: tt.value}})
		body := wantError(t, "PATCH "+tt.field, res, http.StatusBadRequest, 107)
		if want := "Cannot modify " + tt.field; body["message"] != want {
			t.Errorf("PATCH %s: message %q, want %q", tt.field, body["message"], want)
		}
		want := []any{map[string]any{"location": "body", "name": tt.field, "description": "Cannot modify " + tt.field}}
		if !reflect.DeepEqual(body["details"], want) {
			t.Errorf("PATCH %s: details %v, want %v", tt.field, body["details"], want)
		}
	}

	// Echoing the current values is no change.
	res := svc.do(t, http.MethodPatch, path, "alice", map[string]any{"data": map[string]any{
		"device": "Laptop", "added_on": addedOn, "unread": false}}, "User-Agent", "Phone")
	if res.code != http.StatusOK {
		t.Fatalf("PATCH echoing readonly fields: %d %v, want 200", res.code, res.body)
	}
	d := res.body["data"].(map[string]any)
	if d["device"] != "Laptop" || d["added_on"] != float64(addedOn) || d["unread"] != false {
		t.Errorf("after PATCH from another device: %v, want device Laptop, added_on kept, unread false", d)
	}

	// A replacement that omits them keeps them, whoever sends it.
	res = svc.do(t, http.MethodPut, path, "alice", map[string]any{"data": map[string]any{
		"url": "https://example.com/1", "title": "Renamed"}}, "User-Agent", "Phone")
	if res.code != http.StatusOK {
		t.Fatalf("PUT without readonly fields: %d %v, want 200", res.code, res.body)
	}
	d = res.body["data"].(map[string]any)
	if d["device"] != "Laptop" || d["added_on"] != float64(addedOn) || d["title"] != "Renamed" || d["unread"] != true {
		t.Errorf("after PUT: %v, want device Laptop, added_on kept, title Renamed, unread back to its default", d)
	}

	res = svc.do(t, http.MethodPut, path, "alice", map[string]any{"data": map[string]any{
		"url": "https://example.com/1", "title": "t", "device": "Phone"}})
	wantError(t, "PUT changing device", res, http.StatusBadRequest, 107)
}

func TestURLUniquePerUser(t *testing.T) {
	svc := newService(t, nil)
	first := svc.create(t, "alice", article(1))

	dup := article(1)
	dup["title"] = "Same URL, other title"
	res := svc.do(t, http.MethodPost, "/v1/articles", "alice", map[string]any{"data": dup})
	body := wantError(t, "POST duplicate url", res, http.StatusConflict, 122)
	details, _ := body["details"].(map[string]any)
	existing, _ := details["existing"].(map[string]any)
	if existing["id"] != first["id"] {
		t.Errorf("409 details = %v, want existing = the first article %v", body["details"], first["id"])
	}

	// Moving another article onto the URL conflicts too.
	other := svc.create(t, "alice", article(2))
	res = svc.do(t, http.MethodPatch, "/v1/articles/"+other["id"].(string), "alice",
		map[string]any{"data": map[string]any{"url": "https://example.com/1"}})
	wantError(t, "PATCH onto a taken url", res, http.StatusConflict, 122)

	// Another user's list is another scope.
	bob := svc.create(t, "bob", article(1))
	if bob["id"] == first["id"] {
		t.Errorf("bob's article has alice's id %v", bob["id"])
	}

	// Deleting frees the URL.
	if res := svc.do(t, http.MethodDelete, "/v1/articles/"+first["id"].(string), "alice", nil); res.code != http.StatusOK {
		t.Fatalf("DELETE: %d %v", res.code, res.body)
	}
	svc.create(t, "alice", article(1))
}

func TestArticlesArePrivate(t *testing.T) {
	svc := newService(t, nil)
	a := svc.create(t, "alice", article(1))
	res := svc.do(t, http.MethodGet, "/v1/articles/"+a["id"].(string), "bob", nil)
	wantError(t, "bob GET alice's article", res, http.StatusNotFound, 110)
	if list := svc.do(t, http.MethodGet, "/v1/articles", "bob", nil); len(list.body["data"].([]any)) != 0 {
		t.Errorf("bob's list = %v, want empty", list.body["data"])
	}
}

func TestAnonymousIsUnauthorized(t *testing.T) {
	svc := newService(t, nil)
	id := "0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111"
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/v1/articles", nil},
		{http.MethodPost, "/v1/articles", map[string]any{"data": article(1)}},
		{http.MethodGet, "/v1/articles/" + id, nil},
		{http.MethodGet, "/v1/articles/stats", nil},
		{http.MethodGet, "/v1/archive", nil},
		{http.MethodGet, "/v1/archive/" + id, nil},
	} {
		res := svc.do(t, tt.method, tt.path, "", tt.body)
		wantError(t, tt.method+" "+tt.path, res, http.StatusUnauthorized, 104)
		if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Basic") {
			t.Errorf("%s %s: WWW-Authenticate %q, want a Basic challenge", tt.method, tt.path, got)
		}
	}
}

func TestStats(t *testing.T) {
	svc := newService(t, nil)
	read := article(1)
	read["unread"] = false
	archived := article(2)
	archived["archived"] = true
	for _, data := range []map[string]any{read, archived, article(3)} {
		svc.create(t, "alice", data)
	}
	svc.create(t, "bob", article(1))

	for _, tt := range []struct {
		user string
		want map[string]any
	}{
		{"alice", map[string]any{"total": float64(3), "unread": float64(2), "archived": float64(1)}},
		{"bob", map[string]any{"total": float64(1), "unread": float64(1), "archived": float64(0)}},
		{"carol", map[string]any{"total": float64(0), "unread": float64(0), "archived": float64(0)}},
	} {
		res := svc.do(t, http.MethodGet, "/v1/articles/stats", tt.user, nil)
		if res.code != http.StatusOK || fmt.Sprint(res.body) != fmt.Sprint(tt.want) {
			t.Errorf("%s GET stats = %d %v, want 200 %v", tt.user, res.code, res.body, tt.want)
		}
		list := svc.do(t, http.MethodGet, "/v1/articles", tt.user, nil)
		if et := res.header.Get("ETag"); et == "" || et != list.header.Get("ETag") {
			t.Errorf("%s stats ETag %q, want the articles list's %q", tt.user, et, list.header.Get("ETag"))
		}
	}

	// The view has its own route: it answers 405 with its own Allow list
	// rather than being taken for an article id.
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		res := svc.do(t, m, "/v1/articles/stats", "alice", map[string]any{"data": article(9)})
		wantError(t, m+" stats", res, http.StatusMethodNotAllowed, 115)
		if allow := res.header.Get("Allow"); allow != "GET, OPTIONS" {
			t.Errorf("%s stats: Allow %q, want \"GET, OPTIONS\"", m, allow)
		}
	}
}

// downStorage fails its counts as a backend that went away.
type downStorage struct{ ports.Storage }

func (downStorage) Count(context.Context, domain.Parent, []domain.Filter) (int, error) {
	return 0, domain.Wrap(domain.Unavailable, "test.Count", errors.New("connection refused"))
}

func TestStatsStorageDown(t *testing.T) {
	svc := newService(t, downStorage{memory.NewStorage(domain.SystemClock{})})
	res := svc.do(t, http.MethodGet, "/v1/articles/stats", "alice", nil)
	body := wantError(t, "stats with storage down", res, http.StatusServiceUnavailable, 201)
	if strings.Contains(fmt.Sprint(body), "connection refused") {
		t.Errorf("503 body %v shows the hidden cause", body)
	}
}

func TestArchive(t *testing.T) {
	svc := newService(t, nil)
	kept := article(1)
	kept["archived"] = true
	archived := svc.create(t, "alice", kept)
	unarchived := svc.create(t, "alice", article(2))
	bobs := article(3)
	bobs["archived"] = true
	svc.create(t, "bob", bobs)

	list := svc.do(t, http.MethodGet, "/v1/archive", "alice", nil)
	data, _ := list.body["data"].([]any)
	if list.code != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["id"] != archived["id"] {
		t.Fatalf("GET /v1/archive = %d %v, want only %v", list.code, list.body, archived["id"])
	}
	head := svc.do(t, http.MethodHead, "/v1/archive", "alice", nil)
	if head.code != http.StatusOK || head.header.Get("Total-Records") != "1" {
		t.Errorf("HEAD /v1/archive: %d Total-Records %q, want 200 and 1", head.code, head.header.Get("Total-Records"))
	}
	// Querystring filters apply on top of the archive's own.
	if res := svc.do(t, http.MethodGet, "/v1/archive?title=nothing", "alice", nil); len(res.body["data"].([]any)) != 0 {
		t.Errorf("GET /v1/archive?title=nothing = %v, want empty", res.body["data"])
	}

	one := svc.do(t, http.MethodGet, "/v1/archive/"+archived["id"].(string), "alice", nil)
	if one.code != http.StatusOK || one.body["data"].(map[string]any)["url"] != "https://example.com/1" {
		t.Errorf("GET archived article: %d %v, want 200 with it", one.code, one.body)
	}
	res := svc.do(t, http.MethodGet, "/v1/archive/"+unarchived["id"].(string), "alice", nil)
	wantError(t, "GET unarchived article from the archive", res, http.StatusNotFound, 110)

	// Archiving on /v1/articles shows up in the archive, with a new ETag.
	patched := svc.do(t, http.MethodPatch, "/v1/articles/"+unarchived["id"].(string), "alice",
		map[string]any{"data": map[string]any{"archived": true}})
	if patched.code != http.StatusOK {
		t.Fatalf("PATCH archived: %d %v", patched.code, patched.body)
	}
	after := svc.do(t, http.MethodGet, "/v1/archive", "alice", nil)
	if len(after.body["data"].([]any)) != 2 || after.header.Get("ETag") == list.header.Get("ETag") {
		t.Errorf("archive after archiving: %d objects ETag %s (before %s), want 2 and a new ETag",
			len(after.body["data"].([]any)), after.header.Get("ETag"), list.header.Get("ETag"))
	}

	// Writes are refused with 405 errno 115 on both endpoints.
	objectPath := "/v1/archive/" + archived["id"].(string)
	for _, tt := range []struct{ method, path string }{
		{http.MethodPost, "/v1/archive"},
		{http.MethodDelete, "/v1/archive"},
		{http.MethodPut, objectPath},
		{http.MethodPatch, objectPath},
		{http.MethodDelete, objectPath},
	} {
		res := svc.do(t, tt.method, tt.path, "alice", map[string]any{"data": article(5)})
		wantError(t, tt.method+" "+tt.path, res, http.StatusMethodNotAllowed, 115)
		if allow := res.header.Get("Allow"); allow != "HEAD, GET, OPTIONS" {
			t.Errorf("%s %s: Allow %q, want \"HEAD, GET, OPTIONS\"", tt.method, tt.path, allow)
		}
	}
	if one := svc.do(t, http.MethodGet, objectPath, "alice", nil); one.code != http.StatusOK {
		t.Errorf("archived article after refused writes: %d, want still there", one.code)
	}
}

func TestArchiveEngineRefusesWrites(t *testing.T) {
	// The routes never let a write through; the engine refuses anyway.
	engine := app.NewEngine(memory.NewStorage(domain.SystemClock{}), nil)
	ctx := context.Background()
	req := &app.Request{Resource: archive(), Caller: app.Caller{UserID: "basicauth:alice", Principals: []string{"basicauth:alice"}}}
	body := app.Body{Data: map[string]any{"url": "https://example.com/x", "title": "x", "archived": true}}
	_, errCreate := engine.Create(ctx, req, body)
	_, errReplace := engine.Replace(ctx, req, "0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111", body)
	_, errPatch := engine.Patch(ctx, req, "0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111", app.ShallowPatch(body.Data), app.ACLChange{})
	_, errDelete := engine.Delete(ctx, req, "0a6bd3b8-3bd2-4f35-9cf4-c4f3d2e9f111", 0)
	_, errMany := engine.DeleteList(ctx, req, domain.Query{})
	for name, err := range map[string]error{"Create": errCreate, "Replace": errReplace, "Patch": errPatch, "Delete": errDelete, "DeleteList": errMany} {
		if k := domain.KindOf(err); k != domain.MethodNotAllowed {
			t.Errorf("%s: kind %v, want MethodNotAllowed", name, k)
		}
	}
}

func TestPagingThroughArticles(t *testing.T) {
	svc := newService(t, nil)
	const n = 7
	for i := range n {
		svc.create(t, "alice", article(i))
	}
	var seen []string
	next := "/v1/articles?_limit=3"
	for pages := 0; next != ""; pages++ {
		if pages > n {
			t.Fatalf("more than %d pages: paging does not end", n)
		}
		res := svc.do(t, http.MethodGet, next, "alice", nil)
		if res.code != http.StatusOK {
			t.Fatalf("GET %s: %d %v", next, res.code, res.body)
		}
		data := res.body["data"].([]any)
		if len(data) > 3 {
			t.Fatalf("GET %s: %d objects, want at most 3", next, len(data))
		}
		for _, d := range data {
			seen = append(seen, d.(map[string]any)["url"].(string))
		}
		next = ""
		if link := res.header.Get("Next-Page"); link != "" {
			u, err := url.Parse(link)
			if err != nil || !u.IsAbs() {
				t.Fatalf("Next-Page %q is not an absolute URL", link)
			}
			next = u.RequestURI()
		}
	}
	// Default sort: newest first, each article exactly once.
	if len(seen) != n {
		t.Fatalf("paged through %d articles %v, want %d", len(seen), seen, n)
	}
	for i, u := range seen {
		if want := fmt.Sprintf("https://example.com/%d", n-1-i); u != want {
			t.Errorf("article %d is %s, want %s (newest first)", i, u, want)
		}
	}
}

func TestBatchReachesEveryEndpoint(t *testing.T) {
	svc := newService(t, nil)
	res := svc.do(t, http.MethodPost, "/v1/batch", "alice", map[string]any{
		"defaults": map[string]any{"method": "POST", "path": "/articles"},
		"requests": []any{
			map[string]any{"body": map[string]any{"data": article(1)}},
			map[string]any{"body": map[string]any{"data": article(1)}},
			map[string]any{"method": "GET", "path": "/articles/stats"},
			map[string]any{"method": "POST", "path": "/archive", "body": map[string]any{"data": article(2)}},
		},
	})
	if res.code != http.StatusOK {
		t.Fatalf("POST /v1/batch: %d %v", res.code, res.body)
	}
	responses := res.body["responses"].([]any)
	wantStatus := []float64{201, 409, 200, 405}
	for i, r := range responses {
		if st := r.(map[string]any)["status"]; st != wantStatus[i] {
			t.Errorf("subrequest %d: status %v, want %v (%v)", i, st, wantStatus[i], r)
		}
	}
	// The 409 rolled back the batch so far, as in Kinto (the first create
	// answered 201 all the same); the stats after it run in a new unit.
	stats := responses[2].(map[string]any)["body"].(map[string]any)
	if stats["total"] != float64(0) {
		t.Errorf("stats in batch = %v, want total 0", stats)
	}
	list := svc.do(t, http.MethodGet, "/v1/articles", "alice", nil)
	if data, _ := list.body["data"].([]any); list.code != http.StatusOK || len(data) != 0 {
		t.Errorf("articles after the batch = %d %v, want none", list.code, list.body)
	}
}

// A 409 in a batch aborts the batch's writes so far, as Kinto's batch
// aborts its transaction; the subrequests after it still apply.
func TestBatchConflictAbortsWritesBeforeIt(t *testing.T) {
	svc := newService(t, nil)
	res := svc.do(t, http.MethodPost, "/v1/batch", "alice", map[string]any{
		"defaults": map[string]any{"method": "POST", "path": "/articles"},
		"requests": []any{
			map[string]any{"body": map[string]any{"data": article(1)}},
			map[string]any{"body": map[string]any{"data": article(2)}},
			map[string]any{"body": map[string]any{"data": article(1)}},
			map[string]any{"body": map[string]any{"data": article(3)}},
			map[string]any{"body": map[string]any{"data": article(3)}},
			map[string]any{"body": map[string]any{"data": article(4)}},
		},
	})
	if res.code != http.StatusOK {
		t.Fatalf("POST /v1/batch: %d %v", res.code, res.body)
	}
	responses := res.body["responses"].([]any)
	for i, want := range []float64{201, 201, 409, 201, 409, 201} {
		if st := responses[i].(map[string]any)["status"]; st != want {
			t.Errorf("subrequest %d: status %v, want %v", i, st, want)
		}
	}
	list := svc.do(t, http.MethodGet, "/v1/articles", "alice", nil)
	data, _ := list.body["data"].([]any)
	var urls []string
	for _, a := range data {
		urls = append(urls, a.(map[string]any)["url"].(string))
	}
	if len(urls) != 1 || urls[0] != article(4)["url"] {
		t.Errorf("articles after the batch = %v, want only %v", urls, article(4)["url"])
	}
}
