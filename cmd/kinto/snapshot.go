package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// snapshotPattern is Kinto's history_snapshot view,
// /buckets/{bid}/snapshot/collections/{cid}@{timestamp}: one path
// variable holds "<cid>@<timestamp>" (collection ids have no "@"), split by
// the handler, so that a path without "@" is no route, a 404, as in Kinto.
const snapshotPattern = "/buckets/{bid}/snapshot/collections/{collection_at:[^/@]+@[^/]+}"

// mountSnapshot serves the collection snapshots of the history plugin.
func mountSnapshot(srv *httpadapter.Server, h *kintoapp.History) {
	serve := func(w http.ResponseWriter, r *http.Request) {
		vars := mux.Vars(r)
		cid, raw, _ := strings.Cut(vars["collection_at"], "@")
		at, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || at < 0 {
			srv.WriteError(w, r, &domain.Error{Kind: domain.Invalid, Op: "kinto.snapshot",
				Issues: []domain.Issue{{Location: domain.InPath, Name: "timestamp", Description: "Invalid timestamp '" + raw + "'"}}})
			return
		}
		caller := app.Caller{UserID: httpadapter.UserID(r.Context()), Principals: httpadapter.Principals(r.Context())}
		recs, err := h.Snapshot(r.Context(), caller, vars["bid"], cid, at)
		if err != nil {
			srv.WriteError(w, r, err)
			return
		}
		if recs == nil {
			recs = []map[string]any{}
		}
		srv.WriteJSON(w, r, http.StatusOK, map[string]any{"data": recs})
	}
	srv.Route("history-snapshot", snapshotPattern, map[string]http.Handler{http.MethodGet: http.HandlerFunc(serve)})
	srv.Document(snapshotPattern, httpadapter.PathItem{
		Parameters: []httpadapter.Parameter{
			{Name: "bid", In: "path", Required: true, Description: "The bucket's id.", Schema: httpadapter.Schema{"type": "string"}},
			{Name: "collection_at", In: "path", Required: true, Description: "<collection id>@<timestamp>: the collection, and the timestamp (epoch milliseconds) to rebuild it at.",
				Schema: httpadapter.Schema{"type": "string", "pattern": "^[^/@]+@[^/]+$"}},
		},
		Get: &httpadapter.Operation{
			Tags: []string{"History"}, OperationID: "get_history_snapshot",
			Summary:     "Reconstruct a collection's records at a given timestamp, from its history.",
			Description: "The records unchanged since the timestamp as they are, the others as their newest history entry at or before it says, newest first. Needs read or write on the bucket or on the collection.",
			Responses: map[string]httpadapter.Response{
				"200": {Description: "The records at the timestamp.", Content: httpadapter.JSONContent(httpadapter.Schema{
					"type": "object", "required": []string{"data"},
					"properties": map[string]any{"data": httpadapter.Schema{"type": "array", "items": httpadapter.Schema{"type": "object"}}},
				})},
				"400": httpadapter.ErrorResponse(http.StatusBadRequest),
				"401": httpadapter.ErrorResponse(http.StatusUnauthorized),
				"403": httpadapter.ErrorResponse(http.StatusForbidden),
			},
		},
	})
}
