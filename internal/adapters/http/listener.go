package http

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Listener wraps ln so that the answers net/http writes by itself, before
// any handler runs, are in the protocol's JSON format too. net/http refuses
// a request it cannot read (a request target with a bad percent-escape
// such as /v1/buckets/%zz, a malformed request line or header, headers too
// large) with a plain-text answer written straight to the connection;
// serve with this listener to have the JSON error instead (errno 107).
func Listener(ln net.Listener) net.Listener { return &jsonListener{ln} }

type jsonListener struct{ net.Listener }

func (l *jsonListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonConn{Conn: c}, nil
}

// jsonConn rewrites net/http's own early refusals as they are written. It
// keeps the start of what was read since its last write, in practice the
// start of the request being read, to tell a bad request target from
// other unreadable requests.
type jsonConn struct {
	net.Conn
	// mu guards head: net/http reads in the background while a handler
	// writes.
	mu   sync.Mutex
	head []byte // at most headLimit bytes read since the last write
}

// headLimit bounds what jsonConn keeps of a request: its request line.
const headLimit = 8 << 10

func (c *jsonConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := headLimit - len(c.head); room > 0 && n > 0 {
		c.head = append(c.head, b[:min(n, room)]...)
	}
	return n, err
}

func (c *jsonConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	// Only a write shaped like an early refusal needs a closer look (and
	// the request line parsed): every answer of a handler goes out as is.
	if !bytes.HasPrefix(b, []byte("HTTP/1.1 ")) || !bytes.Contains(b, []byte(earlyRefusal)) {
		c.head = c.head[:0]
		c.mu.Unlock()
		return c.Conn.Write(b)
	}
	target := badTarget(c.head)
	c.head = c.head[:0]
	c.mu.Unlock()
	ans, ok := earlyAnswer(b, target)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(ans); err != nil {
		return 0, err
	}
	return len(b), nil
}

// earlyRefusal is how net/http's server frames the answers it writes
// without a handler: the status line, these two headers and a text body,
// in one write. A handler's answer cannot look like this: net/http writes
// a handler's own headers (here Content-Security-Policy, always) and Date
// right after the status line.
const earlyRefusal = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// badTarget reports whether head, the start of a request, has a request
// line whose target net/http cannot parse as a URL.
func badTarget(head []byte) bool {
	head = bytes.TrimLeft(head, "\r\n")
	line, _, found := bytes.Cut(head, []byte("\n"))
	if !found {
		return false
	}
	parts := strings.Fields(string(line))
	if len(parts) != 3 {
		return false
	}
	_, err := url.ParseRequestURI(parts[1])
	return err != nil
}

// earlyAnswer returns the JSON answer that replaces b when b is one of
// net/http's early refusals ("HTTP/1.1 400 Bad Request" plus, for some,
// ": <reason>"). target tells that the request's target was unreadable.
func earlyAnswer(b []byte, target bool) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(proto)) {
		return nil, false
	}
	end := bytes.Index(b, []byte(earlyRefusal))
	if end < 0 || bytes.Contains(b[:end], []byte("\r\n")) {
		return nil, false
	}
	line := string(b[len(proto):end])
	if len(line) < 3 {
		return nil, false
	}
	code, err := strconv.Atoi(line[:3])
	if err != nil || code < 400 || code > 599 {
		return nil, false
	}
	// Nothing of the request could be read: it was bad input, whatever
	// the status. A bad target (escapes such as %zz) is refused with the
	// reference's message for an invalid path.
	message := "Invalid request: its request line or headers cannot be read."
	if _, reason, ok := bytes.Cut([]byte(line), []byte(": ")); ok {
		message = string(reason)
	} else if target {
		message = "Invalid URL path."
	}
	ae := newAPIError(code, errnoInvalidParameters, message)
	body, err := json.Marshal(ae.body())
	if err != nil {
		return nil, false
	}
	var out bytes.Buffer
	out.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	out.WriteString("Content-Type: application/json\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
	out.WriteString("Content-Security-Policy: " + contentSecurityPolicy + "\r\n")
	out.WriteString("X-Content-Type-Options: nosniff\r\n")
	out.WriteString("Connection: close\r\n\r\n")
	out.Write(body)
	return out.Bytes(), true
}

// WrapListener wraps ln with Listener, for the runner that serves s.
func (s *Server) WrapListener(ln net.Listener) net.Listener { return Listener(ln) }
