package kinto

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// HistoryPlugin is the includes entry of Kinto's history plugin.
const HistoryPlugin = "kinto.plugins.history"

// HistorySettings are the history plugin's settings, Kinto's.
type HistorySettings struct {
	// ExcludeResources are object URIs (buckets, collections, records)
	// whose changes are not recorded (history.exclude_resources).
	ExcludeResources []string
	// ExcludeUserIDs are users whose changes are not recorded
	// (history.exclude_user_ids).
	ExcludeUserIDs []string
	// AutoTrimMaxCount, when positive, turns on automatic trimming
	// (history.auto_trim_max_count): after an entry is written, once a
	// bucket holds more than AutoTrimMaxCount+AutoTrimThreshold entries of
	// that entry's resource type (of its user only, with AutoTrimUserIDs),
	// the oldest are deleted down to AutoTrimMaxCount. Kinto's default,
	// -1, keeps everything.
	AutoTrimMaxCount int
	// AutoTrimUserIDs, when set, limit trimming to the entries of these
	// users, each trimmed on their own (history.auto_trim_user_ids): the
	// changes of other users are kept.
	AutoTrimUserIDs []string
	// AutoTrimThreshold is how many entries past AutoTrimMaxCount are let
	// pile up before a trim, so that each write does not delete one
	// (history.auto_trim_threshold; Kinto's default is 100).
	AutoTrimThreshold int
}

// DefaultAutoTrimThreshold is history.auto_trim_threshold when unset.
const DefaultAutoTrimThreshold = 100

// History is Kinto's history plugin: an entry per change of a bucket,
// group, collection or record, written in the same unit of work as the
// change, and served read-only at /buckets/{bid}/history (GET, and DELETE
// to trim) with the record protocol.
type History struct {
	svc      *Service
	settings HistorySettings
	now      func() time.Time

	Resource *app.Resource
}

// NewHistory declares the history resource under the service's buckets.
func (s *Service) NewHistory(settings HistorySettings) *History {
	h := &History{svc: s, settings: settings, now: time.Now}
	h.Resource = &app.Resource{
		Name: "history", Plural: "history", IDVar: "hid", Parent: s.Bucket, IDs: app.UUID4{},
		// Read from the bucket's read or write, or from the entry's own
		// read (given to who could read the object when it changed).
		Permissions: []string{"read"},
		ListMethods: []string{"GET", "HEAD", "DELETE"},
		// Kinto's history has no object endpoint.
		ObjectMethods: []string{},
	}
	return h
}

// Capability is the hello view's "history" entry, with the settings Kinto
// exposes there.
func (h *History) Capability() map[string]any {
	c := map[string]any{
		"description": "Track changes on data.",
		"url":         "http://kinto.readthedocs.io/en/latest/api/1.x/history.html",
	}
	if len(h.settings.ExcludeResources) > 0 {
		var excluded []map[string]string
		for _, uri := range h.settings.ExcludeResources {
			if ids, ok := uriIDs(uri); ok {
				excluded = append(excluded, ids)
			}
		}
		c["excluded_resources"] = excluded
	}
	if h.settings.AutoTrimMaxCount > 0 {
		c["auto_trim_max_count"] = h.settings.AutoTrimMaxCount
	}
	if len(h.settings.AutoTrimUserIDs) > 0 {
		c["auto_trim_user_ids"] = slices.Clone(h.settings.AutoTrimUserIDs)
	}
	return c
}

// Listener is the in-unit listener that records changes.
func (h *History) Listener() ports.Listener {
	return ports.Filtered{L: ports.ListenerFuncs{OnChanged: h.changed},
		Resources: []string{"bucket", "group", "collection", "record"}}
}

