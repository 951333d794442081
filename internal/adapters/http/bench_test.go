package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// The benchmarks of the record protocol through the whole handler (routing,
// authentication, parsing, engine, memory storage, JSON): the numbers of
// issue 4. Big fixtures go in through the storage port, which takes a
// fraction of the time HTTP would; the measured requests go through
// Server.Handler() like any client's.

// benchNotes is a server with the per-user notes resource on a memory
// storage the benchmark can fill directly, and the list alice's requests
// read.
type benchNotes struct {
	e     *env
	store *memory.Storage
	alice domain.Parent
}

func newBenchNotes(b *testing.B) *benchNotes {
	b.Helper()
	basic := auth.NewBasic("secret")
	e := newEnv(b, withAuth(basic))
	store := memory.NewStorage(domain.SystemClock{})
	e.srv.MountResource(app.NewEngine(store, nil), notes())
	uid, ok, err := basic.Authenticate(context.Background(), aliceAuth)
	if err != nil || !ok {
		b.Fatalf("Authenticate(alice) = %q, %v, %v", uid, ok, err)
	}
	return &benchNotes{e: e, store: store, alice: domain.Parent{Resource: "note", ID: basic.Name() + ":" + uid}}
}

// fill stores n notes of alice through the storage port: note i has id
// benchID(i), a title repeating every 100 and a number n that is a
// permutation of 0…n-1 unrelated to the insertion order, so that a range
// filter on it selects objects spread over the whole list.
func (bn *benchNotes) fill(b *testing.B, n int) {
	b.Helper()
	ctx := context.Background()
	for i := range n {
		data := map[string]any{
			"title": fmt.Sprintf("title %02d", i%100),
			"n":     json.Number(fmt.Sprint((i * 7919) % n)),
		}
		if _, err := bn.store.Create(ctx, bn.alice, domain.Record{ID: benchID(i), Data: data}, nil); err != nil {
			b.Fatalf("Create(%s): %v", benchID(i), err)
		}
	}
}

func benchID(i int) string { return fmt.Sprintf("note%06d", i) }

// get serves one GET as alice and checks the status and, for a list, the
// number of objects; it returns the recorder for the caller's checks.
func (bn *benchNotes) get(b *testing.B, target string, wantStatus, wantObjects int) *httptest.ResponseRecorder {
	rec := bn.e.do(http.MethodGet, target, "", "Authorization", aliceAuth)
	if rec.Code != wantStatus {
		b.Fatalf("GET %s: %d %s, want %d", target, rec.Code, rec.Body, wantStatus)
	}
	if wantObjects >= 0 {
		var body struct {
			Data []json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Data) != wantObjects {
			b.Fatalf("GET %s: %d objects (%v), want %d", target, len(body.Data), err, wantObjects)
		}
	}
	return rec
}

// benchGet measures GET target, whose answer is checked once before the
// timer starts (the loop only checks the status).
func (bn *benchNotes) benchGet(b *testing.B, target string, wantObjects int) {
	b.Helper()
	bn.get(b, target, http.StatusOK, wantObjects)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bn.get(b, target, http.StatusOK, -1)
	}
}

// nextPage follows Next-Page from target pages-1 times and returns the
// request URI of page number pages.
func (bn *benchNotes) nextPage(b *testing.B, target string, pages int) string {
	b.Helper()
	for range pages - 1 {
		next := bn.get(b, target, http.StatusOK, -1).Header().Get("Next-Page")
		if next == "" {
			b.Fatalf("GET %s: no Next-Page", target)
		}
		u, err := url.Parse(next)
		if err != nil {
			b.Fatalf("Next-Page %q: %v", next, err)
		}
		target = u.RequestURI()
	}
	return target
}

func BenchmarkHTTPCreate(b *testing.B) {
	bn := newBenchNotes(b)
	b.ReportAllocs()
	for b.Loop() {
		rec := bn.e.do(http.MethodPost, "/v1/notes", `{"data":{"title":"hello","n":1}}`,
			"Authorization", aliceAuth, "Content-Type", "application/json")
		if rec.Code != http.StatusCreated {
			b.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkHTTPGet reads one object of 10,000.
func BenchmarkHTTPGet(b *testing.B) {
	bn := newBenchNotes(b)
	bn.fill(b, 10_000)
	bn.benchGet(b, "/v1/notes/"+benchID(4321), -1)
}

// BenchmarkHTTPListPage10Of10k reads the first page of 10 of 10,000
// objects, in the default order and sorted on a field.
func BenchmarkHTTPListPage10Of10k(b *testing.B) {
	bn := newBenchNotes(b)
	bn.fill(b, 10_000)
	b.Run("default-sort", func(b *testing.B) { bn.benchGet(b, "/v1/notes?_limit=10", 10) })
	b.Run("sort-title", func(b *testing.B) { bn.benchGet(b, "/v1/notes?_limit=10&_sort=title", 10) })
}

// BenchmarkHTTPListFiltered100k reads a page of 10 among the 1% of
// 100,000 objects that a range filter selects, spread over the list: in
// the default order the walk stops after about 1,000 objects; sorted on a
// field it must filter and order all of them.
func BenchmarkHTTPListFiltered100k(b *testing.B) {
	bn := newBenchNotes(b)
	bn.fill(b, 100_000)
	b.Run("default-sort", func(b *testing.B) { bn.benchGet(b, "/v1/notes?_limit=10&min_n=99000", 10) })
	b.Run("sort-title", func(b *testing.B) { bn.benchGet(b, "/v1/notes?_limit=10&min_n=99000&_sort=title", 10) })
}

// BenchmarkHTTPPageDepth reads page 1 and page 100 (pages of 10 of
// 10,000 objects, page 100 reached by following Next-Page): the cost must
// not grow with the depth.
func BenchmarkHTTPPageDepth(b *testing.B) {
	bn := newBenchNotes(b)
	bn.fill(b, 10_000)
	for _, order := range []struct{ name, query string }{
		{"default-sort", "/v1/notes?_limit=10"},
		{"sort-title", "/v1/notes?_limit=10&_sort=title"},
	} {
		deep := bn.nextPage(b, order.query, 100)
		b.Run(order.name+"/page-1", func(b *testing.B) { bn.benchGet(b, order.query, 10) })
		b.Run(order.name+"/page-100", func(b *testing.B) { bn.benchGet(b, deep, 10) })
	}
}
