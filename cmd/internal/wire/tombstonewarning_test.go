package wire_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/app"
)

func TestListPattern(t *testing.T) {
	bucket := &app.Resource{Name: "bucket", Plural: "buckets"}
	collection := &app.Resource{Name: "collection", Plural: "collections", Parent: bucket}
	record := &app.Resource{Name: "record", Plural: "records", Parent: collection}
	for res, want := range map[*app.Resource]string{
		bucket:     "/buckets",
		collection: "/buckets/*/collections",
		record:     "/buckets/*/collections/*/records",
	} {
		if got := wire.ListPattern(res); got != want {
			t.Errorf("ListPattern(%s) = %q, want %q", res.Name, got, want)
		}
	}
}

// TestTombstoneWarningOfStreamsAndLists checks where the middleware looks
// for a position, with a fixed clock: a stream resumes from Last-Event-ID
// before _since, and only the declared paths are concerned.
func TestTombstoneWarningOfStreamsAndLists(t *testing.T) {
	w := wire.TombstoneWarning{
		Prefix:    "/v1",
		Retention: 24 * time.Hour,
		Clock:     stamp,
		Lists:     []string{"/buckets/*/collections/*/records"},
		Streams:   []string{"/buckets/*/collections/*/changes"},
		URL:       "https://docs.test/",
	}
	horizon := int64(stamp) - 24*3600*1000 + wire.TombstoneHorizonSlack.Milliseconds()
	if got := w.Horizon(); got != horizon {
		t.Fatalf("Horizon() = %d, want now - retention + slack = %d", got, horizon)
	}
	before, after := strconv.FormatInt(horizon-1, 10), strconv.FormatInt(horizon, 10)
	h := w.Middleware(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.WriteHeader(http.StatusOK)
	}))
	for _, c := range []struct {
		method, target, lastEventID string
		want                        bool
	}{
		{"GET", "/v1/buckets/b/collections/c/records?_since=" + before, "", true},
		{"GET", "/v1/buckets/b/collections/c/records?_since=" + after, "", false},
		{"GET", "/v1/buckets/b/collections/c/records?min_last_modified=" + after, "", true}, // >= horizon is > horizon-1
		{"GET", "/v1/buckets/b/collections/c/records?last_modified=" + after, "", true},
		{"GET", "/v1/buckets/b/collections/c/records/?_since=" + before, "", false}, // redirected
		{"GET", "/v1/buckets/b/collections//records?_since=" + before, "", false},
		{"GET", "/v2/buckets/b/collections/c/records?_since=" + before, "", false},
		{"POST", "/v1/buckets/b/collections/c/records?_since=" + before, "", false},
		{"GET", "/v1/buckets/b/collections/c/changes?_since=" + before, "", true},
		{"GET", "/v1/buckets/b/collections/c/changes?_since=" + after, "", false},
		{"GET", "/v1/buckets/b/collections/c/changes?_since=" + after, before, true}, // Last-Event-ID wins
		{"GET", "/v1/buckets/b/collections/c/changes?_since=" + before, after, false},
		{"GET", "/v1/buckets/b/collections/c/changes", "", false}, // from now
		{"GET", "/v1/buckets/b/collections/c/changes?_since=x", "", false},
	} {
		req := httptest.NewRequest(c.method, "http://kinto.test"+c.target, nil)
		if c.lastEventID != "" {
			req.Header.Set("Last-Event-ID", c.lastEventID)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		alert := rec.Header().Get("Alert")
		if got := strings.Contains(alert, `"code":"`+wire.TombstonesPurgedCode+`"`); got != c.want {
			t.Errorf("%s %s (Last-Event-ID %q): Alert %q, want alert %v", c.method, c.target, c.lastEventID, alert, c.want)
		}
		if c.want && !strings.Contains(alert, `"horizon":`+strconv.FormatInt(horizon, 10)) {
			t.Errorf("%s %s: Alert %q, want horizon %d", c.method, c.target, alert, horizon)
		}
	}
}
