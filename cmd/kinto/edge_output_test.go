package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// What the lean edge must still write, in the configuration BenchmarkEdge
// measures: the request.summary line with all of Kinto's fields, and
// records encoded as before (HTML characters escaped).
func TestEdgeSummaryLineAndBody(t *testing.T) {
	var logs bytes.Buffer
	e := newEdgeServiceLogging(t, &logs)
	put := e.request(http.MethodPut, "/v1/buckets/b/collections/c/records/html", `{"data":{"t":"<b>&"}}`)
	e.serve(t, put, `{"data":{"t":"<b>&"}}`, http.StatusCreated)
	logs.Reset()

	get := e.request(http.MethodGet, "/v1/buckets/b/collections/c/records/html?_since=0", "")
	get.Header.Set("Accept-Language", "fr")
	e.serve(t, get, "", http.StatusOK)
	if body := e.w.body.String(); !strings.Contains(body, `"t":"\u003cb\u003e\u0026"`) {
		t.Errorf("body %s, want the record's HTML characters escaped", body)
	}
	list := e.request(http.MethodGet, "/v1/buckets/b/collections/c/records?_limit=100", "")
	e.serve(t, list, "", http.StatusOK)
	if body := e.w.body.String(); !strings.HasPrefix(body, `{"data":[{`) || !strings.Contains(body, `"t":"\u003cb\u003e\u0026"`) {
		t.Errorf("list body %s, want the records, HTML characters escaped", body)
	}
	logs.Reset()
	e.serve(t, get, "", http.StatusOK)

	var line struct {
		Type     string
		Severity int
		Fields   map[string]any
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line.Type != "request.summary" || line.Severity != 6 {
		t.Errorf("line type %q severity %d, want request.summary at 6", line.Type, line.Severity)
	}
	f := line.Fields
	for k, want := range map[string]any{
		"msg": "request.summary", "method": "GET", "path": "/v1/buckets/b/collections/c/records/html",
		"code": float64(200), "errno": float64(0), "agent": "edge-bench", "lang": "fr",
		"authn_type": "basicauth", "querystring": map[string]any{"_since": "0"},
	} {
		if got := f[k]; !jsonEqual(got, want) {
			t.Errorf("summary %s = %#v, want %#v", k, got, want)
		}
	}
	if uid, _ := f["uid"].(string); !strings.HasPrefix(uid, "basicauth:") {
		t.Errorf("summary uid = %v, want basicauth:…", f["uid"])
	}
	if rid, _ := f["rid"].(string); len(rid) != 36 || rid != e.w.h.Get("X-Request-Id") {
		t.Errorf("summary rid = %v, want the answer's X-Request-Id %q", f["rid"], e.w.h.Get("X-Request-Id"))
	}
	if ts, _ := f["time"].(string); len(ts) != len("2006-01-02T15:04:05.000000") {
		t.Errorf("summary time = %v, want ISO with microseconds", f["time"])
	}
	if _, ok := f["t"].(float64); !ok {
		t.Errorf("summary t = %#v, want milliseconds", f["t"])
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}
