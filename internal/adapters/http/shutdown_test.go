package http_test

import (
	"strings"
	"testing"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

// Shutdown ends every open change stream with a last "close" event
// saying why, and a stream opened after it ends at once the same way.
func TestShutdownEndsChangeStreams(t *testing.T) {
	ce := newChangesEnv(t, httpadapter.ChangesOptions{})
	s := ce.open(t, "", "Authorization", aliceAuth)
	ce.must(t, "PUT", "/v1/buckets/b/collections/c/records/r1", `{"data":{}}`, aliceAuth)
	if id, _ := recordOf(t, s.next(t)); id != "r1" {
		t.Fatalf("first event about %q, want r1", id)
	}
	ce.srv.Shutdown()
	ce.srv.Shutdown() // twice is harmless
	for name, st := range map[string]*stream{"open stream": s, "stream opened after": ce.open(t, "", "Authorization", aliceAuth)} {
		ev := st.next(t)
		if reason, _ := ev.data["reason"].(string); ev.event != "close" || !strings.Contains(reason, "shutting down") {
			t.Fatalf("%s: last event %+v, want a close event saying the server shuts down", name, ev)
		}
		select {
		case ev, ok := <-st.events:
			if ok {
				t.Fatalf("%s: event %+v after the close event", name, ev)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("%s: the response did not end after its close event", name)
		}
	}
}
