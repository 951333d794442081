package main

import (
	"net/http"
	"net/url"
	"slices"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// permissionsEndpoint serves GET /permissions (PROTOCOL-kinto §3.1): what
// the caller's principals may do, with the list protocol's filters and
// sorting.
type permissionsEndpoint struct {
	srv *httpadapter.Server
	svc *kintoapp.Service
	// readers may use the endpoint; the others get 401 or 403.
	readers []string
}

// mountPermissions routes /permissions and advertises it.
func mountPermissions(srv *httpadapter.Server, svc *kintoapp.Service, readers []string) {
	p := permissionsEndpoint{srv: srv, svc: svc, readers: readers}
	srv.AddCapability("permissions_endpoint", map[string]any{
		"description": "The permissions endpoint can be used to list all user objects permissions.",
		"url":         "https://kinto.readthedocs.io/en/latest/configuration/settings.html#activating-the-permissions-endpoint",
	})
	srv.Route("permissions", "/permissions", map[string]http.Handler{
		http.MethodGet:  http.HandlerFunc(p.serve),
		http.MethodHead: http.HandlerFunc(p.serve),
	})
	documentPermissions(srv)
}

// parseListQuery reads the list protocol's parameters (filters, sorting)
// of a query string with the HTTP adapter's parser, as resources do.
func parseListQuery(q url.Values, nowMillis int64) (httpadapter.ListQuery, error) {
	return httpadapter.ParseListQuery(q, httpadapter.ListQueryOptions{Now: nowMillis})
}

func (p permissionsEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	uid := httpadapter.UserID(r.Context())
	principals := httpadapter.Principals(r.Context())
	if !slices.ContainsFunc(principals, func(pr string) bool { return slices.Contains(p.readers, pr) }) {
		p.srv.WriteError(w, r, denyFor(uid))
		return
	}
	lr, err := parseListQuery(r.URL.Query(), p.srv.Now().UnixMilli())
	if err != nil {
		p.srv.WriteError(w, r, err)
		return
	}
	entries, err := p.svc.Permissions(r.Context(), app.Caller{UserID: uid, Principals: principals})
	if err != nil {
		p.srv.WriteError(w, r, err)
		return
	}
	// The entries have no timestamp: last_modified filters and sorts
	// are ignored, and the order always ends on the URI.
	var filters []domain.Filter
	for _, f := range lr.Filters {
		if f.Field != "last_modified" {
			filters = append(filters, f)
		}
	}
	var sorts []domain.Sort
	for _, so := range lr.Sort {
		if so.Field != "last_modified" {
			sorts = append(sorts, so)
		}
	}
	sorts = append(sorts, domain.Sort{Field: "uri"})
	recs := make([]domain.Record, 0, len(entries))
	for _, e := range entries {
		data := map[string]any{}
		for k, v := range e {
			if k != "id" {
				data[k] = v
			}
		}
		id, _ := e["id"].(string)
		rec := domain.Record{ID: id, Data: data}
		if domain.MatchAll(rec, filters) {
			recs = append(recs, rec)
		}
	}
	domain.SortRecords(recs, sorts)
	data := make([]any, len(recs))
	for i, rec := range recs {
		m := make(map[string]any, len(rec.Data)+1)
		for k, v := range rec.Data {
			m[k] = v
		}
		if rec.ID != "" {
			m["id"] = rec.ID
		}
		data[i] = m
	}
	httpadapter.SetTimestamp(w.Header(), p.srv.Now().UnixMilli())
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	p.srv.WriteJSON(w, r, http.StatusOK, map[string]any{"data": data})
}

// denyFor is 401 for anonymous callers, 403 for the others.
func denyFor(userID string) error {
	if userID == "" {
		return &domain.Error{Kind: domain.Unauthenticated, Op: "kinto.permissions"}
	}
	return &domain.Error{Kind: domain.Forbidden, Op: "kinto.permissions"}
}
