package http

import "github.com/cliquet-go/cliquet/internal/domain"

// Hooks giving package http_test access to the querystring helpers that
// only the handlers of this package call.

// ComputeLimit exposes computeLimit.
var ComputeLimit = computeLimit

// FieldsParam exposes fieldsParam.
var FieldsParam = fieldsParam

// EncodePageToken exposes pageToken.encode.
func EncodePageToken(sorts []domain.Sort, after []domain.SortValue) (string, error) {
	return pageToken{sort: sorts, after: after}.encode()
}

// DecodePageToken exposes decodePageToken, returning the cursor.
func DecodePageToken(s string, sorts []domain.Sort) ([]domain.SortValue, error) {
	t, err := decodePageToken(s, sorts)
	return t.after, err
}
