package runner_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/runner"
)

// A response that lasts until told to stop (a change stream) is told at
// the start of shutdown, so shutdown ends at once instead of after its
// grace period.
func TestShutdownTellsLongResponsesToEnd(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop, entered := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("streaming "))
		w.(http.Flusher).Flush()
		close(entered)
		select {
		case <-stop:
			_, _ = w.Write([]byte("ended"))
		case <-r.Context().Done():
		}
	})
	log := logrus.New()
	log.SetOutput(&bytes.Buffer{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	const grace = 30 * time.Second
	go func() {
		served <- runner.ServeUntilDone(ctx, ln, h, runner.ServerLimits{ShutdownTimeout: grace}, log, func() { close(stop) })
	}()
	body := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			body <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		body <- b.String()
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serveUntilDone = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("shutdown still waiting 5s after it began (grace period %v): the long response was not told", grace)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown took %v, want well under the grace period", took)
	}
	if got := <-body; got != "streaming ended" {
		t.Errorf("the long response = %q, want it to end on the shutdown notice", got)
	}
}
