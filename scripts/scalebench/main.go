// Command scalebench measures how list reads behave on a large collection
// of a running Kinto-compatible server; scripts/bench-scale-pg.sh,
// bench-scale-redis.sh and bench-scale-memory.sh run it. Modes:
//
//	load     creates -records records in -bucket/-collection through
//	         POST /batch (-batch creations per request, -c requests at a
//	         time); each record has the fields the scenarios filter on
//	         (kind = i % 10, group = i % 10000) and a pad of -size bytes
//	measure  one client, one request at a time: the p50 and p90 latency
//	         of the first page and of a page -depth records deep (reached
//	         by following Next-Page from pages of -walk records, then
//	         fetched again and again with _limit=10) in the default order,
//	         -last_modified and last_modified, of filtered pages, of HEAD
//	         (Total-Objects) and of a plain GET of the list; prints a table
//	         and the deep/first ratios
//	get      -c clients GET one record of the collection for -d; prints
//	         "RESULT <requests/s>"
//	delete   DELETE of the whole list; prints how many records went
//
// Every request must answer 2xx, else the run stops with exit status 1, so
// that no figure is computed over errors.
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
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	base       string
	user       string
	password   string
	bucket     string
	collection string
	records    int
	size       int
	batch      int
	clients    int
	duration   time.Duration
	depth      int
	walk       int
	iterations int
	timeout    time.Duration
}

func main() {
	var o options
	var userpass string
	mode := flag.String("mode", "measure", "load, measure, get or delete")
	flag.StringVar(&o.base, "url", "http://127.0.0.1:8888/v1", "server root URL")
	flag.StringVar(&userpass, "user", "bench:bench", "Basic auth user:password")
	flag.StringVar(&o.bucket, "bucket", "scale", "bucket of the collection")
	flag.StringVar(&o.collection, "collection", "records", "the collection measured")
	flag.IntVar(&o.records, "records", 100000, "records to create (mode load)")
	flag.IntVar(&o.size, "size", 0, "bytes of padding per record (mode load)")
	flag.IntVar(&o.batch, "batch", 25, "creations per batch request (mode load)")
	flag.IntVar(&o.clients, "c", 4, "concurrent clients (modes load and get)")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "measured duration (mode get)")
	flag.IntVar(&o.depth, "depth", 100000, "records before the deep page (mode measure)")
	flag.IntVar(&o.walk, "walk", 1000, "page size of the walk to the deep page (mode measure)")
	flag.IntVar(&o.iterations, "n", 50, "requests per measured scenario (mode measure)")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "timeout of one request")
	flag.Parse()
	var ok bool
	o.user, o.password, ok = strings.Cut(userpass, ":")
	if !ok {
		fatalf("-user must be user:password")
	}
	if o.records < 0 || o.size < 0 || o.batch < 1 || o.clients < 1 || o.depth < 0 || o.walk < 1 || o.iterations < 1 {
		fatalf("-records, -size and -depth must not be negative; -batch, -c, -walk and -n must be positive")
	}
	tr := &http.Transport{MaxIdleConns: o.clients * 2, MaxIdleConnsPerHost: o.clients * 2, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	c := &client{http: &http.Client{Timeout: o.timeout, Transport: tr}, user: o.user, password: o.password}
	var err error
	switch *mode {
	case "load":
		err = load(c, o)
	case "measure":
		err = measure(c, o)
	case "get":
		err = getRate(c, o)
	case "delete":
		err = deleteAll(c, o)
	default:
		err = fmt.Errorf("unknown -mode %q (want load, measure, get or delete)", *mode)
	}
	if err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scalebench: "+format+"\n", args...)
	os.Exit(1)
}

// client is one Basic-auth user on a keep-alive transport.
type client struct {
	http           *http.Client
	user, password string
}

// answer is what a request got back.
type answer struct {
	header http.Header
	body   []byte
}

// do sends body as JSON; a non-2xx is an error carrying status and body.
func (c *client) do(ctx context.Context, method, target string, body []byte) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return answer{}, err
	}
	req.SetBasicAuth(c.user, c.password)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s: read body: %w", method, target, err)
	}
	if resp.StatusCode/100 != 2 {
		return answer{}, fmt.Errorf("%s %s: %d %.300s", method, target, resp.StatusCode, b)
	}
	return answer{header: resp.Header, body: b}, nil
}

func (o options) bucketURL() string { return o.base + "/buckets/" + o.bucket }

func (o options) collectionPath() string {
	return "/buckets/" + o.bucket + "/collections/" + o.collection
}

func (o options) recordsURL() string { return o.base + o.collectionPath() + "/records" }

// record returns the data of the i-th record of a load.
func record(i, size int) map[string]any {
	d := map[string]any{
		"title": "record " + strconv.Itoa(i),
		"kind":  i % 10,
		"group": i % 10000,
		"n":     i,
	}
	if size > 0 {
		d["pad"] = strings.Repeat("x", size)
	}
	return d
}

