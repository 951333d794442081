// Package postgrestest helps tests put PostgreSQL in the states a
// production database can be in: here, frozen.
package postgrestest

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from 127.0.0.1 to a PostgreSQL server
// and can be frozen: it then forwards nothing, in either direction, and
// closes nothing, as a database that hangs or a network that drops packets
// would. New connections are accepted but not answered while it is frozen.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu      sync.Mutex
	thawed  chan struct{} // closed while not frozen
	conns   []net.Conn
	stopped bool
}

// NewProxy starts a proxy to the host:port of dsn (a postgres:// URL),
// stopped at t's cleanup.
func NewProxy(t testing.TB, dsn string) *Proxy {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Fatalf("proxy: %q is not a postgres:// URL with a host", dsn)
	}
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":5432"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: listen: %v", err)
	}
	p := &Proxy{ln: ln, upstream: host, thawed: make(chan struct{})}
	close(p.thawed)
	go p.serve()
	t.Cleanup(p.stop)
	return p
}

// URL returns dsn with its host replaced by the proxy's address.
func (p *Proxy) URL(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("proxy: parse %q: %v", dsn, err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// Freeze stops all forwarding until Thaw.
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

// wait blocks while the proxy is frozen.
func (p *Proxy) wait() {
	p.mu.Lock()
	ch := p.thawed
	p.mu.Unlock()
	<-ch
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		go p.forward(c)
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *Proxy) forward(client net.Conn) {
	p.wait() // a frozen server accepts, then says nothing
	server, err := net.Dial("tcp", p.upstream)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(server) {
		client.Close()
		return
	}
	go p.pump(server, client)
	p.pump(client, server)
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

// stop closes the listener and every connection, thawing first so that
// no pump stays blocked.
func (p *Proxy) stop() {
	p.Thaw()
	p.mu.Lock()
	p.stopped = true
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
}
