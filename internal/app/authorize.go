package app

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// The authorization steps of the write actions, which run before their
// bodies are decoded (lazy.go), so that outsiders get 401/403 before any
// validation, as in Kinto.

// authorizeWrite checks, before a PUT (replace true) or PATCH body is
// decoded, that the caller may write object id, so that callers
// without rights get 401/403 rather than learning from validation errors,
// as Kinto checks rights first. It answers only Unauthenticated or
// Forbidden; anything else (a missing parent, a bad id, a backend error) is
// left for the action itself to report, which checks again.
func (e *Engine) authorizeWrite(ctx context.Context, req *Request, id string, replace bool) error {
	p, err := e.scope(ctx, req)
	if err != nil {
		if k := domain.KindOf(err); k == domain.Unauthenticated || k == domain.Forbidden {
			return err
		}
		if k := domain.KindOf(err); k == domain.MissingParent && e.guarded(req) && !req.Resource.ParentBeforeAuth {
			if replace {
				return e.guard.checkCreate(ctx, req)
			}
			return e.checkWriteMissing(ctx, req, id)
		}
		return nil
	}
	if !e.guarded(req) || (req.Resource.IDs != nil && !req.Resource.IDs.Valid(id)) {
		return nil
	}
	_, exists, err := e.lookup(ctx, p, id)
	switch {
	case err != nil:
		return nil
	case replace && (!exists || (req.Pre.IfNoneMatch.Set && req.Pre.IfNoneMatch.Any)):
		return e.guard.checkCreate(ctx, req)
	case !exists:
		return e.checkWriteMissing(ctx, req, id)
	default:
		return e.guard.checkObject(ctx, req, id, needWrite)
	}
}

// authorizeCreate is authorizeWrite for POST on a list, before its body
// is validated: id is the body's data.id when one could be read ("" when
// none), since POSTing the id of an existing object asks to read it rather
// than to create. Like AuthorizeWrite it answers only Unauthenticated or
// Forbidden and leaves every other failure to create.
//
// The parent is not read on the way to a grant: an object under a missing
// parent is never found, and Create reports the missing parent. Resources
// that check their parent first read it before a refusal, which then
// becomes Create's 404.
func (e *Engine) authorizeCreate(ctx context.Context, req *Request, id string) error {
	err := e.authorizeCreateAs(ctx, req, id)
	if err != nil && req.Resource.ParentBeforeAuth {
		if domain.KindOf(e.checkParent(ctx, req)) == domain.MissingParent {
			return nil
		}
	}
	return err
}

func (e *Engine) authorizeCreateAs(ctx context.Context, req *Request, id string) error {
	p, err := listOf(req)
	if err != nil {
		if k := domain.KindOf(err); k == domain.Unauthenticated || k == domain.Forbidden {
			return err
		}
		return nil
	}
	if !e.guarded(req) {
		return nil
	}
	if id != "" && (req.Resource.IDs == nil || req.Resource.IDs.Valid(id)) {
		if _, exists, err := e.lookup(ctx, p, id); err != nil {
			return nil
		} else if exists {
			return e.guard.checkObject(ctx, req, id, needRead)
		}
	}
	return e.guard.checkCreate(ctx, req)
}

// missingParent decides what a write under a missing parent answers: the
// scope's error as is for unguarded resources and those checking their
// parent first; otherwise the caller must first pass authorize, so that
// outsiders get 401/403 and cannot probe which parents exist.
func (e *Engine) missingParent(ctx context.Context, req *Request, err error, authorize func() error) error {
	if domain.KindOf(err) != domain.MissingParent || !e.guarded(req) || req.Resource.ParentBeforeAuth {
		return err
	}
	if denied := authorize(); denied != nil {
		return denied
	}
	return err
}

// mayRead reports whether the caller may read object id (always on
// unguarded resources).
func (e *Engine) mayRead(ctx context.Context, req *Request, id string) bool {
	return !e.guarded(req) || e.guard.checkObject(ctx, req, id, needRead) == nil
}
