package statsd

import (
	"math"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// queuedPackets is how many full packets may wait for the writer. Past
// that (the writer starved of CPU), the measurement that fills a packet
// sends it itself, as a client without a writer would: nothing is lost.
const queuedPackets = 32

// packet is one datagram for the writer; flushed, when set, is closed once
// it is sent (Flush and Close wait for it).
type packet struct {
	b       []byte
	flushed chan struct{}
}

// sender buffers StatsD lines, one per measurement, and has a goroutine of
// its own send each packet once full or every flush period. Measurements
// only ever append under a mutex: the send, a system call, is never theirs.
type sender struct {
	conn    net.Conn
	max     int // the largest packet sent
	onError func(error)

	mu     sync.Mutex
	buf    []byte // lines, each ended by a newline
	closed bool

	queue  chan packet
	free   chan []byte // sent buffers, for reuse
	stop   chan struct{}
	done   chan struct{} // closed when the writer has sent its last packet
	inline atomic.Uint64 // packets sent by a measurement, the queue full
}

func newSender(conn net.Conn, max int, flushPeriod time.Duration, onError func(error)) *sender {
	s := &sender{
		conn:    conn,
		max:     max,
		onError: onError,
		queue:   make(chan packet, queuedPackets),
		free:    make(chan []byte, queuedPackets+2),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.buf = s.newBuffer()
	go s.write()
	go s.tick(flushPeriod)
	return s
}

// newBuffer returns an empty buffer with room for a full packet and the
// line that overflows it.
func (s *sender) newBuffer() []byte {
	select {
	case b := <-s.free:
		return b[:0]
	default:
		return make([]byte, 0, s.max+512)
	}
}

// write sends the queued packets, without their last newline, until the
// queue is closed.
func (s *sender) write() {
	defer close(s.done)
	for p := range s.queue {
		if len(p.b) > 0 {
			if _, err := s.conn.Write(p.b[:len(p.b)-1]); err != nil {
				s.onError(err)
			}
		}
		if p.flushed != nil {
			close(p.flushed)
		}
		select {
		case s.free <- p.b:
		default:
		}
	}
}

// tick queues what is buffered every period, so that a quiet service's
// measurements still leave.
func (s *sender) tick(period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			if !s.closed && len(s.buf) > 0 {
				s.ship(len(s.buf))
			}
			s.mu.Unlock()
		}
	}
}

// ship queues the first n bytes of the buffer (whole lines) and keeps the
// rest buffered. With the queue full it sends them itself rather than
// wait or drop them. The caller holds mu.
func (s *sender) ship(n int) {
	select {
	case s.queue <- packet{b: s.buf[:n]}:
		next := s.newBuffer()
		s.buf = append(next, s.buf[n:]...)
		return
	default:
	}
	s.inline.Add(1)
	if _, err := s.conn.Write(s.buf[:n-1]); err != nil {
		s.onError(err)
	}
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
}

// ended finishes a line appended from mark and ships the buffer when the
// line made it overflow a packet. The caller holds mu.
func (s *sender) ended(mark int) {
	s.buf = append(s.buf, '\n')
	if len(s.buf) > s.max && mark > 0 {
		s.ship(mark)
	}
}

// timing appends "<prefix><key>:<milliseconds>|ms".
func (s *sender) timing(prefix, key string, d time.Duration) {
	s.mu.Lock()
	if !s.closed {
		mark := len(s.buf)
		s.buf = append(s.buf, prefix...)
		s.buf = append(s.buf, key...)
		s.buf = append(s.buf, ':')
		s.buf = appendMillis(s.buf, d)
		s.buf = append(s.buf, "|ms"...)
		s.ended(mark)
	}
	s.mu.Unlock()
}

// count appends "<prefix><key>:<n>|c".
func (s *sender) count(prefix, key string, n int) {
	s.mu.Lock()
	if !s.closed {
		mark := len(s.buf)
		s.buf = append(s.buf, prefix...)
		s.buf = append(s.buf, key...)
		s.buf = append(s.buf, ':')
		s.buf = strconv.AppendInt(s.buf, int64(n), 10)
		s.buf = append(s.buf, "|c"...)
		s.ended(mark)
	}
	s.mu.Unlock()
}

// set appends "<prefix><key>:<value>|s".
func (s *sender) set(prefix, key, value string) {
	s.mu.Lock()
	if !s.closed {
		mark := len(s.buf)
		s.buf = append(s.buf, prefix...)
		s.buf = append(s.buf, key...)
		s.buf = append(s.buf, ':')
		s.buf = append(s.buf, value...)
		s.buf = append(s.buf, "|s"...)
		s.ended(mark)
	}
	s.mu.Unlock()
}

// raw appends a line built beforehand.
func (s *sender) raw(line string) {
	s.mu.Lock()
	if !s.closed {
		mark := len(s.buf)
		s.buf = append(s.buf, line...)
		s.ended(mark)
	}
	s.mu.Unlock()
}

// gauge appends "<prefix><key>:<value>|g". A negative value is preceded by
// a gauge at 0: StatsD reads a signed gauge as a change, not a value.
func (s *sender) gauge(prefix, key string, value float64) {
	s.mu.Lock()
	if !s.closed {
		mark := len(s.buf)
		if value < 0 {
			s.buf = append(s.buf, prefix...)
			s.buf = append(s.buf, key...)
			s.buf = append(s.buf, ":0|g\n"...)
		}
		s.buf = append(s.buf, prefix...)
		s.buf = append(s.buf, key...)
		s.buf = append(s.buf, ':')
		s.buf = appendNumber(s.buf, value)
		s.buf = append(s.buf, "|g"...)
		s.ended(mark)
	}
	s.mu.Unlock()
}

// flush queues what is buffered and waits until it is sent.
func (s *sender) flush() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	sent := make(chan struct{})
	s.queue <- packet{b: s.buf, flushed: sent} // may wait: Flush is no request's
	s.buf = s.newBuffer()
	s.mu.Unlock()
	<-sent
}

// close sends what is buffered, stops the writer and closes the socket.
func (s *sender) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	close(s.stop)
	s.queue <- packet{b: s.buf}
	s.buf = nil
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	return s.conn.Close()
}

// appendMillis appends d in milliseconds, in the shortest decimal form
// ("1.5", "12", "0.000001"): integer arithmetic on the nanoseconds, which
// formats faster than a float and loses nothing.
func appendMillis(b []byte, d time.Duration) []byte {
	ns := int64(d)
	if ns < 0 {
		b = append(b, '-')
		ns = -ns // math.MinInt64 stays negative: no duration is that long
	}
	b = strconv.AppendInt(b, ns/1e6, 10)
	frac := ns % 1e6
	if frac == 0 {
		return b
	}
	var digits [6]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := len(digits)
	for digits[end-1] == '0' {
		end--
	}
	b = append(b, '.')
	return append(b, digits[:end]...)
}

// appendNumber appends v as an integer when it is one (a size, a count),
// in its shortest decimal form otherwise.
func appendNumber(b []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}
