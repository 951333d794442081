package statsd

import (
	"math"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Full packets wait in a queue for the sending goroutine, which sends
// them all when wakeAt are waiting, and every flush period. Waking it per
// packet would cost the measurement that fills one a futex call, most of
// what it saves; past maxQueued (the writer starved of CPU), the
// measurement that fills a packet sends it itself, as a client without a
// writer would: nothing is lost.
const (
	wakeAt    = 8
	maxQueued = 256
)

// maxSpare is how many sent buffers are kept for reuse: enough for the
// batches of a writer woken late, so that a steady load allocates none.
const maxSpare = 64

// sender buffers StatsD lines, one per measurement, and has a goroutine of
// its own send the packets. Measurements only ever append under a mutex:
// the send, a system call, is not theirs.
type sender struct {
	conn    net.Conn
	max     int // the largest packet sent
	onError func(error)

	mu     sync.Mutex
	buf    []byte   // lines, each ended by a newline
	queue  [][]byte // full packets, oldest first
	sent   [][]byte // the queue's other array, reused by turns
	spare  [][]byte // sent buffers, for reuse
	closed bool

	// sending is held while packets taken from the queue are sent, so that
	// Flush returns only once what was queued before it is out.
	sending sync.Mutex
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{} // closed when the writer has stopped
	inline  atomic.Uint64 // packets sent by a measurement, the queue full

	sentBytes atomic.Uint64 // bytes the socket accepted
}

func newSender(conn net.Conn, max int, flushPeriod time.Duration, onError func(error)) *sender {
	s := &sender{
		conn:    conn,
		max:     max,
		onError: onError,
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.buf = s.newBuffer()
	go s.write(flushPeriod)
	return s
}

// newBuffer returns an empty buffer with room for a full packet and the
// line that overflows it. The caller holds mu, or owns s.
func (s *sender) newBuffer() []byte {
	if n := len(s.spare); n > 0 {
		b := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return b[:0]
	}
	return make([]byte, 0, s.max+512)
}

// write sends the queued packets when woken, and those and the partial
// buffer every period, until stopped.
func (s *sender) write(period time.Duration) {
	defer close(s.done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
			s.send(false)
		case <-t.C:
			s.send(true)
		}
	}
}

// send sends the queued packets, and the partial buffer too when all is
// set, then keeps their buffers for reuse.
func (s *sender) send(all bool) {
	s.sending.Lock()
	defer s.sending.Unlock()
	s.mu.Lock()
	if all && len(s.buf) > 0 {
		s.queue = append(s.queue, s.buf)
		s.buf = s.newBuffer()
	}
	packets := s.queue
	s.queue, s.sent = s.sent[:0], nil // one batch is sent at a time
	s.mu.Unlock()
	for _, p := range packets {
		s.writePacket(p)
	}
	s.mu.Lock()
	for _, p := range packets {
		if len(s.spare) < maxSpare {
			s.spare = append(s.spare, p)
		}
	}
	clear(packets)
	s.sent = packets
	s.mu.Unlock()
}

// writePacket sends the lines of p, without the last newline.
func (s *sender) writePacket(p []byte) {
	if len(p) == 0 {
		return
	}
	n, err := s.conn.Write(p[:len(p)-1])
	if err != nil {
		s.onError(err)
	}
	s.sentBytes.Add(uint64(n))
}

// ship queues the first n bytes of the buffer (whole lines) and keeps the
// rest buffered, waking the writer once wakeAt packets wait. With the
// queue full it sends them itself rather than wait or drop them. The
// caller holds mu.
func (s *sender) ship(n int) {
	if len(s.queue) >= maxQueued {
		s.inline.Add(1)
		s.writePacket(s.buf[:n])
		s.buf = s.buf[:copy(s.buf, s.buf[n:])]
		return
	}
	next := s.newBuffer()
	next = append(next, s.buf[n:]...)
	s.queue = append(s.queue, s.buf[:n])
	s.buf = next
	if len(s.queue) == wakeAt {
		select {
		case s.wake <- struct{}{}:
		default: // already woken
		}
	}
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

// flush sends what is queued and buffered, and returns once it is sent.
func (s *sender) flush() {
	s.send(true)
}

// close stops the writer, sends what is left and closes the socket; the
// measurements that come later are dropped.
func (s *sender) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	s.send(true)
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
