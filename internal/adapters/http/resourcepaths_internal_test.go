package http

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/app"
)

func TestResourcePaths(t *testing.T) {
	buckets := &app.Resource{Name: "bucket", Plural: "buckets", IDVar: "bid"}
	collections := &app.Resource{Name: "collection", Plural: "collections", Parent: buckets, IDVar: "cid"}
	records := &app.Resource{Name: "record", Plural: "records", Parent: collections}
	tests := []struct {
		res          *app.Resource
		list, object string
	}{
		{buckets, "/buckets", "/buckets/{bid}"},
		{collections, "/buckets/{bid}/collections", "/buckets/{bid}/collections/{cid}"},
		{records, "/buckets/{bid}/collections/{cid}/records", "/buckets/{bid}/collections/{cid}/records/{id}"},
	}
	for _, tt := range tests {
		list, object := resourcePaths(tt.res)
		if list != tt.list || object != tt.object {
			t.Errorf("resourcePaths(%s) = %q, %q; want %q, %q", tt.res.Name, list, object, tt.list, tt.object)
		}
	}
}
