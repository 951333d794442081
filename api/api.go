// Package api holds the service's OpenAPI (Swagger 2.0) document. It lives
// here, next to the document, because go:embed cannot reach parent folders;
// the http adapter serves it on /__api__ after filling in host and basePath.
package api

import _ "embed"

//go:embed openapi.json
var document []byte

// Document returns a copy of the OpenAPI document, so that callers can
// never alter what the next caller gets.
func Document() []byte {
	return append([]byte(nil), document...)
}
