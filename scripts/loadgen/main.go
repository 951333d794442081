// Command loadgen drives a running Kinto-compatible server for a fixed
// duration and prints its throughput; scripts/bench-pg.sh runs it. It
// creates what its scenario needs (a bucket, collections, a record) and
// then runs one of:
//
//	get    every client GETs the same record
//	post   client i POSTs records into collection i
//	batch  every client POSTs /batch requests of -batch record creations
//	       into one collection; the rate counts records, not requests
//	raw    every client GETs -url itself and nothing is created first
//	       (the hello view, or the bare server below)
//
// With -bare ADDR it runs no scenario and instead serves, on ADDR, a bare
// net/http handler answering every request with a fixed small JSON: the
// yardstick scripts/bench-http.sh compares the service with.
//
// Clients keep their connections alive. Any answer other than a 2xx (in
// a batch: any sub-response) stops the run with exit status 1, so that a
// figure is never computed over errors. The last line of output is
// "RESULT <per-second rate>".
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	base     string
	user     string
	password string
	mode     string
	clients  int
	duration time.Duration
	warmup   time.Duration
	batch    int
	timeout  time.Duration
	bucket   string
}

func main() {
	var o options
	var userpass string
	flag.StringVar(&o.base, "url", "http://127.0.0.1:8888/v1", "server root URL")
	flag.StringVar(&userpass, "user", "bench:bench", "Basic auth user:password")
	flag.StringVar(&o.mode, "mode", "get", "scenario: get, post, batch or raw")
	flag.IntVar(&o.clients, "c", 32, "concurrent clients")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured run before the measure")
	flag.IntVar(&o.batch, "batch", 25, "record creations per batch request (mode batch)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	flag.StringVar(&o.bucket, "bucket", "bench", "bucket the scenario writes in")
	bare := flag.String("bare", "", "serve the bare JSON handler on this address instead of running a scenario")
	flag.Parse()
	if *bare != "" {
		fatalf("%v", serveBare(*bare))
	}
	var ok bool
	o.user, o.password, ok = strings.Cut(userpass, ":")
	if !ok {
		fatalf("-user must be user:password")
	}
	if o.clients < 1 || o.duration <= 0 || o.warmup < 0 || o.batch < 1 || o.timeout <= 0 {
		fatalf("-c, -d, -batch and -timeout must be positive, -warmup not negative")
	}
	if err := run(o); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
	os.Exit(1)
}

// client is one Basic-auth user on a keep-alive transport shared by the
// workers.
type client struct {
	http           *http.Client
	user, password string
}

// do sends body as JSON and returns the answer's body; a non-2xx is an
// error carrying the status and body.
func (c *client) do(ctx context.Context, method, url string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, url, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return b, nil
}

// work is one unit of a scenario for worker i; it returns how many items
// (requests or records) it completed.
type work func(ctx context.Context, i int) (int, error)

func run(o options) error {
	tr := &http.Transport{MaxIdleConns: o.clients * 2, MaxIdleConnsPerHost: o.clients * 2, IdleConnTimeout: time.Minute}
	c := &client{http: &http.Client{Timeout: o.timeout, Transport: tr}, user: o.user, password: o.password}
	defer tr.CloseIdleConnections()

	w, unit, err := setup(c, o)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		measuring atomic.Bool
		count     atomic.Int64
		requests  atomic.Int64
		firstErr  error
		errOnce   sync.Once
		wg        sync.WaitGroup
	)
	for i := 0; i < o.clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for ctx.Err() == nil {
				n, err := w(ctx, i)
				if err != nil {
					if ctx.Err() != nil && errors.Is(err, context.Canceled) {
						return // the run is over, not a failure
					}
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				if measuring.Load() {
					count.Add(int64(n))
					requests.Add(1)
				}
			}
		}(i)
	}
	timer := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	timer(o.warmup)
	measuring.Store(true)
	start := time.Now()
	timer(o.duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	rate := float64(count.Load()) / elapsed.Seconds()
	counted := ""
	if unit != "requests" {
		counted = fmt.Sprintf(" %s=%d", unit, count.Load())
	}
	fmt.Printf("mode=%s clients=%d duration=%.2fs requests=%d%s rate=%.1f %s/s\n",
		o.mode, o.clients, elapsed.Seconds(), requests.Load(), counted, rate, unit)
	fmt.Printf("RESULT %.1f\n", rate)
	return nil
}

