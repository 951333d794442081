package http

import "sync"

// stopSignal is closed once, when the server begins to shut down. Its zero
// value is ready to use.
type stopSignal struct {
	mu sync.Mutex
	c  chan struct{}
}

// done returns the channel Shutdown closes.
func (s *stopSignal) done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		s.c = make(chan struct{})
	}
	return s.c
}

func (s *stopSignal) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.c == nil {
		s.c = make(chan struct{})
	}
	select {
	case <-s.c:
	default:
		close(s.c)
	}
}

// Shutdown tells the responses that last, the change streams, to end now:
// each sends its final "close" event (reason: the server is shutting
// down) and returns, so that a graceful shutdown waits for ordinary
// requests only. It does not wait for them, and is safe to call more than
// once; the runner calls it when shutdown begins (runner.ShutdownNotifier).
// Streams opened after it end at once.
func (s *Server) Shutdown() { s.stopping.stop() }
