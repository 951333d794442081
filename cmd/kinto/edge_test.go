package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// The tests of this file talk to a real server over TCP, as a client does:
// what they check (net/http's own refusals, connections kept or closed)
// happens below the http.Handler.

// startEdge serves with basicauth on a loopback port.
func startEdge(t *testing.T, env ...string) *runnertest.Server {
	t.Helper()
	runnertest.CleanEnv(t, command())
	t.Setenv("KINTO_MULTIAUTH_POLICIES", "basicauth")
	t.Setenv("KINTO_USERID_HMAC_SECRET", testSecret)
	for i := 0; i+1 < len(env); i += 2 {
		t.Setenv(env[i], env[i+1])
	}
	return runnertest.Start(t, command())
}

// rawConn is one client connection that sends requests by hand.
type rawConn struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dialRaw(t *testing.T, srv *runnertest.Server) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.Base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return &rawConn{t: t, c: c, rd: bufio.NewReader(c)}
}

// roundTrip sends head (the request line and headers, without the blank
// line) and body, the body from another goroutine as a client streaming
// it does, and reads the answer. It fails the test when sending fails: a
// server that answered early and closed would make the client's write fail.
func (rc *rawConn) roundTrip(head string, body []byte) (*http.Response, map[string]any, []byte) {
	rc.t.Helper()
	if body != nil {
		head += fmt.Sprintf("\r\nContent-Length: %d", len(body))
	}
	sent := make(chan error, 1)
	go func() {
		_, err := rc.c.Write(append([]byte(head+"\r\n\r\n"), body...))
		sent <- err
	}()
	resp, err := http.ReadResponse(rc.rd, nil)
	if err != nil {
		rc.t.Fatalf("%s: read answer: %v", firstLine(head), err)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("%s: read answer body: %v", firstLine(head), err)
	}
	resp.Body.Close()
	if err := <-sent; err != nil {
		rc.t.Fatalf("%s: sending the request failed (%v): the server did not read it", firstLine(head), err)
	}
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	return resp, doc, raw
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\r\n")
	return line
}

func TestMalformedTargetsGetJSON400(t *testing.T) {
	srv := startEdge(t)
	for _, target := range []string{"/v1/buckets/%zz", "%", "%%", "/v1/%", "/v1/buckets/%%/collections"} {
		t.Run(target, func(t *testing.T) {
			rc := dialRaw(t, srv)
			resp, doc, raw := rc.roundTrip("GET "+target+" HTTP/1.1\r\nHost: kinto.test", nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("GET %s: status %d, want 400", target, resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("GET %s: Content-Type %q, want application/json (body %q)", target, ct, raw)
			}
			if doc["errno"] != float64(107) || doc["code"] != float64(400) || doc["error"] != "Bad Request" || doc["message"] != "Invalid URL path." {
				t.Errorf("GET %s: body %s, want the JSON 400 errno 107", target, raw)
			}
		})
	}
	// The server goes on serving.
	if code, _ := runnertest.GetJSON(t, srv.Base+"/v1/"); code != http.StatusOK {
		t.Errorf("GET /v1/ after the refusals: %d, want 200", code)
	}
}

func TestMalformedHeaderGetsJSON400(t *testing.T) {
	srv := startEdge(t)
	rc := dialRaw(t, srv)
	resp, doc, raw := rc.roundTrip("GET /v1/ HTTP/1.1\r\nHost: kinto.test\r\nno colon here", nil)
	if resp.StatusCode != http.StatusBadRequest || doc["errno"] != float64(107) {
		t.Fatalf("malformed header: %d %s, want the JSON 400 errno 107", resp.StatusCode, raw)
	}
	if msg, _ := doc["message"].(string); msg == "" || msg == "Invalid URL path." {
		t.Errorf("malformed header: message %q, want net/http's reason", msg)
	}
}

// TestEarlyRefusalsReadTheBody: a large body to an endpoint that refuses
// the caller gets its answer, and the connection serves the next request.
func TestEarlyRefusalsReadTheBody(t *testing.T) {
	srv := startEdge(t)
	ownerAuth := "\r\nAuthorization: " + owner.authorization()
	strangerAuth := "\r\nAuthorization: " + stranger.authorization()
	rc := dialRaw(t, srv)
	for _, p := range []string{"/v1/buckets/b", "/v1/buckets/b/collections/c", "/v1/buckets/b/collections/c/records/r"} {
		if resp, _, raw := rc.roundTrip("PUT "+p+" HTTP/1.1\r\nHost: kinto.test"+ownerAuth+"\r\nContent-Type: application/json", []byte("{}")); resp.StatusCode != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", p, resp.StatusCode, raw)
		}
	}
	big := []byte(`{"data": {"x": "` + strings.Repeat("a", 5<<20) + `"}}`)
	const record = "/v1/buckets/b/collections/c/records/r"
	cases := []struct {
		name, head string
		status     int
	}{
		{"PUT anonymously", "PUT " + record + " HTTP/1.1\r\nHost: kinto.test\r\nContent-Type: application/json", 401},
		{"PUT without the right", "PUT " + record + " HTTP/1.1\r\nHost: kinto.test" + strangerAuth + "\r\nContent-Type: application/json", 403},
		{"PATCH without the right", "PATCH " + record + " HTTP/1.1\r\nHost: kinto.test" + strangerAuth + "\r\nContent-Type: application/json", 403},
		{"DELETE without the right", "DELETE " + record + " HTTP/1.1\r\nHost: kinto.test" + strangerAuth + "\r\nContent-Type: application/json", 403},
		{"DELETE the list without the right", "DELETE /v1/buckets/b/collections/c/records HTTP/1.1\r\nHost: kinto.test" + strangerAuth, 403},
		{"POST to the list anonymously", "POST /v1/buckets/b/collections/c/records HTTP/1.1\r\nHost: kinto.test\r\nContent-Type: application/json", 401},
		{"wrong content type", "PUT " + record + " HTTP/1.1\r\nHost: kinto.test" + ownerAuth + "\r\nContent-Type: text/plain", 415},
		{"unknown URL", "POST /v1/nowhere HTTP/1.1\r\nHost: kinto.test" + ownerAuth + "\r\nContent-Type: application/json", 404},
		{"wrong method", "POST /v1/__heartbeat__ HTTP/1.1\r\nHost: kinto.test\r\nContent-Type: application/json", 405},
	}
	for _, c := range cases {
		resp, doc, raw := rc.roundTrip(c.head, big)
		if resp.StatusCode != c.status || doc["code"] != float64(c.status) {
			t.Fatalf("%s with a 5 MB body: %d %.200s, want the JSON %d", c.name, resp.StatusCode, raw, c.status)
		}
		if resp.Close {
			t.Fatalf("%s with a 5 MB body: the server closes the connection", c.name)
		}
	}
	// Still the same connection: the record was never changed.
	resp, doc, raw := rc.roundTrip("GET "+record+" HTTP/1.1\r\nHost: kinto.test"+ownerAuth, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s after the refusals: %d %s", record, resp.StatusCode, raw)
	}
	if data, _ := doc["data"].(map[string]any); data["x"] != nil {
		t.Errorf("GET %s: data %v, want it unchanged", record, data)
	}
}

