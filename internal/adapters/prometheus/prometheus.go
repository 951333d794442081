// Package prometheus is the Prometheus adapter of ports.Metrics: it keeps
// Kinto's measurements in its own registry (never the process-wide default
// one, so that two servers in one process, as in tests, stay apart) and
// serves them in the Prometheus text format, with the names of Kinto's
// prometheus plugin.
package prometheus

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Metrics = (*Metrics)(nil)

// DefaultBuckets are Kinto's default histogram buckets in seconds (+Inf
// is implied).
var DefaultBuckets = []float64{0.01, 0.05, 0.1, 0.5, 1.0, 3.0, 6.0}

// Options configure a Metrics.
type Options struct {
	// Prefix starts every metric name once cleaned as Kinto cleans it
	// ("remote-settings" gives "remotesettings_"); empty: no prefix.
	Prefix string
	// Disabled are metric names (with or without the prefix) never
	// recorded: Kinto's prometheus_disabled_metrics.
	Disabled []string
	// Buckets are the histogram buckets of timings (nil: DefaultBuckets).
	Buckets []float64
	// OnError is told, once per metric, of a measurement dropped because
	// its labels or type differ from the metric's first use (nil: ignored).
	OnError func(error)
}

// Metrics records measurements as Prometheus collectors, created on first
// use of each key with that use's label names.
type Metrics struct {
	prefix   string
	disabled map[string]bool
	buckets  []float64
	onError  func(error)
	registry *prometheus.Registry

	mu      sync.RWMutex
	metrics map[string]*metric // by key as given; nil: disabled

	// children caches the collector child of each key and label values
	// seen, so that a measurement seen before costs one map lookup rather
	// than the vector's hashing and lookup of its label values.
	cmu      sync.RWMutex
	children map[tuple]any
}

// maxCachedLabels is the most labels a cached measurement has; Kinto's
// measurements have at most three.
const maxCachedLabels = 4

// maxCached bounds the child cache: label values such as user ids are
// unbounded, and past this many tuples children are found on each call.
const maxCached = 10000

// tuple identifies a measurement by kind, key and label names and values.
type tuple struct {
	kind   kind
	key    string
	n      int
	names  [maxCachedLabels]string
	values [maxCachedLabels]string
}

type kind uint8

const (
	histogram kind = iota
	summary
	counter
	gauge
)

var kindNames = [...]string{"histogram", "summary", "counter", "gauge"}

// metric is one collector and the label names it was created with.
type metric struct {
	kind     kind
	labels   []string
	rawNames []string // the label names as first given, compared on each use
	name     string   // the Prometheus name without the prefix
	vec      any      // *prometheus.{Histogram,Summary,Counter,Gauge}Vec
	warned   sync.Once
}

// NewMetrics builds an empty registry.
func NewMetrics(opts Options) *Metrics {
	m := &Metrics{
		prefix:   CleanPrefix(opts.Prefix),
		disabled: map[string]bool{},
		buckets:  opts.Buckets,
		onError:  opts.OnError,
		registry: prometheus.NewRegistry(),
		metrics:  map[string]*metric{},
	}
	if m.buckets == nil {
		m.buckets = DefaultBuckets
	}
	for _, d := range opts.Disabled {
		m.disabled[strings.TrimPrefix(fixName(d), m.prefix)] = true
	}
	return m
}

// CleanPrefix turns a prefix setting into the start of metric names, as
// Kinto does: separators become nothing, the result is lower-cased and
// ends with "_" ("kinto" gives "kinto_", "" gives "").
func CleanPrefix(p string) string {
	if p == "" {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(fixName(p), "_", "")) + "_"
}

// Prefix returns the cleaned prefix, for the hello capability.
func (m *Metrics) Prefix() string { return m.prefix }

