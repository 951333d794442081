package ports

import "time"

// Label is one dimension of a measurement: ("method", "get").
type Label struct {
	Name, Value string
}

// Metrics receives measurements, named as Kinto names them
// ("request_duration_seconds", "backend.storage.seconds") with labels in a
// fixed order per key. A key is always used with the same label names in
// the same order; an adapter may drop a measurement that breaks this rule,
// never fail the caller. Implementations must be safe for concurrent use,
// and must not block: a measurement never delays a request.
type Metrics interface {
	// Timing records that one execution of key took d.
	Timing(key string, d time.Duration, labels ...Label)
	// Observe records one value of a distribution (a response size).
	Observe(key string, value float64, labels ...Label)
	// Count adds n occurrences to key. With labels, Kinto's StatsD plugin
	// sends a set of the label values rather than a counter.
	Count(key string, n int, labels ...Label)
	// Gauge sets the current value of key (a backend's health, 1 or 0).
	Gauge(key string, value float64, labels ...Label)
}

// NopMetrics drops every measurement: the metrics of a service with no
// metrics backend configured.
type NopMetrics struct{}

// Timing does nothing.
func (NopMetrics) Timing(string, time.Duration, ...Label) {}

// Observe does nothing.
func (NopMetrics) Observe(string, float64, ...Label) {}

// Count does nothing.
func (NopMetrics) Count(string, int, ...Label) {}

// Gauge does nothing.
func (NopMetrics) Gauge(string, float64, ...Label) {}

// FanOut sends every measurement to each of its Metrics in turn, so that
// StatsD and Prometheus can run together.
type FanOut []Metrics

// Timing records d on each backend.
func (f FanOut) Timing(key string, d time.Duration, labels ...Label) {
	for _, m := range f {
		m.Timing(key, d, labels...)
	}
}

// Observe records value on each backend.
func (f FanOut) Observe(key string, value float64, labels ...Label) {
	for _, m := range f {
		m.Observe(key, value, labels...)
	}
}

// Count adds n on each backend.
func (f FanOut) Count(key string, n int, labels ...Label) {
	for _, m := range f {
		m.Count(key, n, labels...)
	}
}

// Gauge sets value on each backend.
func (f FanOut) Gauge(key string, value float64, labels ...Label) {
	for _, m := range f {
		m.Gauge(key, value, labels...)
	}
}
