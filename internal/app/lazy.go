package app

import "context"

// The write actions as the http adapter runs them: the body is decoded
// lazily, so that the engine sets the order once, inside the action's unit
// of work: authorization first (outsiders get 401/403 whatever they sent,
// as in Kinto), then the body, then the action itself. The functions only
// decode bytes already read: a unit never waits on a client.

// BodyFunc decodes a POST or PUT body.
type BodyFunc func() (Body, error)

// PatchFunc decodes a PATCH body into its patch and ACL change.
type PatchFunc func() (Patcher, ACLChange, error)

// CreateFrom is Create with its body decoded once the caller is allowed:
// id is the body's data.id ("" when none or when it cannot be read), since
// POSTing the id of an existing object asks to read it.
func (e *Engine) CreateFrom(ctx context.Context, req *Request, id string, body BodyFunc) (out Object, err error) {
	if err := refuseReadOnly(req, "CreateFrom"); err != nil {
		return Object{}, err
	}
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		if err := e.authorizeCreate(ctx, req, id); err != nil {
			return err
		}
		b, err := body()
		if err != nil {
			return err
		}
		out, err = e.create(ctx, req, b)
		return err
	})
	return out, err
}

// ReplaceFrom is Replace with its body decoded once the caller is allowed.
func (e *Engine) ReplaceFrom(ctx context.Context, req *Request, id string, body BodyFunc) (out Object, err error) {
	if err := refuseReadOnly(req, "ReplaceFrom"); err != nil {
		return Object{}, err
	}
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		if err := e.authorizeWrite(ctx, req, id, true); err != nil {
			return err
		}
		b, err := body()
		if err != nil {
			return err
		}
		out, err = e.replace(ctx, req, id, b)
		return err
	})
	return out, err
}

// PatchFrom is Patch with its body decoded once the caller is allowed.
func (e *Engine) PatchFrom(ctx context.Context, req *Request, id string, body PatchFunc) (out Object, err error) {
	if err := refuseReadOnly(req, "PatchFrom"); err != nil {
		return Object{}, err
	}
	err = e.units.Atomically(ctx, func(ctx context.Context) error {
		if err := e.authorizeWrite(ctx, req, id, false); err != nil {
			return err
		}
		patch, acl, err := body()
		if err != nil {
			return err
		}
		out, err = e.patch(ctx, req, id, patch, acl)
		return err
	})
	return out, err
}