// Disabled returns the disabled metric names, without the prefix, sorted.
func (m *Metrics) Disabled() []string {
	out := make([]string, 0, len(m.disabled))
	for d := range m.disabled {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// fixName makes a Kinto key a Prometheus name ("backend.storage.seconds"
// gives "backend_storage_seconds").
func fixName(s string) string {
	return nameFixer.Replace(s)
}

var nameFixer = strings.NewReplacer("-", "_", ".", "_", " ", "_")

// Timing observes d, in seconds, in a histogram.
func (m *Metrics) Timing(key string, d time.Duration, labels ...ports.Label) {
	if c := m.child(key, histogram, labels); c != nil {
		c.(prometheus.Observer).Observe(d.Seconds())
	}
}

// Observe records value in a summary (count and sum, no quantiles).
func (m *Metrics) Observe(key string, value float64, labels ...ports.Label) {
	if c := m.child(key, summary, labels); c != nil {
		c.(prometheus.Observer).Observe(value)
	}
}

// Count adds n to a counter named key + "_total", as Kinto's Python client
// names counters.
func (m *Metrics) Count(key string, n int, labels ...ports.Label) {
	if n < 0 {
		return // a counter never decreases; no caller counts negatively
	}
	if c := m.child(key, counter, labels); c != nil {
		c.(prometheus.Counter).Add(float64(n))
	}
}

// Gauge sets a gauge.
func (m *Metrics) Gauge(key string, value float64, labels ...ports.Label) {
	if c := m.child(key, gauge, labels); c != nil {
		c.(prometheus.Gauge).Set(value)
	}
}

// BindTimer returns a timer observing a histogram's child, found on first
// use (so that a bound but unused series stays out of the exposition).
func (m *Metrics) BindTimer(key string, labels ...ports.Label) ports.Timer {
	return boundObserver{h: m.bind(key, histogram, labels)}
}

// BindCounter returns a counter adding to a counter's child, found on
// first use.
func (m *Metrics) BindCounter(key string, labels ...ports.Label) ports.Counter {
	return boundCounter{h: m.bind(key, counter, labels)}
}

// BindObserver returns an observer recording in a summary's child, found
// on first use.
func (m *Metrics) BindObserver(key string, labels ...ports.Label) ports.Observer {
	return boundObserver{h: m.bind(key, summary, labels)}
}

// handle is a bound measurement: its child is resolved once, nil when the
// measurement is dropped (disabled, or its kind or labels differ from the
// metric's first use, which never changes afterwards).
type handle struct {
	m      *Metrics
	key    string
	kind   kind
	labels []ports.Label

	once     sync.Once
	observer prometheus.Observer
	counter  prometheus.Counter
}

func (m *Metrics) bind(key string, k kind, labels []ports.Label) *handle {
	return &handle{m: m, key: key, kind: k, labels: slices.Clone(labels)}
}

func (h *handle) resolve() {
	switch c := h.m.resolve(h.key, h.kind, h.labels).(type) {
	case prometheus.Counter:
		h.counter = c
	case prometheus.Observer:
		h.observer = c
	}
}

// boundObserver is a bound histogram (a Timer, in seconds) or summary.
type boundObserver struct{ h *handle }

func (b boundObserver) Time(d time.Duration) { b.Observe(d.Seconds()) }

func (b boundObserver) Observe(value float64) {
	b.h.once.Do(b.h.resolve)
	if b.h.observer != nil {
		b.h.observer.Observe(value)
	}
}

type boundCounter struct{ h *handle }

func (b boundCounter) Add(n int) {
	if n < 0 {
		return // as Count
	}
	b.h.once.Do(b.h.resolve)
	if b.h.counter != nil {
		b.h.counter.Add(float64(n))
	}
}

// child returns the collector child of key for these label values (a
// prometheus.Observer, Counter or Gauge by kind), nil when the measurement
// is dropped (disabled, or kind or label names differ from the first use).
// The tuple holds the label names, so a cached child is only ever reused
// for a use get accepted.
func (m *Metrics) child(key string, k kind, labels []ports.Label) any {
	if len(labels) > maxCachedLabels {
		return m.resolve(key, k, labels)
	}
	t := tuple{kind: k, key: key, n: len(labels)}
	for i, l := range labels {
		t.names[i], t.values[i] = l.Name, l.Value
	}
	m.cmu.RLock()
	c, ok := m.children[t]
	m.cmu.RUnlock()
	if ok {
		return c
	}
	c = m.resolve(key, k, labels)
	if c == nil {
		return nil // not cached: a dropped use warns once, through get
	}
	m.cmu.Lock()
	if m.children == nil {
		m.children = map[tuple]any{}
	}
	if len(m.children) < maxCached {
		m.children[t] = c
	}
	m.cmu.Unlock()
	return c
}

// resolve finds the child of key for labels through its vector.
func (m *Metrics) resolve(key string, k kind, labels []ports.Label) any {
	v, ok := m.get(key, k, labels)
	if !ok {
		return nil
	}
	vals := values(labels)
	switch k {
	case histogram:
		return v.(*prometheus.HistogramVec).WithLabelValues(vals...)
	case summary:
		return v.(*prometheus.SummaryVec).WithLabelValues(vals...)
	case counter:
		return v.(*prometheus.CounterVec).WithLabelValues(vals...)
	default:
		return v.(*prometheus.GaugeVec).WithLabelValues(vals...)
	}
}

func values(labels []ports.Label) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = l.Value
	}
	return out
}

