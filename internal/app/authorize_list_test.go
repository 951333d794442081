package app_test

import (
	"context"
	"testing"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestAuthorizeList(t *testing.T) {
	e := newGuarded(t)
	ctx := context.Background()
	tr := kintoTree()
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.bucket, Caller: alice(), Vars: vars("bid", "blog")}, "blog", app.Body{}); err != nil {
		t.Fatal(err)
	}
	cv := vars("bid", "blog", "cid", "posts")
	if _, err := e.Replace(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: cv}, "posts", app.Body{}); err != nil {
		t.Fatal(err)
	}
	for _, write := range []bool{false, true} {
		for _, c := range []struct {
			caller app.Caller
			kind   domain.Kind
		}{{anonymous(), domain.Unauthenticated}, {bob(), domain.Forbidden}} {
			err := e.AuthorizeList(ctx, &app.Request{Resource: tr.record, Caller: c.caller, Vars: cv}, write)
			wantKind(t, "AuthorizeList(records) as "+c.caller.UserID, err, c.kind)
		}
		if err := e.AuthorizeList(ctx, &app.Request{Resource: tr.record, Caller: alice(), Vars: cv}, write); err != nil {
			t.Errorf("AuthorizeList(records, write %v) as the owner: %v", write, err)
		}
		// A missing parent is the action's to report (as a 403 or a 404).
		missing := &app.Request{Resource: tr.record, Caller: alice(), Vars: vars("bid", "blog", "cid", "nope")}
		if err := e.AuthorizeList(ctx, missing, write); err != nil {
			t.Errorf("AuthorizeList(records of a missing collection) as the owner: %v, want nil", err)
		}
	}

	// Sharing read lets bob list, not delete.
	if _, err := e.Patch(ctx, &app.Request{Resource: tr.collection, Caller: alice(), Vars: cv}, "posts", app.ShallowPatch(nil),
		app.ACLChange{Set: map[string][]string{"read": {"basicauth:bob"}}}); err != nil {
		t.Fatal(err)
	}
	bobReq := &app.Request{Resource: tr.record, Caller: bob(), Vars: cv}
	if err := e.AuthorizeList(ctx, bobReq, false); err != nil {
		t.Errorf("AuthorizeList(read) as a reader: %v", err)
	}
	wantKind(t, "AuthorizeList(write) as a reader", e.AuthorizeList(ctx, bobReq, true), domain.Forbidden)

	// Per-user lists need authentication only.
	pu, _ := newEngine(t)
	wantKind(t, "AuthorizeList(per-user) anonymously", pu.AuthorizeList(ctx, &app.Request{Resource: articles(), Caller: anonymous()}, false), domain.Unauthenticated)
	if err := pu.AuthorizeList(ctx, &app.Request{Resource: articles(), Caller: alice()}, true); err != nil {
		t.Errorf("AuthorizeList(per-user) as alice: %v", err)
	}
}
