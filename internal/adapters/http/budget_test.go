package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

// budgetEnv is a server whose body budget is budget bytes, with max the
// largest body and wait the longest wait for room. It mounts /echo (which
// decodes the body and answers it), /boom (which reads the body and
// panics) and /hold (which reads the body, reports it on held, and keeps
// it until release is closed).
type budgetEnv struct {
	*env
	held    chan int
	release chan struct{}
	once    sync.Once
}

func newBudgetEnv(t *testing.T, budget, max int64, wait time.Duration) *budgetEnv {
	t.Helper()
	e := &budgetEnv{held: make(chan int, 64), release: make(chan struct{})}
	e.env = newEnv(t, withConfig(func(c *httpadapter.Config) {
		c.MaxBodyBytes, c.BodyMemoryBytes, c.BodyMemoryWait = max, budget, wait
	}))
	t.Cleanup(e.unblock)
	e.srv.Route("echo", "/echo", handlers("POST", func(w http.ResponseWriter, r *http.Request) {
		body, err := httpadapter.DecodeBody(e.srv, r)
		if err != nil {
			httpadapter.WriteError(e.srv, w, r, err)
			return
		}
		httpadapter.WriteJSON(e.srv, w, r, http.StatusOK, body)
	}))
	e.srv.Route("boom", "/boom", handlers("POST", func(w http.ResponseWriter, r *http.Request) {
		if _, err := httpadapter.ReadBody(e.srv, r); err != nil {
			httpadapter.WriteError(e.srv, w, r, err)
			return
		}
		panic("handler bug after reading the body")
	}))
	e.srv.Route("hold", "/hold", handlers("POST", func(w http.ResponseWriter, r *http.Request) {
		b, err := httpadapter.ReadBody(e.srv, r)
		if err != nil {
			httpadapter.WriteError(e.srv, w, r, err)
			return
		}
		e.held <- len(b)
		<-e.release
		runtime.KeepAlive(b) // held in memory until released
		httpadapter.WriteJSON(e.srv, w, r, http.StatusOK, map[string]any{"len": len(b)})
	}))
	return e
}

// unblock lets every /hold handler answer.
func (e *budgetEnv) unblock() { e.once.Do(func() { close(e.release) }) }

// upload is a POST of an n-byte body that is generated as it is read, so
// that only the server's buffer for it takes memory. chunked sends it
// without Content-Length.
func upload(path string, n int64, chunked bool) *http.Request {
	r := httptest.NewRequest("POST", path, &filler{size: n})
	r.Header.Set("Content-Type", "application/json")
	r.ContentLength = n
	if chunked {
		r.ContentLength = -1
	}
	return r
}

// filler yields a JSON object of size bytes (at least 8), {"a":"xx…x"},
// as it is read.
type filler struct{ pos, size int64 }

func (f *filler) Read(p []byte) (int, error) {
	const head, tail = `{"a":"`, `"}`
	if f.pos == f.size {
		return 0, io.EOF
	}
	n := min(int64(len(p)), f.size-f.pos)
	for i := range n {
		at := f.pos + i
		switch {
		case at < int64(len(head)):
			p[i] = head[at]
		case at >= f.size-int64(len(tail)):
			p[i] = tail[at-(f.size-int64(len(tail)))]
		default:
			p[i] = 'x'
		}
	}
	f.pos += n
	return int(n), nil
}

// eventually waits, boundedly, for cond; it is how tests learn that
// concurrent requests reached a state, not a timing assertion.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// goServe serves r in the background; the answer arrives on the channel.
func (e *budgetEnv) goServe(r *http.Request) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() { done <- e.serve(r) }()
	return done
}

func TestBodyBudgetFullMakesTheNextRequestWaitThen503(t *testing.T) {
	const budget = 64 << 10
	e := newBudgetEnv(t, budget, budget, 200*time.Millisecond)
	first := e.goServe(upload("/v1/hold", budget, false))
	<-e.held // the whole budget is now held

	rec := e.serve(upload("/v1/echo", 1<<10, false))
	b := wantError(t, rec, 503, 201, "Service Unavailable",
		"Service temporary unavailable due to overloading or maintenance, please retry later.")
	if got := rec.Header().Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After %q, want 3 (retry_after_seconds)", got)
	}
	if _, ok := b["details"]; ok {
		t.Errorf("details %v, want none", b["details"])
	}
	if n := httpadapter.BodyBudgetWaiting(e.srv); n != 0 {
		t.Errorf("%d requests still waiting after the 503, want 0", n)
	}

	e.unblock()
	if rec := <-first; rec.Code != 200 {
		t.Errorf("holder: status %d, want 200 (body %s)", rec.Code, rec.Body)
	}
}

