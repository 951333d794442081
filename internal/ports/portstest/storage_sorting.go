package portstest

import (
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

func storageSorts(t *testing.T, s ports.Storage) {
	filterFixture(t, s)
	tests := []struct {
		sorts []domain.Sort
		want  string
	}{
		{[]domain.Sort{{Field: "last_modified", Desc: true}}, "f6,f5,f4,f3,f2,f1"},
		{[]domain.Sort{{Field: "last_modified"}}, "f1,f2,f3,f4,f5,f6"},
		{[]domain.Sort{{Field: "id", Desc: true}}, "f6,f5,f4,f3,f2,f1"},
		// null < string < number < boolean < array < object < missing
		{[]domain.Sort{{Field: "n"}, {Field: "last_modified", Desc: true}}, "f4,f3,f1,f2,f6,f5"},
		{[]domain.Sort{{Field: "n", Desc: true}, {Field: "last_modified", Desc: true}}, "f5,f6,f2,f1,f3,f4"},
		{[]domain.Sort{{Field: "meta.k"}, {Field: "last_modified", Desc: true}}, "f3,f6,f1,f2,f5,f4"},
		{[]domain.Sort{{Field: "meta.k"}, {Field: "last_modified"}}, "f3,f1,f6,f2,f4,f5"},
		{[]domain.Sort{{Field: "flag", Desc: true}, {Field: "id"}}, "f3,f4,f5,f6,f1,f2"},
		{[]domain.Sort{{Field: "flag"}, {Field: "id", Desc: true}}, "f2,f1,f6,f5,f4,f3"},
		{[]domain.Sort{{Field: "meta.n", Desc: true}, {Field: "n"}, {Field: "id"}}, "f3,f5,f4,f2,f1,f6"},
		// arrays order by length first, then element by element
		{[]domain.Sort{{Field: "tags"}, {Field: "last_modified"}}, "f4,f3,f2,f1,f6,f5"},
		{[]domain.Sort{{Field: "other"}, {Field: "id", Desc: true}}, "f5,f6,f4,f3,f2,f1"},
	}
	for _, tt := range tests {
		got := stIDs(stList(t, s, stParent, domain.Query{Sort: tt.sorts}))
		if got != tt.want {
			t.Errorf("List(sort %s) = %s, want %s", stJSON(t, tt.sorts), got, tt.want)
		}
		limited := stIDs(stList(t, s, stParent, domain.Query{Sort: tt.sorts, Limit: 2}))
		if want := strings.Join(strings.Split(tt.want, ",")[:2], ","); limited != want {
			t.Errorf("List(sort %s, limit 2) = %s, want %s", stJSON(t, tt.sorts), limited, want)
		}
	}
}
