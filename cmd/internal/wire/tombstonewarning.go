package wire

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// TombstonesPurgedCode is the code of the Alert header a list answer
// carries when its _since is older than the tombstone horizon.
const TombstonesPurgedCode = "tombstones-purged"

// TombstoneHorizonSlack widens the horizon the warning uses beyond the
// purge's: the node that purged may have a clock ahead of the node that
// answers, and a client must hear of every deletion it may have missed.
// Warning a client whose _since is a minute too young costs it one
// resynchronisation; missing one would cost it deletions it never learns.
const TombstoneHorizonSlack = time.Minute

// TombstoneWarning is the client-facing half of
// tombstones_retention_seconds. A poll of a list whose lower bound on
// last_modified (_since, gt_last_modified or min_last_modified; the
// Last-Event-ID or _since of a change stream) is older than the horizon,
// now minus the retention, may miss deletions whose tombstones were
// purged: its answer, still the 200 it would be, gets an Alert header
// saying so (code TombstonesPurgedCode). Kinto itself says nothing in
// that case (it purges only on demand); a 200 with an Alert is what
// published clients already handle: kinto-http parses every Alert, logs
// its message and emits it, and goes on.
//
// A _token needs nothing of its own: the Next-Page URL keeps the _since
// of the first page, so every page of a poll is checked.
type TombstoneWarning struct {
	// Prefix is the server's version prefix ("/v1").
	Prefix string
	// Retention is tombstones_retention_seconds; positive.
	Retention time.Duration
	// Clock is the one the purge counts the retention from.
	Clock domain.Clock
	// Lists are the path patterns of the lists under Prefix, "*" standing
	// for one segment ("/buckets/*/collections"); see ListPattern.
	Lists []string
	// Streams are the path patterns of change streams, where
	// Last-Event-ID wins over _since.
	Streams []string
	// URL is the Alert's link: project_docs, as for Kinto's alerts.
	URL string
}

// MountTombstoneWarning installs the warning on srv as a middleware
// around routing (so batch subrequests get it too) when core has a
// tombstone retention; without one, it does nothing.
func MountTombstoneWarning(srv *httpadapter.Server, core *config.Core, clock domain.Clock, lists, streams []string) {
	if core.TombstonesRetention() <= 0 {
		return
	}
	w := TombstoneWarning{Prefix: srv.Prefix(), Retention: core.TombstonesRetention(), Clock: clock,
		Lists: lists, Streams: streams, URL: core.ProjectDocs}
	srv.Use(w.Middleware)
}

// ListPattern is the pattern of res's list for TombstoneWarning.Lists:
// its plural under its parent object's path, e.g. "/buckets/*/groups".
func ListPattern(res *app.Resource) string {
	p := "/" + res.Plural
	if res.Parent != nil {
		p = ListPattern(res.Parent) + "/*" + p
	}
	return p
}

// Middleware adds the Alert to the answers it concerns, before the
// endpoint writes anything. An endpoint that sets an Alert of its own
// (the soft-eol of the deprecated _to) replaces it; one set before (the
// end of service's soft-eol, repeated on every other answer) is replaced
// by it: a header holds one JSON alert, clients parse no list of them.
func (w TombstoneWarning) Middleware(next http.Handler) http.Handler {
	lists, streams := splitPatterns(w.Lists), splitPatterns(w.Streams)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			if rest, ok := strings.CutPrefix(r.URL.Path, w.Prefix); ok {
				var since int64
				var found bool
				switch {
				case matchesAny(lists, rest):
					since, found = listLowerBound(r)
				case matchesAny(streams, rest):
					since, found = streamPosition(r)
				}
				if found {
					if horizon := w.Horizon(); since < horizon {
						rw.Header().Set("Alert", w.alert(horizon))
					}
				}
			}
		}
		next.ServeHTTP(rw, r)
	})
}

// Horizon is the timestamp below which a poll may miss deletions: the
// purge's horizon plus TombstoneHorizonSlack.
func (w TombstoneWarning) Horizon() int64 {
	return TombstoneHorizon(w.Clock.NowMillis(), w.Retention) + TombstoneHorizonSlack.Milliseconds()
}

func (w TombstoneWarning) alert(horizon int64) string {
	b, _ := json.Marshal(struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		URL     string `json:"url,omitempty"`
		Horizon int64  `json:"horizon"`
	}{
		Code: TombstonesPurgedCode,
		Message: "Tombstones are kept " + w.Retention.String() + ": deletions older than " + strconv.FormatInt(horizon, 10) +
			" (epoch ms) may be missing from this answer. Fetch the whole list again instead of polling with _since.",
		URL:     w.URL,
		Horizon: horizon,
	}) // cannot fail: strings and numbers only
	return string(b)
}

// listLowerBound reads the highest lower bound a list request sets on
// last_modified, as the endpoint parses its querystring: the timestamp
// after which the client asks for every change. found is false when the
// request asks for no tombstones or sets no lower bound (no _since), and
// when the querystring is invalid (the endpoint answers 400).
func listLowerBound(r *http.Request) (since int64, found bool) {
	q := r.URL.Query()
	if !readsLastModified(q) {
		return 0, false // the common case, without parsing
	}
	// The cursor of a page is not a bound, and decoding it needs the
	// resource's sort: leave it out.
	q.Del("_token")
	lq, err := httpadapter.ParseListQuery(q, httpadapter.ListQueryOptions{})
	if err != nil || !lq.WithDeleted {
		return 0, false
	}
	for _, f := range lq.Filters {
		if f.Field != "last_modified" {
			continue
		}
		v, ok := domain.AsInt(f.Value)
		if !ok {
			continue
		}
		switch f.Op {
		case domain.OpGt:
		case domain.OpMin, domain.OpEq:
			v-- // ts >= v is ts > v-1
		default:
			continue
		}
		if !found || v > since {
			since, found = v, true
		}
	}
	return since, found
}

// readsLastModified reports whether a querystring may filter on
// last_modified, which only then returns tombstones.
func readsLastModified(q url.Values) bool {
	for name := range q {
		if name == "_since" || strings.Contains(name, "last_modified") {
			return true
		}
	}
	return false
}

// streamPosition reads where a change stream resumes, as the stream does:
// Last-Event-ID, else _since; found is false when it starts from now or
// the position is invalid.
func streamPosition(r *http.Request) (since int64, found bool) {
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" {
		raw = r.URL.Query().Get("_since")
	}
	if raw == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(raw), `"`), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

func splitPatterns(patterns []string) [][]string {
	out := make([][]string, len(patterns))
	for i, p := range patterns {
		out[i] = strings.Split(strings.Trim(p, "/"), "/")
	}
	return out
}

// matchesAny reports whether path matches one of the split patterns,
// segment by segment, "*" matching any one non-empty segment.
func matchesAny(patterns [][]string, path string) bool {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if strings.HasSuffix(path, "/") {
		return false // a trailing slash is redirected, not answered
	}
	for _, p := range patterns {
		if len(p) != len(segs) {
			continue
		}
		ok := true
		for i, s := range p {
			if segs[i] == "" || (s != "*" && s != segs[i]) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
