package http_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

func TestPanicRecovery(t *testing.T) {
	e := newEnv(t)
	e.srv.Route("boom", "/boom", handlers(
		"GET", func(http.ResponseWriter, *http.Request) { panic("secret invariant broken") },
		"POST", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"partial":`))
			panic("late")
		},
	))
	rec := e.do("GET", "/v1/boom", "", "Origin", "http://a.example")
	b := wantError(t, rec, 500, 999, "Internal Server Error", "A programmatic error occurred, developers have been informed.")
	if b["info"] != "https://github.com/Kinto/kinto/issues/" {
		t.Errorf("info %v", b["info"])
	}
	if strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("body shows the panic: %s", rec.Body)
	}
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("500 lost the CORS or CSP headers")
	}
	panics := e.entries("panic: secret invariant broken")
	if len(panics) != 1 {
		t.Fatalf("%d panic log lines, want 1", len(panics))
	}
	if stack, _ := panics[0].Data["stack"].(string); !strings.Contains(stack, "goroutine") {
		t.Errorf("stack %q, want a goroutine dump", stack)
	}
	sum := e.entries("request.summary")
	if len(sum) != 1 || sum[0].Data["code"] != 500 || sum[0].Data["errno"] != 999 {
		t.Errorf("summary %v, want code 500 errno 999", sum[0].Data)
	}

	// After the answer started, only the log is possible.
	rec = e.do("POST", "/v1/boom", "")
	if rec.Code != http.StatusAccepted || rec.Body.String() != `{"partial":` {
		t.Errorf("late panic: %d %q, want the partial 202", rec.Code, rec.Body)
	}
	if len(e.entries("panic: late")) != 1 {
		t.Error("late panic not logged once")
	}
}

func TestPanicAbortHandlerPropagates(t *testing.T) {
	e := newEnv(t)
	e.srv.Route("abort", "/abort", handlers("GET", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	e.do("GET", "/v1/abort", "")
	t.Error("ErrAbortHandler swallowed")
}

func TestAuthentication(t *testing.T) {
	refusing := &fakeAuth{name: "account", fn: func(string) (string, bool, error) { return "", false, nil }}
	token := tokenAuth("token")
	other := tokenAuth("other") // never reached: token accepts first
	e := newEnv(t, withAuth(refusing, token, other))
	var uid string
	var principals []string
	var header string
	e.srv.Route("who", "/who", handlers("GET", func(w http.ResponseWriter, r *http.Request) {
		uid, principals = httpadapter.UserID(r.Context()), httpadapter.Principals(r.Context())
		header = r.Header.Get("Authorization")
		w.WriteHeader(http.StatusNoContent)
	}))

	e.do("GET", "/v1/who", "", "Authorization", "Token alice")
	if uid != "token:alice" {
		t.Errorf("UserID = %q, want token:alice", uid)
	}
	if want := []string{"token:alice", "system.Everyone", "system.Authenticated"}; !reflect.DeepEqual(principals, want) {
		t.Errorf("Principals = %v, want %v", principals, want)
	}
	if refusing.calls != 1 || other.calls != 0 {
		t.Errorf("calls: refusing %d, other %d; want 1 and 0 (first ok wins, in order)", refusing.calls, other.calls)
	}
	if header != "Token alice" {
		t.Errorf("handler saw Authorization %q", header)
	}
	sum := e.entries("request.summary")
	if len(sum) != 1 || sum[0].Data["uid"] != "token:alice" || sum[0].Data["authn_type"] != "token" {
		t.Errorf("summary %v, want uid token:alice", sum)
	}

	e.do("GET", "/v1/who", "", "Authorization", "Basic bm9ib2R5")
	if uid != "" || !reflect.DeepEqual(principals, []string{"system.Everyone"}) {
		t.Errorf("refused credentials: UserID %q Principals %v, want anonymous", uid, principals)
	}
	e.do("GET", "/v1/who", "")
	if uid != "" || !reflect.DeepEqual(principals, []string{"system.Everyone"}) {
		t.Errorf("no credentials: UserID %q Principals %v, want anonymous", uid, principals)
	}

	// Outside a request: anonymous.
	if httpadapter.UserID(t.Context()) != "" || !reflect.DeepEqual(httpadapter.Principals(t.Context()), []string{"system.Everyone"}) {
		t.Error("bare context is not anonymous")
	}
}

func TestAuthenticationFailure(t *testing.T) {
	down := &fakeAuth{name: "account", fn: func(string) (string, bool, error) { return "", false, errors.New("secret db down") }}
	after := tokenAuth("token")
	e := newEnv(t, withAuth(down, after))
	called := false
	e.srv.Route("who", "/who", handlers("GET", func(w http.ResponseWriter, r *http.Request) { called = true }))
	rec := e.do("GET", "/v1/who", "", "Authorization", "Token alice")
	wantError(t, rec, 503, 201, "Service Unavailable",
		"Service temporary unavailable due to overloading or maintenance, please retry later.")
	if called || after.calls != 0 {
		t.Errorf("handler called %v, next policy %d times; want neither", called, after.calls)
	}
	if len(e.entries("backend unavailable")) != 1 {
		t.Error("policy failure not logged once")
	}
}

func TestSummaryLog(t *testing.T) {
	e := newEnv(t)
	e.do("GET", "/v1/__lbheartbeat__", "", "User-Agent", "kinto-http/1", "Accept-Language", "fr")
	e.do("GET", "/v1/nothing", "")
	sum := e.entries("request.summary")
	if len(sum) != 2 {
		t.Fatalf("%d summary lines, want 2", len(sum))
	}
	ok := sum[0].Data
	for k, want := range map[string]any{"method": "GET", "path": "/v1/__lbheartbeat__", "code": 200, "agent": "kinto-http/1", "lang": "fr"} {
		if ok[k] != want {
			t.Errorf("summary %s = %v, want %v", k, ok[k], want)
		}
	}
	if _, present := ok["t"].(int64); !present {
		t.Errorf("summary t = %#v, want milliseconds", ok["t"])
	}
	// Kinto's errno is 0 on success; uid only when authenticated.
	if ok["errno"] != 0 {
		t.Errorf("success summary errno = %#v, want 0", ok["errno"])
	}
	if v, present := ok["uid"]; present {
		t.Errorf("success summary has uid = %v", v)
	}
	if nf := sum[1].Data; nf["code"] != 404 || nf["errno"] != 111 {
		t.Errorf("404 summary code %v errno %v, want 404 111", nf["code"], nf["errno"])
	}
	if len(e.logs.AllEntries()) != 2 {
		t.Errorf("%d log lines for two plain requests, want 2", len(e.logs.AllEntries()))
	}
}
