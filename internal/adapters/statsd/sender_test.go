package statsd

import (
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendMillis(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{time.Millisecond, "1"},
		{1500 * time.Microsecond, "1.5"},
		{1, "0.000001"},
		{12*time.Millisecond + 3450*time.Nanosecond, "12.00345"},
		{-2500 * time.Microsecond, "-2.5"},
		{90 * time.Second, "90000"},
	} {
		if got := string(appendMillis(nil, c.d)); got != c.want {
			t.Errorf("appendMillis(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestAppendNumber(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{42, "42"}, {0.25, "0.25"}, {-3, "-3"}, {1e20, "100000000000000000000"}} {
		if got := string(appendNumber(nil, c.v)); got != c.want {
			t.Errorf("appendNumber(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// stalledConn is a socket whose writes all wait until release is closed;
// it records every packet.
type stalledConn struct {
	net.Conn
	release chan struct{}
	mu      sync.Mutex
	packets []string
	first   sync.Once
	started chan struct{}
}

func (c *stalledConn) Write(b []byte) (int, error) {
	c.first.Do(func() { close(c.started) })
	<-c.release
	c.mu.Lock()
	c.packets = append(c.packets, string(b))
	c.mu.Unlock()
	return len(b), nil
}

func (c *stalledConn) Close() error { return nil }

// With the writer stuck, the queue fills and then the measurement that
// fills a packet sends it itself: no line is lost.
func TestQueueFullSendsInline(t *testing.T) {
	c := &stalledConn{release: make(chan struct{}), started: make(chan struct{})}
	s := newSender(c, 100, time.Hour, func(err error) { t.Errorf("onError: %v", err) })
	const line = "k:1|c" // 6 bytes with its newline: 16 per packet
	// The writer takes at most maxQueued packets before it is stuck: twice
	// as many and more fill the queue again, whenever it woke.
	const n = (2*maxQueued + 4) * 17
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			s.count("", "k", 1)
		}
	}()
	<-c.started // the writer, woken, is stuck on its first packet
	// The measurements block in the inline send only, once the queue is
	// full: release the writes then.
	for s.inline.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(c.release)
	<-done
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, p := range c.packets {
		for _, l := range strings.Split(p, "\n") {
			if l != line {
				t.Fatalf("line %q", l)
			}
			lines++
		}
	}
	if lines != n {
		t.Errorf("%d lines, want %d", lines, n)
	}
}

// The writer sends on its own once wakeAt packets wait, without a flush.
func TestWakeAtFullPackets(t *testing.T) {
	c := &stalledConn{release: make(chan struct{}), started: make(chan struct{})}
	close(c.release)
	s := newSender(c, 100, time.Hour, func(err error) { t.Errorf("onError: %v", err) })
	defer s.close()
	for range wakeAt*16 + 1 {
		s.count("", "k", 1)
	}
	select {
	case <-c.started:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing sent")
	}
}
