// Command apicheck stands in for the server binary of the end-to-end
// suite: run as the server would be, it starts the real one (APICHECK_KINTO)
// with the same arguments and environment on another loopback port, and
// serves KINTO_LISTEN_HOST:KINTO_HTTP_PORT itself as a reverse proxy to it.
// Every exchange is validated with kin-openapi against the document the
// server serves on /v1/__api__; each one that does not validate is
// appended, as a JSON line, to the file APICHECK_REPORT, which
// scripts/e2e.sh reads at the end of the suite.
//
// The request is validated only when the server accepted it (status below
// 400): the suite sends invalid requests on purpose, and a request the
// server refuses may well be one the document refuses too. A request the
// server accepted and the document refuses, or any answer that the
// document does not describe, is a finding.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cliquet-go/cliquet/internal/apicheck"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "apicheck: %v\n", err)
		os.Exit(1)
	}
}

// finding is one exchange that does not validate, as written to the report.
type finding struct {
	Method       string `json:"method"`
	URL          string `json:"url"`
	Status       int    `json:"status"`
	Error        string `json:"error"`
	RequestBody  string `json:"request_body,omitempty"`
	ResponseBody string `json:"response_body,omitempty"`
}

func run() error {
	target, report := os.Getenv("APICHECK_KINTO"), os.Getenv("APICHECK_REPORT")
	if target == "" || report == "" {
		return errors.New("APICHECK_KINTO (the server binary) and APICHECK_REPORT (the findings file) must be set")
	}
	host := os.Getenv("KINTO_LISTEN_HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	listen := net.JoinHostPort(host, os.Getenv("KINTO_HTTP_PORT"))
	// Bind first, so that a port lost to another process fails as the
	// server would (the harness retries on "address already in use").
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	backend, err := freePort(host)
	if err != nil {
		return err
	}

	child := exec.Command(target, os.Args[1:]...)
	child.Env = append(os.Environ(), "KINTO_HTTP_PORT="+strconv.Itoa(backend))
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return fmt.Errorf("start %s: %w", target, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()

	origin := "http://" + net.JoinHostPort(host, strconv.Itoa(backend))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	doc, err := fetchDocument(ctx, origin, listen, exited)
	if err != nil {
		_ = child.Process.Kill()
		return err
	}
	checker, err := apicheck.New(ctx, doc)
	if err != nil {
		_ = child.Process.Kill()
		return fmt.Errorf("the served document: %w", err)
	}
	p := &proxy{origin: origin, checker: checker, report: report, client: &http.Client{
		// Redirects are the clients' business; answers go back as they are.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()

	select {
	case err := <-exited:
		_ = srv.Close()
		return fmt.Errorf("server exited: %v", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	_ = child.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = child.Process.Kill()
	}
	return nil
}

// freePort asks the kernel for an unused port on host.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// fetchDocument waits for the server to answer and reads its document as
// served to clients of the proxy (its server URL names the proxy).
func fetchDocument(ctx context.Context, origin, publicHost string, exited <-chan error) ([]byte, error) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("server exited before answering: %v", err)
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, origin+"/v1/__api__", nil)
		req.Host = publicHost
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, readErr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if readErr == nil && resp.StatusCode == http.StatusOK {
				return body, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, errors.New("the server did not serve /v1/__api__ within 15s")
}

// proxy forwards every request to the server and validates the exchange.
type proxy struct {
	origin  string
	checker *apicheck.Checker
	client  *http.Client
	report  string
	mu      sync.Mutex // serializes appends to report
}

// hopHeaders are not forwarded (RFC 9110 §7.6.1).
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "apicheck: reading the request: "+err.Error(), http.StatusBadGateway)
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, p.origin+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "apicheck: "+err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.Host = r.Host // absolute URLs in answers name the proxy
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, "apicheck: forwarding: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	header := resp.Header.Clone()
	for _, h := range hopHeaders {
		header.Del(h)
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	// A change stream never ends: it is relayed as it comes, its status
	// and headers checked, not its body.
	streaming := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream")
	var answer []byte
	if !streaming {
		answer, err = io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, "apicheck: reading the answer: "+err.Error(), http.StatusBadGateway)
			return
		}
	}
	x := apicheck.Exchange{Request: r, RequestBody: body, Status: resp.StatusCode, Header: header, Body: answer}
	if err := p.checker.Check(r.Context(), x, resp.StatusCode < 400); err != nil && !streaming {
		p.record(x, err)
	}
	w.WriteHeader(resp.StatusCode)
	if !streaming {
		_, _ = w.Write(answer)
		return
	}
	relay(w, resp.Body)
}

// relay copies a stream, flushing each chunk to the client.
func relay(w http.ResponseWriter, body io.Reader) {
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// record appends a finding to the report and tells the server's log.
func (p *proxy) record(x apicheck.Exchange, err error) {
	f := finding{
		Method: x.Request.Method, URL: x.Request.URL.RequestURI(), Status: x.Status, Error: err.Error(),
		RequestBody: clip(x.RequestBody), ResponseBody: clip(x.Body),
	}
	line, _ := json.Marshal(f)
	fmt.Fprintf(os.Stderr, "apicheck: %s %s: %d does not match the OpenAPI document: %v\n", f.Method, f.URL, f.Status, err)
	p.mu.Lock()
	defer p.mu.Unlock()
	file, openErr := os.OpenFile(p.report, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if openErr != nil {
		fmt.Fprintf(os.Stderr, "apicheck: report %s: %v\n", p.report, openErr)
		return
	}
	defer file.Close()
	_, _ = file.Write(append(line, '\n'))
}

// clip shortens a body for the report.
func clip(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
