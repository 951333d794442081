package kinto

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// compileSchema compiles a schema stored in field, refusing anything that is
// not a valid JSON Schema object with a 400 naming the field, so that a bad
// schema fails when the collection is written, never at record writes.
func compileSchema(field string, doc any) (*app.Schema, error) {
	if _, isObj := doc.(map[string]any); !isObj {
		return nil, invalid(field, fmt.Sprintf("%v is not of type 'object'", doc))
	}
	schema, err := app.CompileSchema(doc)
	if err != nil {
		if de := domain.AsError(err); de != nil {
			for i := range de.Issues {
				de.Issues[i].Name = field
			}
		}
		return nil, err
	}
	return schema, nil
}

// schemaCache keeps compiled schemas per owner object, recompiled when the
// owner's timestamp changes.
type schemaCache struct {
	mu      sync.Mutex
	entries map[string]cachedSchema
}

type cachedSchema struct {
	ts     int64
	schema *app.Schema
}

func newSchemaCache() *schemaCache { return &schemaCache{entries: map[string]cachedSchema{}} }

// get returns the compiled doc of key at timestamp ts.
func (c *schemaCache) get(key string, ts int64, doc any) (*app.Schema, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.ts == ts {
		return e.schema, nil
	}
	schema, err := compileSchema("schema", recordSchema(doc))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.entries[key] = cachedSchema{ts: ts, schema: schema}
	c.mu.Unlock()
	return schema, nil
}

// recordSchema removes the server-managed fields from a schema's required
// list: clients never send them (PROTOCOL-kinto §5).
func recordSchema(doc any) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	req, ok := m["required"].([]any)
	if !ok {
		return doc
	}
	props, _ := m["properties"].(map[string]any)
	_, idDeclared := props["id"]
	kept := make([]any, 0, len(req))
	for _, r := range req {
		name, _ := r.(string)
		if name == "last_modified" || name == "schema" || (name == "id" && !idDeclared) {
			continue
		}
		kept = append(kept, r)
	}
	out := domain.CloneMap(m)
	out["required"] = kept
	return out
}

// processRecord validates a record against its collection's schema, then
// its bucket's record:schema, and stamps it with the schema version.
func (s *Service) processRecord(ctx context.Context, w *app.Write) error {
	if !s.settings.SchemaValidation {
		return nil
	}
	vars := w.Request.Vars
	coll, err := s.store.Get(ctx, domain.Parent{Resource: "collection", ID: s.Bucket.URI(vars, vars["bid"])}, vars["cid"])
	if err != nil {
		return fmt.Errorf("load collection %s: %w", vars["cid"], err)
	}
	if doc, has := coll.Data["schema"]; has {
		schema, err := s.schemas.get(s.Collection.URI(vars, coll.ID), coll.LastModified, doc)
		if err != nil {
			return err
		}
		if err := schema.Validate(validationView(w.New, doc)); err != nil {
			return err
		}
	}
	bucket, ok, err := s.bucketOf(ctx, w.Request)
	if err != nil {
		return err
	}
	if doc, has := bucket.Data["record:schema"]; ok && has {
		schema, err := s.schemas.get(s.Bucket.URI(vars, bucket.ID)+"#record:schema", bucket.LastModified, doc)
		if err != nil {
			return err
		}
		if err := schema.Validate(validationView(w.New, doc)); err != nil {
			return err
		}
	}
	if _, has := coll.Data["schema"]; has {
		w.New.Data["schema"] = coll.LastModified
	}
	return nil
}

// validationView is the data a record schema sees: its fields but the
// server's "schema" stamp, plus its id when the schema declares an id
// property.
func validationView(rec domain.Record, doc any) map[string]any {
	m, _ := doc.(map[string]any)
	props, _ := m["properties"].(map[string]any)
	view := make(map[string]any, len(rec.Data)+1)
	for k, v := range rec.Data {
		view[k] = v
	}
	// The schema version is the server's, never validated.
	delete(view, "schema")
	if _, declared := props["id"]; declared {
		view["id"] = rec.ID
	}
	return view
}

// processGroup checks members and validates the group against its bucket's
// group:schema.
func (s *Service) processGroup(ctx context.Context, w *app.Write) error {
	raw, has := w.New.Data["members"]
	if !has || raw == nil {
		w.New.Data["members"] = []any{}
	} else {
		list, ok := raw.([]any)
		if !ok {
			return invalid("data.members", fmt.Sprintf("%v is not iterable", raw))
		}
		for i, m := range list {
			name := fmt.Sprintf("data.members.%d", i)
			member, isString := m.(string)
			if !isString {
				return invalid(name, fmt.Sprintf("%v is not a string", m))
			}
			// The description leaves the name out: the error envelope
			// prefixes it ("data.members.0 in body: '…' is not a valid
			// user ID.", PROTOCOL-kinto §6).
			if member == app.Everyone || hasPrefix(member, "/buckets/") {
				return invalid(name, fmt.Sprintf("'%s' is not a valid user ID.", member))
			}
		}
	}
	return s.validateAgainstBucket(ctx, w, "group:schema")
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// members returns the member list of a group object.
func members(rec *domain.Record) []string {
	if rec == nil {
		return nil
	}
	list, _ := rec.Data["members"].([]any)
	out := make([]string, 0, len(list))
	for _, m := range list {
		if s, ok := m.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// afterGroupWrite records new members and forgets removed ones, effective
// from the next request.
func (s *Service) afterGroupWrite(ctx context.Context, req *app.Request, old *domain.Record, rec domain.Record) error {
	uri := s.Group.URI(req.Vars, rec.ID)
	app.ForgetPrincipals(ctx)
	before, after := members(old), members(&rec)
	for _, m := range after {
		if !slices.Contains(before, m) {
			if err := s.perms.AddUserPrincipal(ctx, m, uri); err != nil {
				return fmt.Errorf("add %s to %s: %w", m, uri, err)
			}
		}
	}
	for _, m := range before {
		if !slices.Contains(after, m) {
			if err := s.perms.RemoveUserPrincipal(ctx, m, uri); err != nil {
				return fmt.Errorf("remove %s from %s: %w", m, uri, err)
			}
		}
	}
	return nil
}

// afterGroupDelete removes the group principal from every user.
func (s *Service) afterGroupDelete(ctx context.Context, req *app.Request, old domain.Record) error {
	uri := s.Group.URI(req.Vars, old.ID)
	app.ForgetPrincipals(ctx)
	if err := s.perms.RemoveUserPrincipalsUnder(ctx, uri); err != nil {
		return fmt.Errorf("drop members of %s: %w", uri, err)
	}
	return nil
}
