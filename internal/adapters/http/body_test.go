package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

// echoEnv mounts /echo, which answers the decoded body or the error.
func echoEnv(t *testing.T, maxBytes int64) *env {
	t.Helper()
	e := newEnv(t, withConfig(func(c *httpadapter.Config) { c.MaxBodyBytes = maxBytes }))
	e.srv.Route("echo", "/echo", handlers("POST", func(w http.ResponseWriter, r *http.Request) {
		body, err := httpadapter.DecodeBody(e.srv, r)
		if err != nil {
			httpadapter.WriteError(e.srv, w, r, err)
			return
		}
		httpadapter.WriteJSON(e.srv, w, r, http.StatusOK, body)
	}))
	return e
}

func TestDecodeBody(t *testing.T) {
	bodyDetails := func(first string) []any {
		return []any{
			map[string]any{"location": "body", "name": "", "description": first},
			map[string]any{"location": "body", "name": "", "description": "Required"},
		}
	}
	tests := []struct {
		name    string
		body    string
		want    string // echoed JSON, when accepted
		message string // prefix of the error message, when refused
		details []any
	}{
		{"empty", "", `{}`, "", nil},
		{"blank", " \n\t", `{}`, "", nil},
		{"object", `{"data":{"title":"x"}}`, `{"data":{"title":"x"}}`, "", nil},
		{"big integer kept exactly", `{"n":123456789012345678901234567890,"f":1.10}`, `{"f":1.10,"n":123456789012345678901234567890}`, "", nil},
		{"bad JSON", `{"data":`, "", "Invalid JSON: ", nil},
		{"garbage", `hello`, "", "Invalid JSON: ", nil},
		{"trailing data", `{} {}`, "", "Invalid JSON: extra data", nil},
		{"not UTF-8", "{\"a\":\"\xff\"}", "", "Invalid JSON: body is not valid UTF-8", bodyDetails("Invalid JSON: body is not valid UTF-8")},
		{"scalar", `42`, "", "Should be a JSON object or an array", bodyDetails("Should be a JSON object or an array")},
		{"string", `"x"`, "", "Should be a JSON object or an array", nil},
		{"null", `null`, "", "Should be a JSON object or an array", nil},
		{"array", `[1, "a", {"k": null}, true]`, "",
			`"[1, 'a', {'k': None}, True]" is not a mapping type: Does not implement dict-like functionality.`,
			[]any{map[string]any{"location": "body", "name": "",
				"description": `"[1, 'a', {'k': None}, True]" is not a mapping type: Does not implement dict-like functionality.`}}},
	}
	e := echoEnv(t, 1<<20)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do("POST", "/v1/echo", tt.body, "Content-Type", "application/json")
			if tt.message == "" {
				if rec.Code != 200 {
					t.Fatalf("status %d, want 200 (body %s)", rec.Code, rec.Body)
				}
				if got := strings.TrimSpace(rec.Body.String()); got != tt.want {
					t.Errorf("echo %s, want %s", got, tt.want)
				}
				return
			}
			if rec.Code != 400 {
				t.Fatalf("status %d, want 400 (body %s)", rec.Code, rec.Body)
			}
			b := decode(t, rec)
			msg, _ := b["message"].(string)
			if b["errno"] != float64(107) || b["error"] != "Invalid parameters" || !strings.HasPrefix(msg, tt.message) {
				t.Errorf("body %v, want errno 107, Invalid parameters, message starting %q", b, tt.message)
			}
			if tt.details != nil && !reflect.DeepEqual(b["details"], tt.details) {
				t.Errorf("details %v\nwant %v", b["details"], tt.details)
			}
			if strings.HasPrefix(tt.message, "Invalid JSON") && len(b["details"].([]any)) != 2 {
				t.Errorf("details %v, want the issue and Required", b["details"])
			}
		})
	}
}

func TestDecodeBodyTooLarge(t *testing.T) {
	e := echoEnv(t, 16)
	want := "Request body is larger than 16 bytes."
	big := `{"data":"0123456789"}`
	wantError(t, e.do("POST", "/v1/echo", big), 413, 113, "Request Entity Too Large", want)

	// Without Content-Length the cap still holds.
	r := request("POST", "/v1/echo", "")
	r.Body = io.NopCloser(strings.NewReader(big))
	r.ContentLength = -1
	wantError(t, e.serve(r), 413, 113, "Request Entity Too Large", want)

	if rec := e.do("POST", "/v1/echo", `{"a":"0123456"}`); rec.Code != 200 {
		t.Errorf("16-byte body: status %d, want 200", rec.Code)
	}
	if rec := echoEnv(t, 0).do("POST", "/v1/echo", big); rec.Code != 200 {
		t.Errorf("no cap: status %d, want 200", rec.Code)
	}
}