// setup creates the scenario's bucket, collections and record through the
// server and returns the work of one worker and what it counts.
func setup(c *client, o options) (work, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bucket := o.base + "/buckets/" + o.bucket
	if o.mode == "raw" {
		return rawWork(c, o), "requests", nil
	}
	put := func(url string, body string) error {
		var b []byte
		if body != "" {
			b = []byte(body)
		}
		_, err := c.do(ctx, http.MethodPut, url, b)
		return err
	}
	if err := put(bucket, ""); err != nil {
		return nil, "", err
	}
	payload := []byte(`{"data":{"title":"a record of the benchmark","done":false,"tags":["a","b"],"n":42}}`)
	switch o.mode {
	case "get":
		coll := bucket + "/collections/get"
		rec := coll + "/records/the-record"
		if err := put(coll, ""); err != nil {
			return nil, "", err
		}
		if err := put(rec, string(payload)); err != nil {
			return nil, "", err
		}
		return func(ctx context.Context, _ int) (int, error) {
			_, err := c.do(ctx, http.MethodGet, rec, nil)
			return 1, err
		}, "requests", nil
	case "post":
		urls := make([]string, o.clients)
		for i := range urls {
			coll := fmt.Sprintf("%s/collections/post-%d", bucket, i)
			if err := put(coll, ""); err != nil {
				return nil, "", err
			}
			urls[i] = coll + "/records"
		}
		return func(ctx context.Context, i int) (int, error) {
			_, err := c.do(ctx, http.MethodPost, urls[i], payload)
			return 1, err
		}, "requests", nil
	case "batch":
		// Not "batch": Kinto refuses any sub-request path containing "/batch".
		coll := "/buckets/" + o.bucket + "/collections/bulk"
		if err := put(o.base+coll, ""); err != nil {
			return nil, "", err
		}
		reqs := make([]map[string]any, o.batch)
		var rec any
		if err := json.Unmarshal(payload, &rec); err != nil {
			return nil, "", err
		}
		for i := range reqs {
			reqs[i] = map[string]any{"body": rec}
		}
		body, err := json.Marshal(map[string]any{
			"defaults": map[string]any{"method": "POST", "path": coll + "/records"},
			"requests": reqs,
		})
		if err != nil {
			return nil, "", err
		}
		return func(ctx context.Context, _ int) (int, error) {
			b, err := c.do(ctx, http.MethodPost, o.base+"/batch", body)
			if err != nil {
				return 0, err
			}
			return checkBatch(b, o.batch)
		}, "records", nil
	}
	return nil, "", fmt.Errorf("unknown -mode %q (want get, post, batch or raw)", o.mode)
}

// checkBatch requires want sub-responses, every one a 2xx.
func checkBatch(body []byte, want int) (int, error) {
	var out struct {
		Responses []struct {
			Status int             `json:"status"`
			Path   string          `json:"path"`
			Body   json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return 0, fmt.Errorf("batch: decode %q: %w", body, err)
	}
	if len(out.Responses) != want {
		return 0, fmt.Errorf("batch: %d responses, want %d", len(out.Responses), want)
	}
	for _, r := range out.Responses {
		if r.Status/100 != 2 {
			return 0, fmt.Errorf("batch: sub-request %s answered %d %s", r.Path, r.Status, r.Body)
		}
	}
	return want, nil
}

// rawWork GETs the -url itself.
func rawWork(c *client, o options) work {
	return func(ctx context.Context, _ int) (int, error) {
		_, err := c.do(ctx, http.MethodGet, o.base, nil)
		return 1, err
	}
}

// bareBody is about the size of a small record answer.
var bareBody = []byte(`{"data":{"id":"the-record","last_modified":1700000000000,"title":"a record of the benchmark","done":false,"tags":["a","b"],"n":42},"permissions":{}}` + "\n")

// serveBare serves bareBody to every request until the process is killed.
func serveBare(addr string) error {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bareBody)
	})
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
