package main

import (
	"context"
	"net/http"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// archive declares the read-only archive: the caller's archived articles at
// /v1/archive and /v1/archive/{id} (the paths of its plural, "archive"),
// answering GET and HEAD only (every other method is 405 errno 115). It is
// served by its own engine over archiveStorage, so listing, filters,
// sorting, paging and conditional requests behave exactly as on
// /v1/articles.
//
// Archiving and unarchiving happen on /v1/articles (PATCH archived). The
// archive shows live archived articles only: it is for browsing, not for
// _since synchronisation, which belongs to /v1/articles.
func archive() *app.Resource {
	readOnly := []string{http.MethodGet, http.MethodHead}
	return &app.Resource{
		Name:          "archive",
		Plural:        "archive",
		PerUser:       true,
		IDs:           app.UUID4{},
		DefaultSort:   []domain.Sort{{Field: "last_modified", Desc: true}},
		ListMethods:   readOnly,
		ObjectMethods: readOnly,
	}
}

// archivedOnly selects archived articles.
var archivedOnly = domain.Filter{Field: "archived", Op: domain.OpEq, Value: true}

// archiveStorage is the article storage seen through the archive: it reads
// the articles lists of the same users, keeps only archived articles, and
// refuses every write. It decorates the Storage port, so the engine and the
// http adapter need nothing special for it.
type archiveStorage struct {
	ports.Storage // the article storage; Healthy passes through
}

var _ ports.Storage = archiveStorage{}

// articlesOf maps an archive list to the articles list of the same user.
func articlesOf(p domain.Parent) domain.Parent {
	return domain.Parent{Resource: articleName, ID: p.ID}
}

// Timestamp returns the timestamp of the user's articles: any article
// write may change what the archive shows.
func (a archiveStorage) Timestamp(ctx context.Context, p domain.Parent) (int64, error) {
	return a.Storage.Timestamp(ctx, articlesOf(p))
}

// Get returns an archived article; a live article that is not archived is
// NotFound here.
func (a archiveStorage) Get(ctx context.Context, p domain.Parent, id string) (domain.Record, error) {
	rec, err := a.Storage.Get(ctx, articlesOf(p), id)
	if err != nil {
		return domain.Record{}, err
	}
	if archived, _ := rec.Data["archived"].(bool); !archived {
		return domain.Record{}, domain.NotFoundError("readinglist.archiveStorage.Get", p.Resource, id)
	}
	return rec, nil
}

// List lists the archived articles matching q.
func (a archiveStorage) List(ctx context.Context, p domain.Parent, q domain.Query) ([]domain.Record, error) {
	q.Filters = append([]domain.Filter{archivedOnly}, q.Filters...)
	return a.Storage.List(ctx, articlesOf(p), q)
}

// Count counts the archived articles matching filters.
func (a archiveStorage) Count(ctx context.Context, p domain.Parent, filters []domain.Filter) (int, error) {
	return a.Storage.Count(ctx, articlesOf(p), append([]domain.Filter{archivedOnly}, filters...))
}

// readOnlyArchive is the answer to any write reaching the archive. The
// routes serve GET and HEAD only, so this is a safety net, not a path
// clients can take.
func readOnlyArchive(op string) error {
	return &domain.Error{Kind: domain.MethodNotAllowed, Op: "readinglist.archiveStorage." + op, Message: "The archive is read-only; archive articles with PATCH /articles/{id}."}
}

// Create refuses: the archive is read-only.
func (archiveStorage) Create(context.Context, domain.Parent, domain.Record, []string) (domain.Record, error) {
	return domain.Record{}, readOnlyArchive("Create")
}

// Update refuses: the archive is read-only.
func (archiveStorage) Update(context.Context, domain.Parent, domain.Record, []string) (domain.Record, error) {
	return domain.Record{}, readOnlyArchive("Update")
}

// Delete refuses: the archive is read-only.
func (archiveStorage) Delete(context.Context, domain.Parent, string, int64) (domain.Record, error) {
	return domain.Record{}, readOnlyArchive("Delete")
}

// DeleteMany refuses: the archive is read-only.
func (archiveStorage) DeleteMany(context.Context, domain.Parent, domain.Query) ([]domain.Record, error) {
	return nil, readOnlyArchive("DeleteMany")
}

// Purge refuses: the archive is read-only.
func (archiveStorage) Purge(context.Context, string) (int, error) {
	return 0, readOnlyArchive("Purge")
}