// load creates the bucket, the collection and o.records records.
func load(c *client, o options) error {
	ctx := context.Background()
	if _, err := c.do(ctx, http.MethodPut, o.bucketURL(), nil); err != nil {
		return err
	}
	if _, err := c.do(ctx, http.MethodPut, o.base+o.collectionPath(), nil); err != nil {
		return err
	}
	batches := (o.records + o.batch - 1) / o.batch
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.clients)
	start := time.Now()
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b := int(next.Add(1)) - 1
				if b >= batches {
					return
				}
				first, last := b*o.batch, min((b+1)*o.batch, o.records)
				if err := createBatch(ctx, c, o, first, last); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("loaded %d records in %.1fs (%.0f records/s)\n", o.records, elapsed.Seconds(), float64(o.records)/elapsed.Seconds())
	return nil
}

// createBatch creates records first..last-1 in one batch request.
func createBatch(ctx context.Context, c *client, o options, first, last int) error {
	reqs := make([]map[string]any, 0, last-first)
	for i := first; i < last; i++ {
		reqs = append(reqs, map[string]any{"body": map[string]any{"data": record(i, o.size)}})
	}
	body, err := json.Marshal(map[string]any{
		"defaults": map[string]any{"method": "POST", "path": o.collectionPath() + "/records"},
		"requests": reqs,
	})
	if err != nil {
		return err
	}
	a, err := c.do(ctx, http.MethodPost, o.base+"/batch", body)
	if err != nil {
		return err
	}
	var out struct {
		Responses []struct {
			Status int             `json:"status"`
			Body   json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(a.body, &out); err != nil {
		return fmt.Errorf("batch: decode: %w", err)
	}
	if len(out.Responses) != last-first {
		return fmt.Errorf("batch: %d responses, want %d", len(out.Responses), last-first)
	}
	for _, r := range out.Responses {
		if r.Status/100 != 2 {
			return fmt.Errorf("batch: sub-request answered %d %.300s", r.Status, r.Body)
		}
	}
	return nil
}

// scenario is one measured request.
type scenario struct {
	name   string
	method string
	url    string
	n      int
}

// result is the latency of one scenario.
type result struct {
	scenario
	p50, p90 time.Duration
	objects  int // objects in the last answer's body (or Total-Objects)
}

// measure runs the scenarios and prints their table.
func measure(c *client, o options) error {
	ctx := context.Background()
	list := o.recordsURL()
	var scenarios []scenario
	for _, order := range []struct{ name, sort string }{
		{"default order", ""},
		{"_sort=-last_modified", "-last_modified"},
		{"_sort=last_modified", "last_modified"},
	} {
		q := url.Values{}
		if order.sort != "" {
			q.Set("_sort", order.sort)
		}
		q.Set("_limit", "10")
		first := list + "?" + q.Encode()
		deep, reached, err := walk(ctx, c, list, order.sort, o.depth, o.walk)
		if err != nil {
			return fmt.Errorf("walk %s: %w", order.name, err)
		}
		fmt.Printf("walked %d records in %s to the deep page\n", reached, order.name)
		scenarios = append(scenarios,
			scenario{name: "first page, " + order.name, method: http.MethodGet, url: first, n: o.iterations},
			scenario{name: fmt.Sprintf("page after %d, %s", reached, order.name), method: http.MethodGet, url: deep, n: o.iterations},
		)
	}
	scenarios = append(scenarios,
		scenario{name: "filtered kind=3 (1 in 10)", method: http.MethodGet, url: list + "?kind=3&_limit=10", n: o.iterations},
		scenario{name: "filtered group=42 (1 in 10,000)", method: http.MethodGet, url: list + "?group=42&_limit=10", n: o.iterations},
		scenario{name: "filtered in_group=42,43", method: http.MethodGet, url: list + "?in_group=42,43&_limit=10", n: o.iterations},
		scenario{name: "HEAD (Total-Objects)", method: http.MethodHead, url: list, n: max(3, o.iterations/5)},
		scenario{name: "plain GET of the list", method: http.MethodGet, url: list, n: max(3, o.iterations/10)},
	)
	results := make([]result, 0, len(scenarios))
	for _, s := range scenarios {
		r, err := run(ctx, c, s)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	fmt.Printf("\n%-44s %10s %10s %9s\n", "scenario (one client, sequential)", "p50 ms", "p90 ms", "objects")
	for _, r := range results {
		fmt.Printf("%-44s %10.2f %10.2f %9d\n", r.name, ms(r.p50), ms(r.p90), r.objects)
	}
	fmt.Println()
	for i := 0; i+1 < 6; i += 2 {
		first, deep := results[i], results[i+1]
		ratio := ms(deep.p50) / ms(first.p50)
		verdict := "ok"
		if ratio > 1.5 {
			verdict = "ABOVE target"
		}
		fmt.Printf("RATIO deep/first %-38s %.2f (target <= 1.5) %s\n", strings.TrimPrefix(deep.name, "page after "), ratio, verdict)
	}
	head, plain := results[len(results)-2], results[len(results)-1]
	fmt.Printf("RATIO HEAD/first page %.2f; plain GET returned %d objects, %.1f µs per object\n",
		ms(head.p50)/ms(results[0].p50), plain.objects, 1000*ms(plain.p50)/float64(max(1, plain.objects)))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// walk follows Next-Page from the first page of pages of size, in order
// sort ("" for the default), until depth records went by, and returns the
// next page's URL with _limit=10 and how many records it skips.
func walk(ctx context.Context, c *client, list, order string, depth, size int) (string, int, error) {
	q := url.Values{}
	if order != "" {
		q.Set("_sort", order)
	}
	q.Set("_limit", strconv.Itoa(min(size, max(depth, 1))))
	next := list + "?" + q.Encode()
	seen := 0
	for seen < depth {
		a, err := c.do(ctx, http.MethodGet, next, nil)
		if err != nil {
			return "", 0, err
		}
		n, err := countObjects(a.body)
		if err != nil {
			return "", 0, err
		}
		seen += n
		next = a.header.Get("Next-Page")
		if next == "" {
			return "", 0, fmt.Errorf("no Next-Page after %d records: the list is shorter than -depth", seen)
		}
		if left := depth - seen; left > 0 && left < size {
			next = withLimit(next, left)
		}
	}
	return withLimit(next, 10), seen, nil
}

// withLimit returns target with _limit set to n.
func withLimit(target string, n int) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	q.Set("_limit", strconv.Itoa(n))
	u.RawQuery = q.Encode()
	return u.String()
}

// countObjects returns the length of a list answer's data.
func countObjects(body []byte) (int, error) {
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, fmt.Errorf("decode list page: %w", err)
	}
	return len(page.Data), nil
}

// run sends s.n requests one after the other, after two unmeasured ones.
func run(ctx context.Context, c *client, s scenario) (result, error) {
	durations := make([]time.Duration, 0, s.n)
	var last answer
	for i := -2; i < s.n; i++ {
		start := time.Now()
		a, err := c.do(ctx, s.method, s.url, nil)
		if err != nil {
			return result{}, fmt.Errorf("%s: %w", s.name, err)
		}
		if i >= 0 {
			durations = append(durations, time.Since(start))
		}
		last = a
	}
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	r := result{scenario: s, p50: durations[len(durations)/2], p90: durations[len(durations)*9/10]}
	if s.method == http.MethodHead {
		r.objects, _ = strconv.Atoi(last.header.Get("Total-Objects"))
	} else {
		n, err := countObjects(last.body)
		if err != nil {
			return result{}, fmt.Errorf("%s: %w", s.name, err)
		}
		r.objects = n
	}
	if s.method == http.MethodGet && strings.Contains(s.url, "_limit=10") && r.objects == 0 {
		return result{}, fmt.Errorf("%s: empty page", s.name)
	}
	return r, nil
}

// getRate runs o.clients clients GETting one record for o.duration.
func getRate(c *client, o options) error {
	ctx := context.Background()
	a, err := c.do(ctx, http.MethodGet, o.recordsURL()+"?_limit=1", nil)
	if err != nil {
		return err
	}
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &page); err != nil || len(page.Data) == 0 {
		return errors.Join(errors.New("no record to GET"), err)
	}
	target := o.recordsURL() + "/" + page.Data[0].ID
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		measuring atomic.Bool
		count     atomic.Int64
		firstErr  error
		once      sync.Once
		wg        sync.WaitGroup
	)
	for range o.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := c.do(ctx, http.MethodGet, target, nil); err != nil {
					if ctx.Err() == nil {
						once.Do(func() { firstErr = err; cancel() })
					}
					return
				}
				if measuring.Load() {
					count.Add(1)
				}
			}
		}()
	}
	wait := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	wait(time.Second) // warm-up
	measuring.Store(true)
	start := time.Now()
	wait(o.duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	rate := float64(count.Load()) / elapsed.Seconds()
	fmt.Printf("GET one record: clients=%d duration=%.1fs rate=%.0f req/s\n", o.clients, elapsed.Seconds(), rate)
	fmt.Printf("RESULT %.1f\n", rate)
	return nil
}

// deleteAll deletes every record of the collection: DELETE of the list
// deletes at most a page (storage_max_fetch_size), so it repeats until a
// DELETE finds nothing left.
func deleteAll(c *client, o options) error {
	start := time.Now()
	total := 0
	for {
		a, err := c.do(context.Background(), http.MethodDelete, o.recordsURL(), nil)
		if err != nil {
			return err
		}
		n, err := countObjects(a.body)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		total += n
	}
	fmt.Printf("deleted %d records in %.1fs\n", total, time.Since(start).Seconds())
	return nil
}
