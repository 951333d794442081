package main

import (
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// archive declares the read-only archive, /v1/archive and /v1/archive/{id}:
// a view of the caller's articles (the same storage lists, ids and ETags)
// narrowed to the archived ones. Listing, filters, sorting, paging and
// conditional requests behave exactly as on /v1/articles; GET and HEAD are
// served, every other method is 405 errno 115.
//
// Archiving and unarchiving happen on /v1/articles (PATCH archived). The
// archive shows live archived articles only (tombstones keep no archived
// field): it is for browsing, not for _since synchronisation, which
// belongs to /v1/articles.
func archive() *app.Resource {
	return &app.Resource{
		Name:         "archive",
		Plural:       "archive",
		StorageName:  articleName,
		PerUser:      true,
		IDs:          app.UUID4{},
		FixedFilters: []domain.Filter{archivedOnly()},
		ReadOnly:     true,
		DefaultSort:  []domain.Sort{{Field: "last_modified", Desc: true}},
	}
}

// archivedOnly selects archived articles.
func archivedOnly() domain.Filter {
	return domain.Filter{Field: "archived", Op: domain.OpEq, Value: true}
}
