// Package statsd is the StatsD adapter of ports.Metrics: it sends Kinto's
// measurements as StatsD packets over UDP, with the key shapes of Kinto's
// StatsD plugin, so that existing dashboards keep working.
package statsd

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	alexstatsd "github.com/alexcesaro/statsd"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var (
	_ ports.Metrics = (*Metrics)(nil)
	_ ports.Binder  = (*Metrics)(nil)
)

// DefaultPort is the StatsD port used when statsd_url names none, as
// Kinto's client does.
const DefaultPort = 8125

// MaxPacketSize is the largest packet sent over a network: 1440 bytes
// stays under the MTU of an Ethernet path with IPv6 and tunnel headers, so
// that a packet is never fragmented (a lost fragment loses the whole
// packet).
const MaxPacketSize = 1440

// LoopbackPacketSize is the largest packet sent to a daemon on a loopback
// address (a local agent, the usual deployment). Loopback's MTU is 64 KiB,
// so these packets are never fragmented either, and each one saves five
// sends: a send costs the sender both ends of the delivery, and was most
// of what measuring cost a request.
const LoopbackPacketSize = 8192

// packetSize is the largest packet for a daemon at addr (host:port).
func packetSize(addr string) int {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return MaxPacketSize
	}
	if host == "localhost" {
		return LoopbackPacketSize
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return LoopbackPacketSize
	}
	return MaxPacketSize
}

// Options configure a Metrics.
type Options struct {
	// Prefix starts every key ("kinto"); a dot separates it from the key.
	Prefix string
	// FlushPeriod is how long measurements wait in the buffer before they
	// are sent (0: the client's default, 100ms). Packets are also sent
	// when full (1440 bytes, under a typical MTU).
	FlushPeriod time.Duration
	// OnError is told of send failures (nil: ignored). It is called at
	// most once per ErrorInterval so that a daemon that is down does not
	// flood the logs.
	OnError       func(error)
	ErrorInterval time.Duration
}

// Metrics sends measurements to a StatsD daemon through alexcesaro/statsd's
// buffered client, driven by a goroutine of its own: a measurement costs a
// request one append to a queue, never a send.
type Metrics struct {
	client atomic.Pointer[alexstatsd.Client] // nil until the daemon answers
	stop   chan struct{}
	// closing guards closed against the retry storing a client late.
	closing sync.Mutex
	closed  bool
	// queue takes the measurements from the requests to the goroutine
	// that drives the client (see queue.go).
	queue *queue

	// keys caches the label-extended keys of timers and gauges, sets the
	// joined labels of counters, so that a measurement seen before costs a
	// map lookup rather than string building.
	keys, sets keyCache
}

// Address returns the host:port of a statsd_url ("udp://localhost:8125").
func Address(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("parse statsd url: %w", err)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("statsd url %q has no host", rawURL)
	}
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(DefaultPort)
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// NewMetrics opens a UDP client to addr (host:port). It fails when the
// address does not resolve; when nothing listens there yet, measurements
// are dropped until a retry every few seconds finds the daemon.
func NewMetrics(addr string, opts Options) (*Metrics, error) {
	o := []alexstatsd.Option{alexstatsd.Address(addr), alexstatsd.Network("udp")}
	if opts.Prefix != "" {
		o = append(o, alexstatsd.Prefix(opts.Prefix))
	}
	if opts.FlushPeriod > 0 {
		o = append(o, alexstatsd.FlushPeriod(opts.FlushPeriod))
	}
	// Measurements are buffered and sent together, by the client's own
	// goroutine every FlushPeriod, or as soon as a packet is full.
	o = append(o, alexstatsd.MaxPacketSize(packetSize(addr)))
	if opts.OnError != nil {
		o = append(o, alexstatsd.ErrorHandler(throttle(opts.OnError, opts.ErrorInterval)))
	}
	m := &Metrics{stop: make(chan struct{}), queue: newQueue()}
	c, err := alexstatsd.New(o...)
	var op *net.OpError
	switch {
	case err == nil:
		m.client.Store(c)
	case errors.As(err, &op) && op.Op == "write":
		// Nothing listens yet (the client probes the port and mutes
		// itself for good on refusal): retry in the background rather
		// than refuse to start or lose the metrics forever.
		if opts.OnError != nil {
			opts.OnError(fmt.Errorf("statsd daemon at %s not answering, retrying every %v: %w", addr, retryPeriod, err))
		}
		go m.retry(o)
	default:
		return nil, fmt.Errorf("statsd client for %s: %w", addr, err)
	}
	go m.queue.run(m.client.Load)
	return m, nil
}

// retryPeriod is how often a client whose daemon was down tries again.
const retryPeriod = 5 * time.Second

func (m *Metrics) retry(o []alexstatsd.Option) {
	t := time.NewTicker(retryPeriod)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			if c, err := alexstatsd.New(o...); err == nil {
				// Under closing, so that Close either sees this client
				// and closes it, or has closed first and this one goes.
				m.closing.Lock()
				if m.closed {
					c.Close()
				} else {
					m.client.Store(c)
				}
				m.closing.Unlock()
				return
			}
		}
	}
}

// throttle calls f at most once per interval.
func throttle(f func(error), interval time.Duration) func(error) {
	var last atomic.Int64
	return func(err error) {
		now := time.Now().UnixNano()
		prev := last.Load()
		if prev != 0 && now-prev < int64(interval) {
			return
		}
		if last.CompareAndSwap(prev, now) {
			f(err)
		}
	}
}

// record hands ms to the drainer. It is dropped when the daemon is not
// known yet or the adapter is closed, and sent from this goroutine when
// the queue is full.
func (m *Metrics) record(ms measurement) {
	if m.client.Load() == nil {
		return
	}
	switch m.queue.push(ms) {
	case queued, closedQueue:
	case fullQueue:
		if c := m.client.Load(); c != nil {
			ms.send(c)
		}
	}
}

