package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// The benchmarks of issue 5: what permission filtering costs, through the
// service exactly as serve wires it (memory backends, newServer). The
// fixtures go into the storage and permission backends directly; the
// measured requests go through the handler. Each pair must cost about the
// same whatever the number of objects the caller cannot see.

const benchSecret = "bench-secret"

// benchKinto is one service under benchmark with its backends.
type benchKinto struct {
	h     http.Handler
	b     *wire.Backends
	basic *auth.Basic
}

// newBenchKinto builds the service from an INI file, as serve does, after
// clearing every variable the service reads.
func newBenchKinto(b *testing.B) *benchKinto {
	b.Helper()
	runnertest.CleanEnv(b, command())
	ini := "[app:main]\n" +
		"kinto.multiauth.policies = basicauth\n" +
		"kinto.userid_hmac_secret = " + benchSecret + "\n" +
		"kinto.experimental_permissions_endpoint = true\n"
	path := filepath.Join(b.TempDir(), "kinto.ini")
	if err := os.WriteFile(path, []byte(ini), 0o600); err != nil {
		b.Fatal(err)
	}
	s, src, err := command().Load(path)
	if err != nil {
		b.Fatalf("load settings: %v", err)
	}
	h, backs := newHandler(b, s, src)
	return &benchKinto{h: h, b: backs, basic: auth.NewBasic(benchSecret)}
}

// benchAuth is the Basic header of user name (password "pw").
func benchAuth(name string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":pw"))
}

// userID is the principal basicauth gives name.
func (k *benchKinto) userID(b *testing.B, name string) string {
	b.Helper()
	uid, ok, err := k.basic.Authenticate(context.Background(), benchAuth(name))
	if err != nil || !ok {
		b.Fatalf("Authenticate(%s) = %q, %v, %v", name, uid, ok, err)
	}
	return k.basic.Name() + ":" + uid
}

// do serves one request as name and fails unless the status is want.
func (k *benchKinto) do(b *testing.B, name, method, target, body string, want int) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.Header.Set("Authorization", benchAuth(name))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	k.h.ServeHTTP(rec, r)
	if rec.Code != want {
		b.Fatalf("%s %s as %s: %d %s, want %d", method, target, name, rec.Code, rec.Body, want)
	}
	return rec
}

// benchListLen is the number of objects in a list answer.
func benchListLen(b *testing.B, rec *httptest.ResponseRecorder) int {
	b.Helper()
	var body struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		b.Fatalf("list body %q: %v", rec.Body, err)
	}
	return len(body.Data)
}

// records makes alice's bucket b and collection c, then stores n records
// of c, each with alice's write entry, through the backends. The readable
// records are the first readable ids, on which reader gets a read entry.
func (k *benchKinto) records(b *testing.B, n, readable int, reader string) {
	b.Helper()
	k.do(b, "alice", http.MethodPut, "/v1/buckets/b", "", http.StatusCreated)
	k.do(b, "alice", http.MethodPut, "/v1/buckets/b/collections/c", "", http.StatusCreated)
	ctx := context.Background()
	alice, readerID := k.userID(b, "alice"), k.userID(b, reader)
	parent := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	for i := range n {
		id := fmt.Sprintf("r%06d", i)
		data := map[string]any{"title": fmt.Sprintf("record %d", i)}
		if _, err := k.b.Storage.Create(ctx, parent, domain.Record{ID: id, Data: data}, nil); err != nil {
			b.Fatalf("Create(%s): %v", id, err)
		}
		uri := parent.ID + "/records/" + id
		if err := k.b.Permission.AddPrincipal(ctx, uri, "write", alice); err != nil {
			b.Fatalf("AddPrincipal(%s): %v", uri, err)
		}
		// Spread the readable records over the list.
		if i%(n/readable) == 0 && i/(n/readable) < readable {
			if err := k.b.Permission.AddPrincipal(ctx, uri, "read", readerID); err != nil {
				b.Fatalf("AddPrincipal(%s): %v", uri, err)
			}
		}
	}
}

// BenchmarkKintoPermissions lists /v1/permissions for a user who may read
// 100 records, among 1,000 and among 100,000 records written by alice.
func BenchmarkKintoPermissions(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("100-of-%d", n), func(b *testing.B) {
			k := newBenchKinto(b)
			k.records(b, n, 100, "reader")
			// 100 records and the root, where bucket_create_principals
			// (system.Authenticated by default) lets reader create buckets.
			if got := benchListLen(b, k.do(b, "reader", http.MethodGet, "/v1/permissions", "", http.StatusOK)); got != 101 {
				b.Fatalf("GET /v1/permissions as reader: %d entries, want 101", got)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				k.do(b, "reader", http.MethodGet, "/v1/permissions", "", http.StatusOK)
			}
		})
	}
}

// BenchmarkKintoRecordsList lists the records of a collection for a user
// who may read 10 of them (record-level read entries), among 100 and among
// 100,000.
func BenchmarkKintoRecordsList(b *testing.B) {
	const target = "/v1/buckets/b/collections/c/records"
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprintf("10-of-%d", n), func(b *testing.B) {
			k := newBenchKinto(b)
			k.records(b, n, 10, "reader")
			if got := benchListLen(b, k.do(b, "reader", http.MethodGet, target, "", http.StatusOK)); got != 10 {
				b.Fatalf("GET %s as reader: %d records, want 10", target, got)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				k.do(b, "reader", http.MethodGet, target, "", http.StatusOK)
			}
		})
	}
}
