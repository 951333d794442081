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
