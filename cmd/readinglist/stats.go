package main

import (
	"context"
	"fmt"
	"net/http"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// statsPath is the custom view's URL under the version prefix. The http
// adapter tries it before /articles/{id}, whatever the mount order: a
// literal segment wins over a variable one.
const statsPath = "/articles/stats"

// articleStats is the body of GET /v1/articles/stats.
type articleStats struct {
	Total    int `json:"total"`
	Unread   int `json:"unread"`
	Archived int `json:"archived"`
}

// mountStats mounts GET /v1/articles/stats, a custom view built on the
// Storage port alone: it counts the caller's articles, the unread ones and
// the archived ones. The route requires authentication: anonymous callers
// get 401 errno 104 from the adapter, as on the articles themselves.
func mountStats(srv *httpadapter.Server, store ports.Storage) {
	srv.DocumentSchema("ArticleStats", httpadapter.Schema{
		"type":     "object",
		"required": []string{"total", "unread", "archived"},
		"properties": map[string]any{
			"total":    httpadapter.Schema{"type": "integer", "description": "The caller's articles."},
			"unread":   httpadapter.Schema{"type": "integer", "description": "Those not read yet."},
			"archived": httpadapter.Schema{"type": "integer", "description": "Those archived."},
		},
	})
	srv.Document(statsPath, httpadapter.PathItem{Get: &httpadapter.Operation{
		Tags: []string{"Articles"}, OperationID: "get_article_stats",
		Summary: "Count the caller's articles, the unread ones and the archived ones.",
		Responses: map[string]httpadapter.Response{
			"200": {Description: "The counts, with the list's timestamp as ETag.", Content: httpadapter.JSONContent(httpadapter.SchemaRef("ArticleStats"))},
			"401": httpadapter.ErrorResponse(http.StatusUnauthorized),
		},
	}})
	srv.Route("article-stats", statsPath, map[string]http.Handler{
		http.MethodGet: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ts, stats, err := countArticles(r.Context(), store, httpadapter.UserID(r.Context()))
			if err != nil {
				srv.WriteError(w, r, err)
				return
			}
			h := w.Header()
			httpadapter.SetTimestamp(h, ts)
			h.Set("Cache-Control", "no-cache, no-store") // private data
			srv.WriteJSON(w, r, http.StatusOK, stats)
		}),
	}, httpadapter.RequireAuthentication())
}

// countArticles counts the articles of user uid and returns them with the
// list timestamp. The timestamp is read first, so that it is never newer
// than the counts; the three counts are separate reads, so a write landing
// between them may show in some and not others.
func countArticles(ctx context.Context, store ports.Storage, uid string) (int64, articleStats, error) {
	p := domain.Parent{Resource: articleName, ID: uid}
	ts, err := store.Timestamp(ctx, p)
	if err != nil {
		return 0, articleStats{}, fmt.Errorf("articles timestamp: %w", err)
	}
	var out articleStats
	for _, c := range []struct {
		name   string
		dst    *int
		filter []domain.Filter
	}{
		{"all", &out.Total, nil},
		{"unread", &out.Unread, []domain.Filter{{Field: "unread", Op: domain.OpEq, Value: true}}},
		{"archived", &out.Archived, []domain.Filter{archivedOnly()}},
	} {
		n, err := store.Count(ctx, p, c.filter)
		if err != nil {
			return 0, articleStats{}, fmt.Errorf("count %s articles: %w", c.name, err)
		}
		*c.dst = n
	}
	return ts, out, nil
}
