package http_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/app"
)

func TestProposedLastModifiedOverHTTP(t *testing.T) {
	e := newResourceEnv(t)
	a := []string{"Authorization", aliceAuth}
	now := time.Now().UnixMilli()
	far := now + app.MaxProposalAhead + 60_000
	for _, c := range []struct{ value, contains string }{
		{fmt.Sprint(far), "more than one hour ahead of the server clock"},
		{"9223372036854775807", "more than one hour ahead of the server clock"},
		{"9223372036854775808", "out of range"},
		{"1" + strings.Repeat("0", 40), "out of range"},
		{"-1", "less than minimum value 0"},
	} {
		rec, body := e.json(t, "POST", "/v1/notes", `{"data":{"title":"x","last_modified":`+c.value+`}}`, a...)
		msg, _ := body["message"].(string)
		if rec.Code != http.StatusBadRequest || body["errno"] != float64(107) || !strings.Contains(msg, "last_modified") || !strings.Contains(msg, c.contains) {
			t.Errorf("POST last_modified %s: %d %v, want 400 errno 107 naming last_modified (%q)", c.value, rec.Code, body, c.contains)
		}
	}
	// Non-integers are ignored, as in Kinto.
	for _, v := range []string{`1e30`, `"123"`, `true`, `12.5`, `null`} {
		rec, body := e.json(t, "POST", "/v1/notes", `{"data":{"title":"x","last_modified":`+v+`}}`, a...)
		data, _ := body["data"].(map[string]any)
		if rec.Code != http.StatusCreated || data["last_modified"].(float64) < float64(now) {
			t.Errorf("POST last_modified %s: %d %v, want 201 stamped by the server", v, rec.Code, body)
		}
	}

	// The furthest timestamp a client may push the list to is still a
	// valid _since, _before and If-Match.
	edge := time.Now().UnixMilli() + app.MaxProposalAhead - 1_000
	rec, body := e.json(t, "POST", "/v1/notes", fmt.Sprintf(`{"data":{"title":"edge","last_modified":%d}}`, edge), a...)
	if rec.Code != http.StatusCreated || rec.Header().Get("ETag") != fmt.Sprintf(`"%d"`, edge) {
		t.Fatalf("POST last_modified an hour ahead: %d ETag %s (%v)", rec.Code, rec.Header().Get("ETag"), body)
	}
	rec, _ = e.json(t, "POST", "/v1/notes", `{"data":{"title":"after"}}`, a...)
	etag := rec.Header().Get("ETag")
	id := strings.Trim(etag, `"`)
	for _, q := range []string{"_since=" + id, "_before=" + id, "_since=%22" + id + "%22", "gt_last_modified=" + id} {
		if rec := e.do("GET", "/v1/notes?"+q, "", a...); rec.Code != http.StatusOK {
			t.Errorf("GET ?%s with a timestamp the server handed out: %d %s", q, rec.Code, rec.Body)
		}
	}
	if rec := e.do("GET", "/v1/notes", "", append([]string{"If-None-Match", etag}, a...)...); rec.Code != http.StatusNotModified {
		t.Errorf("GET If-None-Match %s: %d, want 304", etag, rec.Code)
	}
	// Kinto accepts any quoted digits: beyond int64 they match nothing.
	huge := `"` + strings.Repeat("9", 30) + `"`
	if rec := e.do("DELETE", "/v1/notes", "", append([]string{"If-Match", huge}, a...)...); rec.Code != http.StatusPreconditionFailed {
		t.Errorf("DELETE If-Match %s: %d, want 412 (%s)", huge, rec.Code, rec.Body)
	}
	if rec := e.do("GET", "/v1/notes", "", append([]string{"If-None-Match", huge}, a...)...); rec.Code != http.StatusOK {
		t.Errorf("GET If-None-Match %s: %d, want 200", huge, rec.Code)
	}

	// A DELETE's proposed last_modified has the same bound.
	rec, body = e.json(t, "POST", "/v1/notes", `{"data":{"title":"doomed"}}`, a...)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /v1/notes: %d %v, want 201", rec.Code, body)
	}
	rid := body["data"].(map[string]any)["id"].(string)
	for _, v := range []string{"9223372036854775807", fmt.Sprint(far)} {
		rec, body := e.json(t, "DELETE", "/v1/notes/"+rid+"?last_modified="+v, "", a...)
		if rec.Code != http.StatusBadRequest || body["errno"] != float64(107) || !strings.Contains(fmt.Sprint(body["message"]), "last_modified") {
			t.Errorf("DELETE ?last_modified=%s: %d %v, want 400 errno 107", v, rec.Code, body)
		}
	}
	if rec := e.do("DELETE", "/v1/notes/"+rid+"?last_modified=99999999999999999999", "", a...); rec.Code != http.StatusBadRequest {
		t.Errorf("DELETE ?last_modified beyond int64: %d, want 400", rec.Code)
	}
}
