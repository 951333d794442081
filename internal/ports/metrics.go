package ports

import (
	"slices"
	"time"
)

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

// Timer records the durations of one key with fixed label values.
type Timer interface{ Time(d time.Duration) }

// Counter adds occurrences to one key with fixed label values.
type Counter interface{ Add(n int) }

// Observer records the values of one key with fixed label values (a
// distribution, as Metrics.Observe).
type Observer interface{ Observe(value float64) }

// Binder is implemented by Metrics that can resolve a key and its label
// values once, when the measurement is prepared (a route mounted, a backend
// wrapped): each measurement through the bound handle then skips finding
// the key's series or building its wire form. A bound handle records
// exactly what the matching Metrics call would, and is safe for concurrent
// use. The labels are not kept.
type Binder interface {
	BindTimer(key string, labels ...Label) Timer
	BindCounter(key string, labels ...Label) Counter
	BindObserver(key string, labels ...Label) Observer
}

// BindTimer returns m's timer for key and labels: m's own when m is a
// Binder, one calling m.Timing otherwise.
func BindTimer(m Metrics, key string, labels ...Label) Timer {
	if b, ok := m.(Binder); ok {
		return b.BindTimer(key, labels...)
	}
	return unbound{m: m, key: key, labels: slices.Clone(labels)}
}

// BindCounter returns m's counter for key and labels, as BindTimer.
func BindCounter(m Metrics, key string, labels ...Label) Counter {
	if b, ok := m.(Binder); ok {
		return b.BindCounter(key, labels...)
	}
	return unbound{m: m, key: key, labels: slices.Clone(labels)}
}

// BindObserver returns m's observer for key and labels, as BindTimer.
func BindObserver(m Metrics, key string, labels ...Label) Observer {
	if b, ok := m.(Binder); ok {
		return b.BindObserver(key, labels...)
	}
	return unbound{m: m, key: key, labels: slices.Clone(labels)}
}

// unbound is the handle of a Metrics that is no Binder: each measurement
// is the plain call, with the labels copied at bind time.
type unbound struct {
	m      Metrics
	key    string
	labels []Label
}

func (u unbound) Time(d time.Duration)  { u.m.Timing(u.key, d, u.labels...) }
func (u unbound) Add(n int)             { u.m.Count(u.key, n, u.labels...) }
func (u unbound) Observe(value float64) { u.m.Observe(u.key, value, u.labels...) }

// nopHandle drops every measurement.
type nopHandle struct{}

func (nopHandle) Time(time.Duration) {}
func (nopHandle) Add(int)            {}
func (nopHandle) Observe(float64)    {}

// BindTimer returns a timer that does nothing.
func (NopMetrics) BindTimer(string, ...Label) Timer { return nopHandle{} }

// BindCounter returns a counter that does nothing.
func (NopMetrics) BindCounter(string, ...Label) Counter { return nopHandle{} }

// BindObserver returns an observer that does nothing.
func (NopMetrics) BindObserver(string, ...Label) Observer { return nopHandle{} }

// BindTimer binds key and labels on each backend.
func (f FanOut) BindTimer(key string, labels ...Label) Timer {
	out := make(fanTimer, len(f))
	for i, m := range f {
		out[i] = BindTimer(m, key, labels...)
	}
	return out
}

// BindCounter binds key and labels on each backend.
func (f FanOut) BindCounter(key string, labels ...Label) Counter {
	out := make(fanCounter, len(f))
	for i, m := range f {
		out[i] = BindCounter(m, key, labels...)
	}
	return out
}

// BindObserver binds key and labels on each backend.
func (f FanOut) BindObserver(key string, labels ...Label) Observer {
	out := make(fanObserver, len(f))
	for i, m := range f {
		out[i] = BindObserver(m, key, labels...)
	}
	return out
}

type (
	fanTimer    []Timer
	fanCounter  []Counter
	fanObserver []Observer
)

func (f fanTimer) Time(d time.Duration) {
	for _, t := range f {
		t.Time(d)
	}
}

func (f fanCounter) Add(n int) {
	for _, c := range f {
		c.Add(n)
	}
}

func (f fanObserver) Observe(value float64) {
	for _, o := range f {
		o.Observe(value)
	}
}