// changed writes one history entry per impacted object of ev.
func (h *History) changed(ctx context.Context, ev ports.ResourceChanged) error {
	if slices.Contains(h.settings.ExcludeUserIDs, ev.UserID) {
		return nil
	}
	if ev.ResourceName == "bucket" && ev.Action == ports.EventDelete {
		// The bucket's history went with it.
		return nil
	}
	for _, imp := range ev.Impacted {
		if err := h.record(ctx, ev, imp); err != nil {
			return err
		}
	}
	return nil
}

func (h *History) record(ctx context.Context, ev ports.ResourceChanged, imp ports.Impacted) error {
	target := imp.New
	bid := ev.IDs["bucket_id"]
	if ev.ResourceName == "bucket" {
		bid = target.ID
	}
	bucketURI := "/buckets/" + bid
	ids := map[string]string{}
	for k, v := range ev.IDs {
		ids[k] = v
	}
	ids[ev.ResourceName+"_id"] = target.ID
	delete(ids, "bucket_id")
	if ev.ResourceName == "bucket" {
		ids["bucket_id"] = target.ID
	}
	uri := objectURI(ev.ResourceName, bid, ids, target.ID)
	collectionURI := ""
	if cid, ok := ids["collection_id"]; ok {
		collectionURI = bucketURI + "/collections/" + cid
	}
	for _, excluded := range []string{bucketURI, collectionURI, uri} {
		if excluded != "" && slices.Contains(h.settings.ExcludeResources, excluded) {
			return nil
		}
	}

	perms := h.svc.perms
	acl, err := perms.ObjectACL(ctx, uri)
	if err != nil {
		return fmt.Errorf("history: permissions of %s: %w", uri, err)
	}
	entry := map[string]any{
		"action":        string(ev.Action),
		"uri":           uri,
		"resource_name": ev.ResourceName,
		"user_id":       ev.UserID,
		"date":          h.now().UTC().Format("2006-01-02T15:04:05.000000+00:00"),
		"target":        map[string]any{"data": target.Map(), "permissions": aclMap(acl)},
	}
	for k, v := range ids {
		entry[k] = v
	}
	list := domain.Parent{Resource: "history", ID: bucketURI}
	stored, err := h.svc.store.Create(ctx, list, domain.Record{ID: app.UUID4{}.NewID(), Data: entry}, nil)
	if err != nil {
		return fmt.Errorf("history: record %s of %s: %w", ev.Action, uri, err)
	}
	if err := h.autoTrim(ctx, list, ev.ResourceName, ev.UserID); err != nil {
		return err
	}
	if !h.svc.settings.ExplicitPermissions {
		// Only the bucket's permissions then decide who reads history.
		return nil
	}
	// Who could read the object when it changed may read the entry: the
	// readers and writers of the bucket, of the collection, of the object.
	readers := map[string]bool{}
	for _, obj := range []string{bucketURI, collectionURI} {
		if obj == "" {
			continue
		}
		a, err := perms.ObjectACL(ctx, obj)
		if err != nil {
			return fmt.Errorf("history: permissions of %s: %w", obj, err)
		}
		for _, p := range append(a["read"], a["write"]...) {
			readers[p] = true
		}
	}
	for _, p := range append(acl["read"], acl["write"]...) {
		readers[p] = true
	}
	if len(readers) == 0 {
		return nil
	}
	principals := make([]string, 0, len(readers))
	for p := range readers {
		principals = append(principals, p)
	}
	sort.Strings(principals)
	entryURI := bucketURI + "/history/" + stored.ID
	if err := perms.ReplaceACL(ctx, entryURI, ports.ACL{"read": principals}); err != nil {
		return fmt.Errorf("history: permissions of %s: %w", entryURI, err)
	}
	return nil
}

