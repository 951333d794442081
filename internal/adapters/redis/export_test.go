package redis

import (
	"context"
	"testing"
)

// HoldConn takes a connection of p until release is called, to fill the
// pool in tests.
func HoldConn(t *testing.T, p *Pool) (release func()) {
	t.Helper()
	c, err := p.get(context.Background(), "test")
	if err != nil {
		t.Fatalf("take a connection: %v", err)
	}
	return func() { c.Close() }
}

// ClientID returns the CLIENT ID of f's current subscription connection,
// so that a test can cut it with CLIENT KILL ID.
func (f *ChangeFeed) ClientID() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.id
}

// Do runs one command on a connection of p, for tests that act on the
// server directly.
func Do(ctx context.Context, p *Pool, cmd string, args ...any) (any, error) {
	return p.do(ctx, "test", cmd, args...)
}
