package app

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// AuthorizeList checks that the caller may read req's list (GET and HEAD;
// write false) or delete in it (DELETE; write true), so that a caller
// without rights gets 401/403 whatever the querystring and conditional
// headers say, as Kinto checks rights before validating them. req.Pre is
// not read: the headers may be the very thing that failed to parse.
//
// It answers only Unauthenticated or Forbidden, as AuthorizeWrite does;
// anything else (a missing parent, a backend error) is left for the action.
// The checks are those List, Count and DeleteList run first, in the same
// order, so a caller that validated the request may skip this and let the
// action answer 401/403 itself.
func (e *Engine) AuthorizeList(ctx context.Context, req *Request, write bool) error {
	n := needRead
	if write {
		n = needWrite
	}
	if _, err := e.visibility(ctx, req, n); deniedErr(err) {
		return err
	}
	if _, err := e.scope(ctx, req); deniedErr(err) {
		return err
	}
	return nil
}

// deniedErr reports whether err is a 401 or 403.
func deniedErr(err error) bool {
	k := domain.KindOf(err)
	return err != nil && (k == domain.Unauthenticated || k == domain.Forbidden)
}