// autoTrim deletes the oldest entries of list about resource (of user
// only, when trimming is limited to some users) once there are more than
// AutoTrimMaxCount+AutoTrimThreshold of them, keeping the AutoTrimMaxCount
// newest, as Kinto does after each entry it writes. It runs in the unit of
// the change, so a failed trim fails the change.
func (h *History) autoTrim(ctx context.Context, list domain.Parent, resource, user string) error {
	keep := h.settings.AutoTrimMaxCount
	byUser := len(h.settings.AutoTrimUserIDs) > 0
	if keep <= 0 || (byUser && !slices.Contains(h.settings.AutoTrimUserIDs, user)) {
		return nil
	}
	filters := []domain.Filter{{Field: "resource_name", Op: domain.OpEq, Value: resource}}
	if byUser {
		filters = append(filters, domain.Filter{Field: "user_id", Op: domain.OpEq, Value: user})
	}
	n, err := h.svc.store.Count(ctx, list, filters)
	if err != nil {
		return fmt.Errorf("history: count the %s entries of %s: %w", resource, list.ID, err)
	}
	if n <= keep+max(h.settings.AutoTrimThreshold, 0) {
		return nil
	}
	// The keep-th newest entry is the oldest kept: everything older goes.
	// Timestamps are unique within a list, so last_modified alone orders.
	newest := domain.Sort{Field: "last_modified", Desc: true}
	kept, err := h.svc.store.List(ctx, list, domain.Query{Filters: filters, Sort: []domain.Sort{newest}, Limit: keep})
	if err != nil {
		return fmt.Errorf("history: list the %s entries of %s: %w", resource, list.ID, err)
	}
	if len(kept) < keep {
		return nil // trimmed meanwhile
	}
	oldestKept := json.Number(strconv.FormatInt(kept[len(kept)-1].LastModified, 10))
	older := append(slices.Clip(filters), domain.Filter{Field: "last_modified", Op: domain.OpLt, Value: oldestKept})
	gone, err := h.svc.store.DeleteMany(ctx, list, domain.Query{Filters: older, Sort: []domain.Sort{newest}})
	if err != nil {
		return fmt.Errorf("history: trim the %s entries of %s: %w", resource, list.ID, err)
	}
	if !h.svc.settings.ExplicitPermissions {
		return nil
	}
	// The entries' own read permissions go with them.
	for _, e := range gone {
		if err := h.svc.perms.DeleteACLs(ctx, list.ID+"/history/"+e.ID); err != nil {
			return fmt.Errorf("history: permissions of trimmed entry %s: %w", e.ID, err)
		}
	}
	return nil
}

// objectURI is the URI of the object a history entry is about.
func objectURI(resource, bid string, ids map[string]string, id string) string {
	switch resource {
	case "bucket":
		return "/buckets/" + id
	case "collection":
		return "/buckets/" + bid + "/collections/" + id
	case "group":
		return "/buckets/" + bid + "/groups/" + id
	default: // record
		return "/buckets/" + bid + "/collections/" + ids["collection_id"] + "/records/" + id
	}
}

// uriIDs names the ids of an object URI as Kinto's capability does.
func uriIDs(uri string) (map[string]string, bool) {
	parts := strings.FieldsFunc(uri, func(r rune) bool { return r == '/' })
	switch {
	case len(parts) == 2 && parts[0] == "buckets":
		return map[string]string{"bucket": parts[1]}, true
	case len(parts) == 4 && parts[2] == "collections":
		return map[string]string{"bucket": parts[1], "collection": parts[3]}, true
	case len(parts) == 4 && parts[2] == "groups":
		return map[string]string{"bucket": parts[1], "group": parts[3]}, true
	case len(parts) == 6 && parts[2] == "collections" && parts[4] == "records":
		return map[string]string{"bucket": parts[1], "collection": parts[3], "record": parts[5]}, true
	}
	return nil, false
}

// aclMap is an ACL as the JSON of a history entry holds it.
func aclMap(acl ports.ACL) map[string]any {
	out := map[string]any{}
	for perm, principals := range acl {
		list := make([]any, len(principals))
		for i, p := range principals {
			list[i] = p
		}
		out[perm] = list
	}
	return out
}
