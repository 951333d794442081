package domain_test

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestProject(t *testing.T) {
	r := rec(t, `{"id":"a","last_modified":5,"title":"t","body":"b","author":{"name":"Ann","age":3,"x":{"y":1,"z":2}},"s":"str","deleted":false}`)
	tomb := domain.Record{ID: "d", LastModified: 6, Deleted: true}
	tests := []struct {
		name   string
		r      domain.Record
		fields []string
		want   string
	}{
		{"no fields", r, nil, `{"author":{"age":3,"name":"Ann","x":{"y":1,"z":2}},"body":"b","deleted":false,"id":"a","last_modified":5,"s":"str","title":"t"}`},
		{"top-level", r, []string{"title"}, `{"id":"a","last_modified":5,"title":"t"}`},
		{"nested trimmed", r, []string{"author.name"}, `{"author":{"name":"Ann"},"id":"a","last_modified":5}`},
		{"two nested merged", r, []string{"author.name", "author.x.z"}, `{"author":{"name":"Ann","x":{"z":2}},"id":"a","last_modified":5}`},
		{"whole and nested", r, []string{"author", "author.name"}, `{"author":{"age":3,"name":"Ann","x":{"y":1,"z":2}},"id":"a","last_modified":5}`},
		{"unknown absent", r, []string{"nope", "author.nope"}, `{"author":{},"id":"a","last_modified":5}`},
		{"non-object parent kept", r, []string{"s.x"}, `{"id":"a","last_modified":5,"s":"str"}`},
		{"data field named deleted", r, []string{"deleted"}, `{"deleted":false,"id":"a","last_modified":5}`},
		{"tombstone keeps deleted", tomb, []string{"title"}, `{"deleted":true,"id":"d","last_modified":6}`},
	}
	for _, tt := range tests {
		if got := asJSON(t, domain.Project(tt.r, tt.fields)); got != tt.want {
			t.Errorf("Project(%s) = %s, want %s", tt.name, got, tt.want)
		}
	}
}
