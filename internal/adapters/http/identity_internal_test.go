package http

import (
	"reflect"
	"testing"
)

func TestKnownUsersShareReadOnlyIdentities(t *testing.T) {
	k := newKnownUsers()
	a := k.identity("basicauth", "alice")
	want := identity{userID: "basicauth:alice", policy: "basicauth", principals: []string{"basicauth:alice", Everyone, Authenticated}}
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("identity = %+v, want %+v", a, want)
	}
	if cap(a.principals) != len(a.principals) {
		t.Errorf("principals cap %d, want %d: an append would write into the shared array", cap(a.principals), len(a.principals))
	}
	again := k.identity("basicauth", "alice")
	if &again.principals[0] != &a.principals[0] {
		t.Error("second lookup built the identity again")
	}
	if other := k.identity("account", "alice"); other.userID != "account:alice" {
		t.Errorf("another policy's alice = %q", other.userID)
	}
	for i := range maxKnownUsers + 10 {
		k.identity("p", string(rune('a'+i%26))+string(rune(i)))
	}
	if n := len(k.users); n > maxKnownUsers {
		t.Errorf("%d users remembered, want at most %d", n, maxKnownUsers)
	}
}