func TestDecodeBodyReadFailure(t *testing.T) {
	e := echoEnv(t, 1<<20)
	r := request("POST", "/v1/echo", "")
	r.Body = io.NopCloser(failingReader{})
	r.ContentLength = -1
	wantError(t, e.serve(r), 400, 107, "Invalid parameters", "Could not read the request body: unexpected EOF")
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseJSONAcceptsArrays(t *testing.T) {
	v, err := httpadapter.ParseJSON([]byte(`[{"op":"add","path":"/data/a","value":1}]`))
	if err != nil {
		t.Fatalf("ParseJSON(patch): %v", err)
	}
	ops, ok := v.([]any)
	if !ok || len(ops) != 1 {
		t.Fatalf("ParseJSON(patch) = %#v, want one op", v)
	}
	if n := ops[0].(map[string]any)["value"]; n != json.Number("1") {
		t.Errorf("value %#v, want json.Number 1", n)
	}
	if _, err := httpadapter.ParseJSON([]byte(`3`)); err == nil {
		t.Error("ParseJSON(3): no error")
	}
}

func TestCheckAccept(t *testing.T) {
	tests := []struct {
		accept []string
		ok     bool
	}{
		{nil, true},
		{[]string{"application/json"}, true},
		{[]string{"*/*"}, true},
		{[]string{"application/*"}, true},
		{[]string{"text/html, application/json;q=0.5"}, true},
		{[]string{"text/html", "application/json"}, true},
		{[]string{"application/json; charset=utf-8"}, true},
		{[]string{"text/html"}, false},
		{[]string{"application/json;q=0"}, false},
		{[]string{"application/json;q=abc"}, false},
		{[]string{"application/xml, text/*"}, false},
		{[]string{",,"}, false},
	}
	for _, tt := range tests {
		r := request("GET", "/v1/", "")
		for _, a := range tt.accept {
			r.Header.Add("Accept", a)
		}
		err := httpadapter.CheckAccept(r)
		if (err == nil) != tt.ok {
			t.Errorf("CheckAccept(%q): err %v, want ok %v", tt.accept, err, tt.ok)
			continue
		}
		if err != nil {
			status, errno, msg, _ := httpadapter.ErrorShape(err)
			if status != 406 || errno != 107 || msg != "Accept header should be one of ['application/json']" {
				t.Errorf("CheckAccept(%q) = %d/%d %q", tt.accept, status, errno, msg)
			}
		}
	}
}

func TestCheckContentType(t *testing.T) {
	patch := []string{"application/json", "application/merge-patch+json", "application/json-patch+json"}
	tests := []struct {
		ct      string
		allowed []string
		message string // empty: accepted
	}{
		{"", []string{"application/json"}, ""},
		{"application/json", []string{"application/json"}, ""},
		{"application/json; charset=utf-8", []string{"application/json"}, ""},
		{"Application/JSON", []string{"application/json"}, ""},
		{"application/json-patch+json", patch, ""},
		{"text/plain", []string{"application/json"}, "Content-Type header should be one of ['application/json']"},
		{"application/json-patch+json", []string{"application/json"}, "Content-Type header should be one of ['application/json']"},
		{"text/plain", patch, "Content-Type header should be one of ['application/json', 'application/merge-patch+json', 'application/json-patch+json']"},
		{"/////", []string{"application/json"}, "Content-Type header should be one of ['application/json']"},
	}
	for _, tt := range tests {
		r := request("POST", "/v1/", "{}", "Content-Type", tt.ct)
		err := httpadapter.CheckContentType(r, tt.allowed...)
		if tt.message == "" {
			if err != nil {
				t.Errorf("CheckContentType(%q): %v, want accepted", tt.ct, err)
			}
			continue
		}
		status, errno, msg, ok := httpadapter.ErrorShape(err)
		if !ok || status != 415 || errno != 107 || msg != tt.message {
			t.Errorf("CheckContentType(%q) = %d/%d %q, want 415/107 %q", tt.ct, status, errno, msg, tt.message)
		}
	}
}

func TestNegotiationErrorsOverHTTP(t *testing.T) {
	e := newEnv(t)
	e.srv.Route("neg", "/neg", handlers("POST", func(w http.ResponseWriter, r *http.Request) {
		if err := httpadapter.CheckAccept(r); err != nil {
			httpadapter.WriteError(e.srv, w, r, err)
			return
		}
		if err := httpadapter.CheckContentType(r, "application/json"); err != nil {
			httpadapter.WriteError(e.srv, w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	b := wantError(t, e.do("POST", "/v1/neg", "{}", "Accept", "text/html"), 406, 107, "Invalid parameters",
		"Accept header should be one of ['application/json']")
	want := []any{map[string]any{"location": "header", "name": "Accept", "description": "Accept header should be one of ['application/json']"}}
	if !reflect.DeepEqual(b["details"], want) {
		t.Errorf("details %v, want %v", b["details"], want)
	}
	wantError(t, e.do("POST", "/v1/neg", "x", "Content-Type", "text/plain"), 415, 107, "Invalid parameters",
		"Content-Type header should be one of ['application/json']")
}

func FuzzParseObject(f *testing.F) {
	for _, seed := range []string{"", "{}", `{"a":[1,2,{"b":null}]}`, "[]", "[1,'a']", "42", `"s"`, "null",
		"{", `{"a":1}x`, "\xff", `{"n":1e999}`, `[{"k":"v\u0000"}]`, " \t\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := httpadapter.ParseObject(b)
		if err == nil {
			if m == nil {
				t.Fatalf("ParseObject(%q): nil map and nil error", b)
			}
			return
		}
		status, errno, msg, ok := httpadapter.ErrorShape(err)
		if !ok || status < 400 || status > 499 || errno != 107 || msg == "" {
			t.Fatalf("ParseObject(%q): err %v (%d/%d %q), want a 4xx errno 107 answer", b, err, status, errno, msg)
		}
	})
}
