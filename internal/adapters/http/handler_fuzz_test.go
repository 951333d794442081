package http_test

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzResourceHandler sends arbitrary methods, paths, querystrings, headers
// and bodies through the whole handler of a mounted resource and batch: any
// input must end in a 2xx, 3xx or 4xx answer in the protocol's format, never
// a panic or a 5xx.
func FuzzResourceHandler(f *testing.F) {
	seeds := []struct{ method, target, ctype, ifMatch, body string }{
		{"GET", "/v1/notes?_limit=2&_sort=-title,n&min_n=3", "", "", ""},
		{"GET", "/v1/notes?_since=abc&_token=eyJ4Ijox", "", "", ""},
		{"GET", "/v1/notes?in_id=a,b&like_title=*x*&has_n=true&contains_tags=[1]", "", "", ""},
		{"POST", "/v1/notes", "application/json", "", `{"data":{"title":"x","n":1e400}}`},
		{"PUT", "/v1/notes/abc", "application/json", `"12"`, `{"data":{"id":"abc"},"permissions":{"read":["x"]}}`},
		{"PATCH", "/v1/notes/abc", "application/json-patch+json", "*", `[{"op":"add","path":"/data/x","value":1}]`},
		{"PATCH", "/v1/notes/abc", "application/merge-patch+json", "", `{"data":{"x":null}}`},
		{"DELETE", "/v1/notes?_limit=1", "", "", ""},
		{"POST", "/v1/batch", "application/json", "", `{"defaults":{"method":"PUT"},"requests":[{"path":"/notes/a","body":{"data":{}}}]}`},
		{"HEAD", "/v1/notes?_fields=a.b", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.ctype, s.ifMatch, s.body)
	}
	f.Fuzz(func(t *testing.T, method, target, ctype, ifMatch, body string) {
		if !validMethod(method) || !strings.HasPrefix(target, "/") {
			return
		}
		// A fresh server per input keeps each run independent of the
		// objects earlier inputs created, so a failure reproduces alone.
		e := newResourceEnv(t)
		e.do("PUT", "/v1/notes/abc", `{"data":{"title":"seed","n":1,"tags":["x"]}}`, "Authorization", aliceAuth, "Content-Type", "application/json")
		r, err := newFuzzRequest(method, target, body)
		if err != nil {
			return
		}
		r.Header.Set("Authorization", aliceAuth)
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if ifMatch != "" {
			r.Header.Set("If-Match", ifMatch)
		}
		rec := e.serve(r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (%s) %q: status %d body %s", method, target, ctype, body, rec.Code, rec.Body)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return true
	}
	return false
}

// newFuzzRequest builds a server-side request, refusing targets net/http
// cannot parse (a real server would answer those 400 before any handler).
func newFuzzRequest(method, target, body string) (*http.Request, error) {
	r, err := http.NewRequest(method, "http://example.com"+target, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.RequestURI = target
	r.RemoteAddr = "192.0.2.1:1234"
	return r, nil
}
