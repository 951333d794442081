package app

import (
	"reflect"
	"testing"

	"github.com/cliquet-go/cliquet/internal/ports"
)

func uriTree() (bucket, collection, record *Resource) {
	bucket = &Resource{Name: "bucket", Plural: "buckets", IDVar: "bid",
		Permissions: []string{"read", "write", "collection:create", "group:create"}}
	collection = &Resource{Name: "collection", Plural: "collections", IDVar: "cid", Parent: bucket,
		Permissions: []string{"read", "write", "record:create"}}
	record = &Resource{Name: "record", Plural: "records", IDVar: "rid", Parent: collection,
		Permissions: []string{"read", "write"}}
	return bucket, collection, record
}

func TestURIJoinsEveryLevel(t *testing.T) {
	b, c, r := uriTree()
	vars := map[string]string{"bid": "b1", "cid": "c22", "rid": "ignored"}
	for _, tt := range []struct {
		res  *Resource
		id   string
		want string
	}{
		{b, "b1", "/buckets/b1"},
		{c, "c22", "/buckets/b1/collections/c22"},
		{r, "r333", "/buckets/b1/collections/c22/records/r333"},
		{r, "", "/buckets/b1/collections/c22/records/"},
	} {
		if got := tt.res.URI(vars, tt.id); got != tt.want {
			t.Errorf("%s URI(%q) = %q, want %q", tt.res.Name, tt.id, got, tt.want)
		}
	}
	if got := r.ParentURI(vars); got != "/buckets/b1/collections/c22" {
		t.Errorf("ParentURI = %q", got)
	}
	if got := b.ParentURI(vars); got != "" {
		t.Errorf("root ParentURI = %q, want empty", got)
	}
}

func TestObjectPairsNearestFirst(t *testing.T) {
	_, c, r := uriTree()
	vars := map[string]string{"bid": "b", "cid": "c"}
	rec, col, bucket := "/buckets/b/collections/c/records/r", "/buckets/b/collections/c", "/buckets/b"
	got := objectPairs(r, vars, "r", needAttributes)
	want := []ports.ObjectPerm{
		{Object: rec, Perm: "write"}, {Object: rec, Perm: "read"},
		{Object: col, Perm: "write"}, {Object: col, Perm: "read"},
		{Object: bucket, Perm: "write"}, {Object: bucket, Perm: "read"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record pairs = %v, want %v", got, want)
	}
	got = objectPairs(c, vars, "c", needAttributes)
	want = []ports.ObjectPerm{
		{Object: col, Perm: "write"}, {Object: col, Perm: "read"}, {Object: col, Perm: "record:create"},
		{Object: bucket, Perm: "write"}, {Object: bucket, Perm: "read"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("collection pairs = %v, want %v", got, want)
	}
	got = objectPairs(r, vars, "r", needWrite)
	want = []ports.ObjectPerm{{Object: rec, Perm: "write"}, {Object: col, Perm: "write"}, {Object: bucket, Perm: "write"}}
	if !reflect.DeepEqual(got, want) || cap(got) != len(got) {
		t.Errorf("write pairs = %v (cap %d), want %v", got, cap(got), want)
	}
}

func TestIsURI(t *testing.T) {
	_, c, r := uriTree()
	vars := map[string]string{"bid": "b", "cid": "c"}
	for _, tt := range []struct {
		res  *Resource
		id   string
		uri  string
		want bool
	}{
		{r, "r", "/buckets/b/collections/c/records/r", true},
		{c, "c", "/buckets/b/collections/c", true},
		{r, "r", "/buckets/b/collections/c/records/x", false},
		{r, "r", "/buckets/x/collections/c/records/r", false},
		{r, "r", "x/buckets/b/collections/c/records/r", false},
		{r, "r", "/collections/c/records/r", false},
		{c, "c", "/buckets/b/groups/c", false},
		{c, "c", "", false},
	} {
		if got := tt.res.isURI(vars, tt.id, tt.uri); got != tt.want {
			t.Errorf("%s isURI(%q, %q) = %v, want %v", tt.res.Name, tt.id, tt.uri, got, tt.want)
		}
	}
}

func TestParentURIFollowsTheRequest(t *testing.T) {
	b, _, r := uriTree()
	req := &Request{Resource: r, Vars: map[string]string{"bid": "b", "cid": "c"}}
	if got := req.parentURIOf(); got != "/buckets/b/collections/c" {
		t.Fatalf("parentURIOf = %q", got)
	}
	if got := req.grandparentURI(); got != "/buckets/b" {
		t.Errorf("grandparentURI = %q, want /buckets/b", got)
	}
	req.Vars = map[string]string{"bid": "b2", "cid": "c"}
	if got := req.parentURIOf(); got != "/buckets/b2/collections/c" {
		t.Errorf("after new vars, parentURIOf = %q", got)
	}
	req.Vars["cid"] = "c3"
	if got := req.parentURIOf(); got != "/buckets/b2/collections/c3" {
		t.Errorf("after a changed var, parentURIOf = %q", got)
	}
	req.Resource = b
	if got := req.parentURIOf(); got != "" {
		t.Errorf("root resource: parentURIOf = %q, want empty", got)
	}
}

func TestCreatePairs(t *testing.T) {
	b, c, r := uriTree()
	g := NewGuard(nil, nil, false)
	vars := map[string]string{"bid": "b", "cid": "c"}
	got := g.createPairs(&Request{Resource: r, Vars: vars})
	want := []ports.ObjectPerm{
		{Object: "/buckets/b/collections/c", Perm: "record:create"},
		{Object: "/buckets/b/collections/c", Perm: "write"},
		{Object: "/buckets/b", Perm: "write"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("record create pairs = %v, want %v", got, want)
	}
	got = g.createPairs(&Request{Resource: c, Vars: vars})
	want = []ports.ObjectPerm{{Object: "/buckets/b", Perm: "collection:create"}, {Object: "/buckets/b", Perm: "write"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("collection create pairs = %v, want %v", got, want)
	}
	if got := g.createPairs(&Request{Resource: b, Vars: vars}); got != nil {
		t.Errorf("root create pairs = %v, want none", got)
	}
}