// TestLargeInvalidBodiesGetSmallAnswers: an error quotes a bounded excerpt
// of the input.
func TestLargeInvalidBodiesGetSmallAnswers(t *testing.T) {
	srv := startEdge(t)
	ownerAuth := "\r\nAuthorization: " + owner.authorization()
	rc := dialRaw(t, srv)
	if resp, _, raw := rc.roundTrip("PUT /v1/buckets/b HTTP/1.1\r\nHost: kinto.test"+ownerAuth+"\r\nContent-Type: application/json", []byte("{}")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT bucket: %d %s", resp.StatusCode, raw)
	}
	array := []byte("[" + strings.Repeat(`"abc", `, 5<<20/7) + `"abc"]`)
	long := strings.Repeat("é", 5<<19)
	bodies := map[string][]byte{
		"an array":                array,
		"data an array":           []byte(`{"data": ` + string(array) + `}`),
		"data a string":           []byte(`{"data": "` + long + `"}`),
		"permissions a string":    []byte(`{"data": {}, "permissions": {"read": "` + long + `"}}`),
		"an unknown key":          []byte(`{"` + long + `": 1}`),
		"invalid JSON at the end": append(bytes.Repeat([]byte(" "), 5<<20), '{'),
	}
	for name, body := range bodies {
		for _, target := range []string{"/v1/buckets/b/collections", "/v1/batch"} {
			resp, doc, raw := rc.roundTrip("POST "+target+" HTTP/1.1\r\nHost: kinto.test"+ownerAuth+"\r\nContent-Type: application/json", body)
			if resp.StatusCode != http.StatusBadRequest || doc["errno"] != float64(107) {
				t.Errorf("POST %s with %s: %d %.300s, want 400 errno 107", target, name, resp.StatusCode, raw)
			}
			if len(raw) >= 10<<10 {
				t.Errorf("POST %s with %s: a %d-byte answer, want less than 10 KB", target, name, len(raw))
			}
		}
	}
}

// TestVersionWithoutFile: without a version file __version__ answers the
// build information, alone and in a batch.
func TestVersionWithoutFile(t *testing.T) {
	srv := startEdge(t, "KINTO_VERSION_JSON_PATH", t.TempDir()+"/none.json")
	code, doc := runnertest.GetJSON(t, srv.Base+"/v1/__version__")
	if code != http.StatusOK || doc["version"] == nil || doc["commit"] == nil {
		t.Fatalf("GET __version__ without a file: %d %v, want 200 with the build information", code, doc)
	}
	rc := dialRaw(t, srv)
	resp, _, raw := rc.roundTrip("POST /v1/batch HTTP/1.1\r\nHost: kinto.test\r\nContent-Type: application/json",
		[]byte(`{"requests": [{"method": "GET", "path": "/__version__"}, {"method": "GET", "path": "/"}]}`))
	if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"status":200`)) || bytes.Contains(raw, []byte(`"status":500`)) {
		t.Errorf("batch with __version__: %d %s, want 200 with both subrequests 200", resp.StatusCode, raw)
	}
}
