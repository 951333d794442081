package domain

import "time"

// Clock tells the current time in epoch milliseconds. Tests pass a fake one
// to prove the timestamp rule holds when the clock stalls or goes backwards.
type Clock interface {
	NowMillis() int64
}

// IDGenerator makes new object ids and says which ids a resource accepts.
type IDGenerator interface {
	// NewID returns a fresh id that Valid accepts.
	NewID() string
	// Valid reports whether id is acceptable for the resource.
	Valid(id string) bool
}

// SystemClock is the real Clock: the wall clock in epoch milliseconds. Every
// adapter that stamps records takes its Clock from main, which hands the
// same SystemClock to all of them; tests hand a fake one.
type SystemClock struct{}

// NowMillis returns the current time in epoch milliseconds.
func (SystemClock) NowMillis() int64 { return time.Now().UnixMilli() }
