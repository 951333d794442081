package domain_test

import (
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestCheckPreconditions(t *testing.T) {
	ts := func(v int64) domain.ETagCondition { return domain.ETagCondition{Set: true, TS: v} }
	star := domain.ETagCondition{Set: true, Any: true}
	cases := []struct {
		name         string
		p            domain.Preconditions
		exists, read bool
		notModified  bool
		failed       bool
	}{
		{"no headers", domain.Preconditions{}, true, true, false, false},
		{"if-none-match equal on read", domain.Preconditions{IfNoneMatch: ts(10)}, true, true, true, false},
		{"if-none-match other on read", domain.Preconditions{IfNoneMatch: ts(9)}, true, true, false, false},
		{"if-none-match equal on write ignored", domain.Preconditions{IfNoneMatch: ts(10)}, true, false, false, false},
		{"if-none-match star exists", domain.Preconditions{IfNoneMatch: star}, true, false, false, true},
		{"if-none-match star absent", domain.Preconditions{IfNoneMatch: star}, false, false, false, false},
		{"if-match absent", domain.Preconditions{IfMatch: ts(10)}, false, false, false, true},
		{"if-match star absent", domain.Preconditions{IfMatch: star}, false, false, false, true},
		{"if-match star exists", domain.Preconditions{IfMatch: star}, true, false, false, false},
		{"if-match equal", domain.Preconditions{IfMatch: ts(10)}, true, false, false, false},
		{"if-match other", domain.Preconditions{IfMatch: ts(11)}, true, true, false, true},
	}
	for _, c := range cases {
		nm, err := domain.CheckPreconditions(c.p, c.exists, 10, c.read)
		if nm != c.notModified {
			t.Errorf("%s: notModified %v, want %v", c.name, nm, c.notModified)
		}
		if got := err != nil; got != c.failed {
			t.Errorf("%s: failed %v, want %v", c.name, got, c.failed)
		}
		if err != nil && domain.KindOf(err) != domain.PreconditionFailed {
			t.Errorf("%s: kind %v, want PreconditionFailed", c.name, domain.KindOf(err))
		}
	}
}

func TestStampWrite(t *testing.T) {
	cases := []struct {
		name                             string
		current, previous, proposed, now int64
		object, list                     int64
	}{
		{"clock ahead", 100, 0, 0, 200, 200, 200},
		{"clock behind", 100, 0, 0, 50, 101, 101},
		{"clock equal", 100, 0, 0, 100, 101, 101},
		{"proposal equal to list", 100, 0, 100, 50, 101, 101},
		{"proposal above list", 100, 0, 150, 50, 150, 150},
		{"proposal below list", 100, 0, 80, 50, 80, 100},
		{"proposal not above previous ignored", 100, 90, 90, 50, 101, 101},
	}
	for _, c := range cases {
		o, l := domain.StampWrite(c.current, c.previous, c.proposed, c.now)
		if o != c.object || l != c.list {
			t.Errorf("%s: StampWrite = (%d, %d), want (%d, %d)", c.name, o, l, c.object, c.list)
		}
	}
}
