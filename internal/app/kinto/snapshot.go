package kinto

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// snapshotIDsPerQuery caps the record ids of one history query of a
// snapshot, so that a collection with many changes since the timestamp
// never builds one unbounded IN list (a parameter per id on PostgreSQL).
const snapshotIDsPerQuery = 500

// Snapshot rebuilds the records of collection cid of bucket bid as they
// were at timestamp at, as Kinto's history plugin does at
// /buckets/{bid}/snapshot/collections/{cid}@{at}: the records unchanged
// since at as they are, those changed or deleted since as their newest
// history entry at or before at says, those created since left out;
// newest first.
//
// The caller needs read or write on the bucket or on the collection,
// granted to them explicitly (Kinto checks those four permissions, not the
// inherited ones): others get Forbidden, Unauthenticated when anonymous.
// As in Kinto, neither the bucket nor the collection need exist; a
// snapshot of what never existed is empty (for whoever may read it).
//
// One difference: a record whose newest entry at or before at is its
// deletion (deleted, then created again since) is left out, where Kinto
// returns its tombstone among the records.
func (h *History) Snapshot(ctx context.Context, caller app.Caller, bid, cid string, at int64) ([]map[string]any, error) {
	const op = "kinto.History.Snapshot"
	bucketURI := "/buckets/" + bid
	collectionURI := bucketURI + "/collections/" + cid
	ok, err := h.svc.perms.AnyGranted(ctx, caller.Principals, []ports.ObjectPerm{
		{Object: bucketURI, Perm: "read"}, {Object: bucketURI, Perm: "write"},
		{Object: collectionURI, Perm: "read"}, {Object: collectionURI, Perm: "write"},
	})
	if err != nil {
		return nil, fmt.Errorf("%s: permissions of %s: %w", op, collectionURI, err)
	}
	if !ok {
		if caller.UserID == "" {
			return nil, &domain.Error{Kind: domain.Unauthenticated, Op: op}
		}
		return nil, &domain.Error{Kind: domain.Forbidden, Op: op}
	}

	all, err := h.svc.store.List(ctx, domain.Parent{Resource: "record", ID: collectionURI},
		domain.Query{Sort: []domain.Sort{{Field: "last_modified", Desc: true}}, WithDeleted: true})
	if err != nil {
		return nil, fmt.Errorf("%s: records of %s: %w", op, collectionURI, err)
	}
	var out []map[string]any
	var changed []any
	for _, rec := range all {
		switch {
		case rec.LastModified > at:
			changed = append(changed, rec.ID)
		case !rec.Deleted:
			out = append(out, rec.Map())
		}
	}
	// The newest entry at or before at of each record changed since.
	history := domain.Parent{Resource: "history", ID: bucketURI}
	before := map[string]map[string]any{}
	for len(changed) > 0 {
		ids := changed[:min(len(changed), snapshotIDsPerQuery)]
		changed = changed[len(ids):]
		entries, err := h.svc.store.List(ctx, history, domain.Query{
			Filters: []domain.Filter{
				{Field: "resource_name", Op: domain.OpEq, Value: "record"},
				{Field: "collection_id", Op: domain.OpEq, Value: cid},
				{Field: "record_id", Op: domain.OpIn, Value: ids},
				{Field: "target.data.last_modified", Op: domain.OpMax, Value: json.Number(strconv.FormatInt(at, 10))},
			},
			Sort: []domain.Sort{{Field: "last_modified", Desc: true}},
		})
		if err != nil {
			return nil, fmt.Errorf("%s: history of %s: %w", op, collectionURI, err)
		}
		for _, e := range entries {
			rid, _ := e.Data["record_id"].(string)
			if _, seen := before[rid]; seen {
				continue
			}
			target, _ := e.Data["target"].(map[string]any)
			data, _ := target["data"].(map[string]any)
			before[rid] = data
		}
	}
	for _, data := range before {
		if data == nil || data["deleted"] == true {
			continue
		}
		out = append(out, data)
	}
	sort.SliceStable(out, func(i, j int) bool { return lastModifiedOf(out[i]) > lastModifiedOf(out[j]) })
	return out, nil
}

// lastModifiedOf reads the last_modified of a record as JSON holds it.
func lastModifiedOf(m map[string]any) int64 {
	switch v := m["last_modified"].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	case int:
		return int64(v)
	}
	return 0
}
