package domain

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