// Timing sends a timer in milliseconds; the labels extend the key
// ("backend.storage.seconds.method.get"), as in Kinto's plugin.
func (m *Metrics) Timing(key string, d time.Duration, labels ...ports.Label) {
	m.record(measurement{kind: timing, key: m.keys.get(key, labels, true), value: millis(d)})
}

// millis is d in (fractional) milliseconds, a StatsD timer's unit.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Observe sends a gauge of the key alone: Kinto's plugin drops the labels
// of an observation.
func (m *Metrics) Observe(key string, value float64, _ ...ports.Label) {
	m.record(measurement{kind: gauge, key: key, value: value})
}

// Count sends a counter without labels, and a set of the joined labels
// ("method.get.endpoint.hello.status.200") with them, as Kinto's plugin
// does: the StatsD daemon then counts distinct label combinations.
func (m *Metrics) Count(key string, n int, labels ...ports.Label) {
	if len(labels) == 0 {
		m.record(measurement{kind: count, key: key, n: n})
		return
	}
	m.record(measurement{kind: unique, key: key, set: m.sets.get(key, labels, false)})
}

// Gauge sends a gauge whose key the labels extend, as timers do.
func (m *Metrics) Gauge(key string, value float64, labels ...ports.Label) {
	m.record(measurement{kind: gauge, key: m.keys.get(key, labels, true), value: value})
}

// BindTimer returns a timer whose label-extended key is built once, so that
// each measurement is one queued record.
func (m *Metrics) BindTimer(key string, labels ...ports.Label) ports.Timer {
	return boundTimer{m: m, key: build(key, labels, true)}
}

// BindCounter returns a counter whose set value (the joined labels) is
// built once; without labels, a plain counter, as Count.
func (m *Metrics) BindCounter(key string, labels ...ports.Label) ports.Counter {
	if len(labels) == 0 {
		return boundCounter{m: m, key: key}
	}
	return boundSet{m: m, key: key, value: joinLabels(labels)}
}

// BindObserver returns an observer sending gauges of key alone, as Observe.
func (m *Metrics) BindObserver(key string, _ ...ports.Label) ports.Observer {
	return boundGauge{m: m, key: key}
}

type boundTimer struct {
	m   *Metrics
	key string
}

func (b boundTimer) Time(d time.Duration) {
	b.m.record(measurement{kind: timing, key: b.key, value: millis(d)})
}

type boundCounter struct {
	m   *Metrics
	key string
}

func (b boundCounter) Add(n int) { b.m.record(measurement{kind: count, key: b.key, n: n}) }

type boundSet struct {
	m          *Metrics
	key, value string
}

func (b boundSet) Add(int) { b.m.record(measurement{kind: unique, key: b.key, set: b.value}) }

type boundGauge struct {
	m   *Metrics
	key string
}

func (b boundGauge) Observe(value float64) {
	b.m.record(measurement{kind: gauge, key: b.key, value: value})
}

// Flush hands the client what is queued, then has it send its buffer.
func (m *Metrics) Flush() {
	c := m.client.Load()
	m.queue.drain(c)
	if c != nil {
		c.Flush()
	}
}

// Close sends what is queued and buffered and closes the connection; later
// measurements are dropped. Closing again does nothing.
func (m *Metrics) Close() error {
	m.closing.Lock()
	if m.closed {
		m.closing.Unlock()
		return nil
	}
	m.closed = true
	c := m.client.Swap(nil)
	m.closing.Unlock()
	close(m.stop)
	m.queue.close(c)
	if c != nil {
		c.Close()
	}
	return nil
}

// joinLabels writes labels as "name.value.name.value", without the colons
// that would break the StatsD line format (Telegraf refuses them; Kinto
// strips them too). Pipes and newlines are stripped for the same reason.
func joinLabels(labels []ports.Label) string {
	var b strings.Builder
	for i, l := range labels {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(l.Name)
		b.WriteByte('.')
		b.WriteString(sanitize(l.Value))
	}
	return b.String()
}

var unsafeChars = strings.NewReplacer(":", "", "|", "", "\n", "", "\r", "")

func sanitize(v string) string {
	if strings.ContainsAny(v, ":|\n\r") {
		return unsafeChars.Replace(v)
	}
	return v
}

// maxCachedLabels is the most labels a cached measurement has; Kinto's
// measurements have at most three.
const maxCachedLabels = 4

// maxCached bounds each cache: label values such as user ids are
// unbounded, and past this many tuples strings are built on each call.
const maxCached = 10000

// tuple identifies a key with its label names and values.
type tuple struct {
	key    string
	n      int
	names  [maxCachedLabels]string
	values [maxCachedLabels]string
}

// keyCache maps a tuple to the string sent for it: the key extended by the
// labels (extend), or the joined labels alone.
type keyCache struct {
	mu sync.RWMutex
	m  map[tuple]string
}

func (c *keyCache) get(key string, labels []ports.Label, extend bool) string {
	if len(labels) == 0 {
		return key
	}
	if len(labels) > maxCachedLabels {
		return build(key, labels, extend)
	}
	t := tuple{key: key, n: len(labels)}
	for i, l := range labels {
		t.names[i], t.values[i] = l.Name, l.Value
	}
	c.mu.RLock()
	s, ok := c.m[t]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = build(key, labels, extend)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[tuple]string{}
	}
	if len(c.m) < maxCached {
		c.m[t] = s
	}
	c.mu.Unlock()
	return s
}

func build(key string, labels []ports.Label, extend bool) string {
	if extend {
		return key + "." + joinLabels(labels)
	}
	return joinLabels(labels)
}
