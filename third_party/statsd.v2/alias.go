// Package statsd stands in for gopkg.in/alexcesaro/statsd.v2, which is the
// gopkg.in import path of github.com/alexcesaro/statsd v2 (the very module
// the StatsD adapter uses). Only that module's own example tests import the
// gopkg.in path, but `go mod tidy` resolves the imports of dependencies'
// tests too, and the module proxy refuses to serve gopkg.in/alexcesaro/statsd.v2.
// go.mod therefore replaces the gopkg.in path with this directory, which
// re-exports the github.com package under the gopkg.in path, so those tests
// still compile against the real code. (A replace pointing the gopkg.in path
// straight at github.com/alexcesaro/statsd is refused by the go command: one
// module version may not serve two module paths.)
//
// Nothing in github.com/cliquet-go/cliquet imports this package.
package statsd

import (
	"time"

	upstream "github.com/alexcesaro/statsd"
)

// The upstream package's types, under the gopkg.in path.
type (
	Client    = upstream.Client
	Option    = upstream.Option
	TagFormat = upstream.TagFormat
	Timing    = upstream.Timing
)

// Tag formats accepted by TagsFormat.
const (
	InfluxDB = upstream.InfluxDB
	Datadog  = upstream.Datadog
)

// New returns a client configured by opts; see the upstream package.
func New(opts ...Option) (*Client, error) { return upstream.New(opts...) }

// Address sets the daemon's address.
func Address(addr string) Option { return upstream.Address(addr) }

// ErrorHandler sets the function called on write errors.
func ErrorHandler(h func(error)) Option { return upstream.ErrorHandler(h) }

// FlushPeriod sets how often the buffer is sent.
func FlushPeriod(p time.Duration) Option { return upstream.FlushPeriod(p) }

// MaxPacketSize sets the largest packet sent.
func MaxPacketSize(n int) Option { return upstream.MaxPacketSize(n) }

// Network sets the network of the daemon ("udp" by default).
func Network(network string) Option { return upstream.Network(network) }

// Mute turns the client into a no-op.
func Mute(b bool) Option { return upstream.Mute(b) }

// SampleRate sets the share of metrics sent.
func SampleRate(rate float32) Option { return upstream.SampleRate(rate) }

// Prefix sets the prefix of every bucket name.
func Prefix(p string) Option { return upstream.Prefix(p) }

// TagsFormat sets the format of tags.
func TagsFormat(tf TagFormat) Option { return upstream.TagsFormat(tf) }

// Tags sets tags sent with every metric, as key, value pairs.
func Tags(tags ...string) Option { return upstream.Tags(tags...) }