func TestBodyBudgetWaiterGetsRoomWhenItIsReleased(t *testing.T) {
	const budget = 64 << 10
	e := newBudgetEnv(t, budget, budget, 10*time.Second)
	first := e.goServe(upload("/v1/hold", budget, false))
	<-e.held

	second := e.goServe(upload("/v1/echo", 1<<10, false))
	eventually(t, "the second request to wait for room", func() bool { return httpadapter.BodyBudgetWaiting(e.srv) == 1 })
	select {
	case rec := <-second:
		t.Fatalf("second request answered %d while the budget was full, want it to wait", rec.Code)
	default:
	}
	e.unblock()
	if rec := <-first; rec.Code != 200 {
		t.Errorf("holder: status %d, want 200", rec.Code)
	}
	if rec := <-second; rec.Code != 200 {
		t.Errorf("waiter: status %d after room was released, want 200 (body %s)", rec.Code, rec.Body)
	}
}

func TestBodyBudgetIsReleasedWhenRequestsFinish(t *testing.T) {
	const budget = 64 << 10
	// No wait: a request finds the whole budget free, or is refused.
	e := newBudgetEnv(t, budget, budget, 0)
	full := func() *http.Request { return upload("/v1/echo", budget, false) }
	steps := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"decoded", full(), 200},
		{"chunked", upload("/v1/echo", budget, true), 200},
		{"invalid JSON", request("POST", "/v1/echo", strings.Repeat("{", budget), "Content-Type", "application/json"), 400},
		{"too large", upload("/v1/echo", budget+1, true), 413},
		{"cut short", func() *http.Request {
			r := upload("/v1/echo", budget, false)
			r.Body = io.NopCloser(io.LimitReader(r.Body, 100))
			return r
		}(), 400},
		{"handler panics", upload("/v1/boom", budget, false), 500},
		{"unknown route", upload("/v1/nowhere", budget, false), 404},
	}
	for _, s := range steps {
		if rec := e.serve(s.req); rec.Code != s.status {
			t.Fatalf("%s: status %d, want %d (body %s)", s.name, rec.Code, s.status, rec.Body)
		}
		if n := httpadapter.BodyBudgetInUse(e.srv); n != 0 {
			t.Fatalf("after %s: %d bytes still reserved, want 0", s.name, n)
		}
		if rec := e.serve(full()); rec.Code != 200 {
			t.Fatalf("full-budget body after %s: status %d, want 200 (budget released)", s.name, rec.Code)
		}
	}

	// Many at once, then none: everything comes back.
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 32 {
		wg.Go(func() {
			if e.serve(upload("/v1/echo", 4<<10, false)).Code == 200 {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if n := httpadapter.BodyBudgetInUse(e.srv); n != 0 {
		t.Errorf("after 32 concurrent requests: %d bytes still reserved, want 0", n)
	}
	if ok.Load() == 0 {
		t.Errorf("no concurrent request succeeded")
	}
	if rec := e.serve(full()); rec.Code != 200 {
		t.Errorf("full-budget body after the concurrent ones: status %d, want 200", rec.Code)
	}
}

func TestBodyBudgetRefusesABodyLargerThanItAtOnce(t *testing.T) {
	// The adapter allows a budget below the body limit (the settings do
	// not): bodies between the two can never fit.
	const budget, max = 64 << 10, 128 << 10
	const wait = 5 * time.Second
	e := newBudgetEnv(t, budget, max, wait)
	refuse := func(name string, n int64, chunked bool, status, errno int) {
		t.Helper()
		start := time.Now()
		rec := e.serve(upload("/v1/echo", n, chunked))
		if rec.Code != status {
			t.Fatalf("%s: status %d, want %d (body %s)", name, rec.Code, status, rec.Body)
		}
		if got := decode(t, rec)["errno"]; got != float64(errno) {
			t.Errorf("%s: errno %v, want %d", name, got, errno)
		}
		if status == 503 && rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", name)
		}
		// Far below the wait: the refusal did not wait for room.
		if d := time.Since(start); d > wait/2 {
			t.Errorf("%s: answered after %v, want at once (the wait is %v)", name, d, wait)
		}
	}
	// Part of the budget is taken, so that refusing a declared length
	// after waiting for room would take the whole wait.
	holder := e.goServe(upload("/v1/hold", 8<<10, false))
	<-e.held
	refuse("declared above the budget", budget+1, false, 503, 201)
	refuse("declared above the body limit", max+1, false, 413, 113)
	e.unblock()
	if rec := <-holder; rec.Code != 200 {
		t.Errorf("holder: status %d, want 200", rec.Code)
	}
	// A chunked body is known to be too large only once read past the
	// budget (and before it, may wait for room like any other).
	refuse("chunked above the budget", budget+1, true, 503, 201)
	refuse("chunked above the body limit", max+1, true, 503, 201) // the budget is met first
	if rec := e.serve(upload("/v1/echo", budget, false)); rec.Code != 200 {
		t.Errorf("body of the budget's size: status %d, want 200 (body %s)", rec.Code, rec.Body)
	}
}

func TestBodyBudgetCountsAChunkedBodyAsItsBuffer(t *testing.T) {
	const budget, n = 1 << 20, 100 << 10
	e := newBudgetEnv(t, budget, budget, time.Second)
	done := e.goServe(upload("/v1/hold", n, true))
	if got := <-e.held; got != n {
		t.Fatalf("held %d bytes, want %d", got, n)
	}
	// 32 KiB, doubled until the body fits: 128 KiB reserved, no more.
	if got := httpadapter.BodyBudgetInUse(e.srv); got != 128<<10 {
		t.Errorf("reserved %d bytes for a %d-byte chunked body, want %d (its buffer)", got, n, 128<<10)
	}
	e.unblock()
	if rec := <-done; rec.Code != 200 {
		t.Errorf("status %d, want 200", rec.Code)
	}
	if got := httpadapter.BodyBudgetInUse(e.srv); got != 0 {
		t.Errorf("reserved %d bytes after the answer, want 0", got)
	}
}

// A batch's subrequests are cut from its body, which the batch already
// holds: they must not reserve again, or a large batch would wait for
// itself.
func TestBodyBudgetBatchSubrequestsShareTheBatchReservation(t *testing.T) {
	const budget = 64 << 10
	e := newBudgetEnv(t, budget, budget, 0)
	e.srv.MountBatch()
	big := strings.Repeat("x", 40<<10) // batch and subrequest could not both fit
	body, _ := json.Marshal(map[string]any{"requests": []any{
		map[string]any{"method": "POST", "path": "/echo", "body": map[string]any{"data": big}},
	}})
	rec := e.do("POST", "/v1/batch", string(body), "Content-Type", "application/json")
	if rec.Code != 200 {
		t.Fatalf("batch: status %d, want 200 (body %.200s)", rec.Code, rec.Body)
	}
	var out struct {
		Responses []struct{ Status int }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Responses) != 1 || out.Responses[0].Status != 200 {
		t.Errorf("batch responses %.200s, want one 200", rec.Body)
	}
	if got := httpadapter.BodyBudgetInUse(e.srv); got != 0 {
		t.Errorf("reserved %d bytes after the batch, want 0", got)
	}
}

// N concurrent uploads of the largest body hold at most the budget in
// memory: the heap, measured while as many as fit are held and the rest
// wait, grows by the budget plus a margin, not by N bodies. Without a
// budget the same measurement sees every body, which shows it can fail.
func TestBodyBudgetBoundsTheMemoryOfConcurrentUploads(t *testing.T) {
	const (
		body   = 1 << 20
		n      = 16
		budget = 4 * body
		margin = body / 2 // buffers, recorders, requests: well under a body
	)
	for _, tt := range []struct {
		name       string
		budget     int64
		held       int // handlers holding a body at the measure
		maxGrowth  int64
		minGrowth  int64
		waitingFor int64
	}{
		{"with a budget", budget, budget / body, budget + margin, 0, n - budget/body},
		{"without a budget", 0, n, 1 << 62, n*body - margin, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newBudgetEnv(t, tt.budget, body, 30*time.Second)
			reqs := make([]*http.Request, n)
			for i := range reqs {
				reqs[i] = upload("/v1/hold", body, false)
			}
			before := heapAlloc()

			answers := make([]<-chan *httptest.ResponseRecorder, n)
			for i, r := range reqs {
				answers[i] = e.goServe(r)
			}
			for range tt.held {
				<-e.held
			}
			eventually(t, "the other uploads to wait for room", func() bool {
				return httpadapter.BodyBudgetWaiting(e.srv) == tt.waitingFor
			})
			growth := int64(heapAlloc()) - int64(before)
			t.Logf("heap grew by %d bytes with %d bodies of %d held", growth, tt.held, body)
			if tt.budget > 0 {
				if got := httpadapter.BodyBudgetInUse(e.srv); got != tt.budget {
					t.Errorf("reserved %d bytes, want the whole budget %d", got, tt.budget)
				}
				if extra := len(e.held); extra != 0 {
					t.Errorf("%d more bodies held than the budget allows", extra)
				}
			}
			if growth > tt.maxGrowth || growth < tt.minGrowth {
				t.Errorf("heap grew by %d bytes with %d bodies held, want between %d and %d", growth, tt.held, tt.minGrowth, tt.maxGrowth)
			}

			e.unblock()
			for i, a := range answers {
				if rec := <-a; rec.Code != 200 {
					t.Errorf("upload %d: status %d, want 200 (body %s)", i, rec.Code, rec.Body)
				}
			}
			if got := httpadapter.BodyBudgetInUse(e.srv); got != 0 {
				t.Errorf("reserved %d bytes after every answer, want 0", got)
			}
		})
	}
}

// heapAlloc is the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
