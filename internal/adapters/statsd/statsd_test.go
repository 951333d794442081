package statsd_test

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/statsd"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// listen opens a UDP listener on loopback and returns its address and a
// function reading the lines of the packets received until quiet.
func listen(t *testing.T) (string, func() []string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String(), func() []string {
		var lines []string
		buf := make([]byte, 65536)
		for {
			_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return lines
			}
			if n == 0 {
				continue // the client's probe that something listens
			}
			lines = append(lines, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
		}
	}
}

func TestKeyShapes(t *testing.T) {
	addr, read := listen(t)
	m, err := statsd.NewMetrics(addr, statsd.Options{Prefix: "kinto", FlushPeriod: time.Hour})
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	defer m.Close()
	m.Timing("backend.storage.seconds", 1500*time.Microsecond, ports.Label{Name: "method", Value: "get"})
	m.Count("request_summary", 1, ports.Label{Name: "method", Value: "get"}, ports.Label{Name: "endpoint", Value: "hello"}, ports.Label{Name: "status", Value: "200"})
	m.Count("users", 1, ports.Label{Name: "auth", Value: "basicauth"}, ports.Label{Name: "userid", Value: "a:b|c"})
	m.Count("plain", 3)
	m.Observe("request_size", 42, ports.Label{Name: "method", Value: "get"})
	m.Gauge("heartbeat_healthy", 1, ports.Label{Name: "backend", Value: "storage"})
	m.Flush()
	got := read()
	want := []string{
		"kinto.backend.storage.seconds.method.get:1.5|ms",
		"kinto.request_summary:method.get.endpoint.hello.status.200|s",
		"kinto.users:auth.basicauth.userid.abc|s",
		"kinto.plain:3|c",
		"kinto.request_size:42|g",
		"kinto.heartbeat_healthy.backend.storage:1|g",
	}
	if !slices.Equal(got, want) {
		t.Errorf("packets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAddress(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"udp://localhost:8125", "localhost:8125"},
		{"udp://127.0.0.1", "127.0.0.1:8125"},
		{"udp://[::1]:9000", "[::1]:9000"},
	} {
		got, err := statsd.Address(c.in)
		if err != nil || got != c.want {
			t.Errorf("Address(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := statsd.Address("udp://:8125"); err == nil {
		t.Error("Address(no host): no error")
	}
}

// A daemon on loopback gets packets up to LoopbackPacketSize, never more,
// and a cached key stays right when the same labels come back.
func TestLoopbackPackets(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer pc.Close()
	m, err := statsd.NewMetrics(pc.LocalAddr().String(), statsd.Options{FlushPeriod: time.Hour})
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	defer m.Close()
	const n = 400 // ~40 bytes each: about two loopback packets
	for range n {
		m.Timing("backend.storage.seconds", time.Millisecond, ports.Label{Name: "method", Value: "get"})
	}
	m.Flush()
	var sizes []int
	lines := 0
	buf := make([]byte, 65536)
	for {
		_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		k, _, err := pc.ReadFrom(buf)
		if err != nil {
			break
		}
		if k == 0 {
			continue // the client's probe
		}
		sizes = append(sizes, k)
		for _, l := range strings.Split(strings.TrimSpace(string(buf[:k])), "\n") {
			if l != "backend.storage.seconds.method.get:1|ms" {
				t.Fatalf("line %q", l)
			}
			lines++
		}
	}
	if lines != n {
		t.Errorf("%d lines received, want %d", lines, n)
	}
	if len(sizes) == 0 || slices.Max(sizes) <= statsd.MaxPacketSize || slices.Max(sizes) > statsd.LoopbackPacketSize {
		t.Errorf("packet sizes %v: want some over %d, none over %d", sizes, statsd.MaxPacketSize, statsd.LoopbackPacketSize)
	}
}

// A bound handle sends exactly the line of the matching plain call.
func TestBoundHandles(t *testing.T) {
	addr, read := listen(t)
	m, err := statsd.NewMetrics(addr, statsd.Options{Prefix: "kinto", FlushPeriod: time.Hour})
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	defer m.Close()
	get := ports.Label{Name: "method", Value: "get"}
	ports.BindTimer(m, "backend.storage.seconds", get).Time(1500 * time.Microsecond)
	ports.BindCounter(m, "request_summary", get, ports.Label{Name: "endpoint", Value: "hello"}, ports.Label{Name: "status", Value: "200"}).Add(1)
	ports.BindCounter(m, "plain").Add(3)
	ports.BindObserver(m, "request_size", get).Observe(42)
	m.Flush()
	got := read()
	want := []string{
		"kinto.backend.storage.seconds.method.get:1.5|ms",
		"kinto.request_summary:method.get.endpoint.hello.status.200|s",
		"kinto.plain:3|c",
		"kinto.request_size:42|g",
	}
	if !slices.Equal(got, want) {
		t.Errorf("packets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Measurements sent after Close are dropped, never a panic.
func TestAfterClose(t *testing.T) {
	addr, _ := listen(t)
	m, err := statsd.NewMetrics(addr, statsd.Options{})
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	m.Close()
	m.Timing("late", time.Second)
	ports.BindCounter(m, "late").Add(1)
	m.Flush()
	m.Close()
}

// Measurements reach the daemon in the order they were made, whether the
// drainer or Flush hands them to the client, and many more than one
// drain's worth are all sent.
func TestQueuedInOrder(t *testing.T) {
	addr, read := listen(t)
	m, err := statsd.NewMetrics(addr, statsd.Options{FlushPeriod: time.Hour})
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	defer m.Close()
	const n = 2000
	for i := range n {
		m.Count("c"+strconv.Itoa(i), 1)
	}
	m.Flush()
	var got []string
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		got = append(got, read()...)
	}
	if len(got) != n {
		t.Fatalf("received %d lines, want %d", len(got), n)
	}
	for i, line := range got {
		if want := "c" + strconv.Itoa(i) + ":1|c"; line != want {
			t.Fatalf("line %d = %q, want %q", i, line, want)
		}
	}
}

// errorsOf returns an OnError that records, and what it recorded.
func errorsOf() (func(error), func() []error) {
	var mu sync.Mutex
	var errs []error
	return func(e error) {
			mu.Lock()
			errs = append(errs, e)
			mu.Unlock()
		}, func() []error {
			mu.Lock()
			defer mu.Unlock()
			return append([]error(nil), errs...)
		}
}

// Closing twice, and measuring or flushing after Close, neither writes to
// the closed socket nor reports an error: late measurements are dropped.
func TestCloseIsFinal(t *testing.T) {
	addr, read := listen(t)
	onError, errs := errorsOf()
	m, err := statsd.NewMetrics(addr, statsd.Options{OnError: onError, FlushPeriod: time.Hour})
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	m.Count("before", 1)
	m.Close()
	m.Close()
	m.Timing("late", time.Second)
	ports.BindCounter(m, "late").Add(1)
	m.Flush()
	if got := errs(); len(got) != 0 {
		t.Errorf("errors after Close: %v", got)
	}
	if got := read(); !slices.Equal(got, []string{"before:1|c"}) {
		t.Errorf("packets %q, want only the measurement made before Close", got)
	}
}
