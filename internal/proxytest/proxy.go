// Package proxytest puts a networked backend (PostgreSQL, Redis) in the
// states a production one can be in, from inside a test and without
// touching the real server: a TCP proxy between the service and the
// server that can be frozen (a hung server, a network dropping packets)
// or cut (a server that is down or unreachable), and restored.
package proxytest

import (
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from a loopback port to one upstream
// address. Frozen, it forwards nothing in either direction and closes
// nothing; new connections are accepted but not answered. Cut, it closes
// every connection and closes each new one at once, as a server that went
// away would (the clients see a reset or an end of file). Restore undoes
// both.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu      sync.Mutex
	thawed  chan struct{} // closed while not frozen
	cut     bool
	conns   map[net.Conn]struct{}
	stopped bool
	wg      sync.WaitGroup // the proxy's own goroutines
}

// New starts a proxy to upstream (host:port), stopped at t's cleanup.
func New(t testing.TB, upstream string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: listen: %v", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, thawed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	close(p.thawed)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Stop)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns raw (a postgres:// or redis:// URL) with its host replaced
// by the proxy's address.
func (p *Proxy) URL(t testing.TB, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("proxy: parse %q: %v", raw, err)
	}
	u.Host = p.Addr()
	return u.String()
}

// Freeze stops all forwarding until Thaw or Restore.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
		p.thawed = make(chan struct{})
	default: // already frozen
	}
}

// Thaw forwards again, what was held first.
func (p *Proxy) Thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.thawed:
	default:
		close(p.thawed)
	}
}

// Cut closes every open connection and refuses new ones (each is closed
// as soon as accepted) until Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.takeConns()
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Restore ends a cut and thaws: new connections reach the server again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
	p.Thaw()
}

// Stop closes the listener and every connection, thawing first so that no
// pump stays blocked, and waits for the proxy's goroutines. Cleanup calls
// it; calling it again does nothing.
func (p *Proxy) Stop() {
	p.Thaw()
	p.mu.Lock()
	p.stopped = true
	conns := p.takeConns()
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

// takeConns empties the connection set; p.mu must be held.
func (p *Proxy) takeConns() []net.Conn {
	conns := make([]net.Conn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	clear(p.conns)
	return conns
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// track records c, or closes it when the proxy is cut or stopped.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || p.cut {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	p.wait() // a frozen server accepts, then says nothing
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		client.Close()
		return
	}
	defer p.untrack(server)
	if !p.track(server) { // cut or stopped while dialing
		server.Close()
		client.Close()
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.pump(server, client)
	}()
	p.pump(client, server)
}

// wait blocks while the proxy is frozen.
func (p *Proxy) wait() {
	p.mu.Lock()
	ch := p.thawed
	p.mu.Unlock()
	<-ch
}

// pump copies src to dst, holding what it read while frozen.
func (p *Proxy) pump(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or a closed connection: close the other side too
			return
		}
	}
}
