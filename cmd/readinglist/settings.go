package main

import "github.com/cliquet-go/cliquet/internal/config"

// envPrefix is the prefix of the service's environment variables and,
// lower-cased, of its INI keys ("readinglist.paginate_by").
const envPrefix = "READINGLIST"

// settings is every setting readinglist reads: the generic Cliquet ones.
// The service adds none of its own; a service that needs some declares
// them here, next to the embedded Core, with the same struct tags.
type settings struct {
	config.Core
}