func names(labels []ports.Label) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = fixName(l.Name)
	}
	return out
}

// get returns the collector of key, creating it on first use. It reports
// false for a disabled key, and for a use whose kind or label names differ
// from the first one (which would make the client panic).
func (m *Metrics) get(key string, k kind, labels []ports.Label) (any, bool) {
	// Collectors are found by the key as given, so that the hot path
	// neither rewrites names nor allocates.
	m.mu.RLock()
	mt, seen := m.metrics[key]
	m.mu.RUnlock()
	if seen && mt == nil {
		return nil, false // disabled
	}
	if mt == nil {
		name := fixName(key)
		if m.disabled[name] {
			m.mu.Lock()
			m.metrics[key] = nil
			m.mu.Unlock()
			return nil, false
		}
		var err error
		if mt, err = m.create(key, name, k, labels); err != nil {
			m.report(err)
			return nil, false
		}
	}
	if mt.kind != k || !sameNames(mt.rawNames, labels) {
		mt.warned.Do(func() {
			m.report(fmt.Errorf("metric %s%s is a %s with labels %v: dropping a %s with labels %v",
				m.prefix, mt.name, kindNames[mt.kind], mt.labels, kindNames[k], names(labels)))
		})
		return nil, false
	}
	return mt.vec, true
}

func sameNames(want []string, labels []ports.Label) bool {
	if len(want) != len(labels) {
		return false
	}
	for i, l := range labels {
		if want[i] != l.Name {
			return false
		}
	}
	return true
}

func (m *Metrics) create(key, name string, k kind, labels []ports.Label) (*metric, error) {
	labelNames := names(labels)
	m.mu.Lock()
	defer m.mu.Unlock()
	if mt := m.metrics[key]; mt != nil {
		return mt, nil // created meanwhile
	}
	for _, mt := range m.metrics {
		if mt != nil && mt.name == name {
			m.metrics[key] = mt // another spelling of the same name
			return mt, nil
		}
	}
	full := m.prefix + name
	var c prometheus.Collector
	switch k {
	case histogram:
		c = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: full, Help: "Histogram of " + full, Buckets: slices.Clone(m.buckets)}, labelNames)
	case summary:
		c = prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: full, Help: "Summary of " + full}, labelNames)
	case counter:
		full = strings.TrimSuffix(full, "_total") + "_total"
		c = prometheus.NewCounterVec(prometheus.CounterOpts{Name: full, Help: "Counter of " + full}, labelNames)
	case gauge:
		c = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: full, Help: "Gauge of " + full}, labelNames)
	}
	if err := m.registry.Register(c); err != nil {
		return nil, fmt.Errorf("register metric %s: %w", full, err)
	}
	raw := make([]string, len(labels))
	for i, l := range labels {
		raw[i] = l.Name
	}
	mt := &metric{kind: k, name: name, labels: labelNames, rawNames: raw, vec: c}
	m.metrics[key] = mt
	return mt, nil
}

func (m *Metrics) report(err error) {
	if m.onError != nil {
		m.onError(err)
	}
}
