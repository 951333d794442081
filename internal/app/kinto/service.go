// Package kinto declares Kinto's resources on the generic engine (buckets,
// collections, groups, records) with the behaviour Kinto adds to them:
// group memberships as principals, collection JSON schemas, the personal
// default bucket and the /permissions listing.
package kinto

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Settings are the Kinto settings the service reads.
type Settings struct {
	// Principals holds every "<resource>_<perm>_principals" setting
	// (bucket_create_principals, record_read_principals…).
	Principals map[string][]string
	// ExplicitPermissions adds writers to the write ACL of what they write.
	ExplicitPermissions bool
	// SchemaValidation validates records against their collection's schema
	// (experimental_collection_schema_validation).
	SchemaValidation bool
	// DefaultBucketSecret keys the personal bucket ids
	// (default_bucket_hmac_secret).
	DefaultBucketSecret string
	// Lookup reads settings known only at run time, such as
	// "<bid>_<cid>_record_cache_expires_seconds"; nil reads none.
	Lookup func(name string) (string, bool)
}

// Service holds Kinto's resources and the engine serving them.
type Service struct {
	store    ports.Storage
	perms    ports.Permission
	settings Settings
	schemas  *schemaCache
	// listed are resources served elsewhere but shown by /permissions.
	listed []*app.Resource
	// bucketMACs recycles the keyed HMACs of DefaultBucketID.
	bucketMACs sync.Pool

	Engine                            *app.Engine
	Bucket, Collection, Group, Record *app.Resource
}

// New declares Kinto's resources over the storage and permission backends.
func New(store ports.Storage, perms ports.Permission, settings Settings) *Service {
	s := &Service{store: store, perms: perms, settings: settings, schemas: newSchemaCache()}
	s.bucketMACs.New = func() any { return hmac.New(sha256.New, []byte(settings.DefaultBucketSecret)) }
	s.Engine = app.NewEngine(store, app.NewGuard(perms, settings.Principals, settings.ExplicitPermissions))
	s.Bucket = &app.Resource{
		Name: "bucket", Plural: "buckets", IDVar: "bid", IDs: app.NameGenerator{}, Cascade: true,
		Permissions: []string{"read", "write", "collection:create", "group:create"},
		Process:     s.processBucket,
		AfterDelete: s.afterBucketDelete,
	}
	s.Collection = &app.Resource{
		Name: "collection", Plural: "collections", IDVar: "cid", Parent: s.Bucket, IDs: app.NameGenerator{}, Cascade: true,
		Permissions: []string{"read", "write", "record:create"},
		Process:     s.processCollection,
	}
	s.Group = &app.Resource{
		Name: "group", Plural: "groups", IDVar: "gid", Parent: s.Bucket, IDs: app.NameGenerator{},
		Permissions: []string{"read", "write"},
		Process:     s.processGroup,
		AfterWrite:  s.afterGroupWrite,
		AfterDelete: s.afterGroupDelete,
	}
	s.Record = &app.Resource{
		Name: "record", Plural: "records", IDVar: "rid", Parent: s.Collection, IDs: app.RelaxedUUID4{},
		// Kinto loads the collection of a record request while building
		// its security context: a missing one is a 404 for everyone.
		ParentBeforeAuth: true,
		Permissions:      []string{"read", "write"},
		Process:          s.processRecord,
		CacheExpires:     s.recordCacheExpires,
	}
	return s
}

// Resources lists the resources in mounting order.
func (s *Service) Resources() []*app.Resource {
	return []*app.Resource{s.Bucket, s.Collection, s.Group, s.Record}
}

// UserPrincipals returns the group principals of a user: those recorded for
// the user id and those of every authenticated user (PROTOCOL-kinto §2.4).
func (s *Service) UserPrincipals(ctx context.Context, userID string) ([]string, error) {
	if userID == "" {
		return nil, nil
	}
	out, err := app.MemoizedPrincipals(ctx, userID, func() ([]string, error) {
		return s.perms.UserPrincipals(ctx, userID, app.Authenticated)
	})
	if err != nil {
		return nil, fmt.Errorf("principals of %s: %w", userID, err)
	}
	return out, nil
}

// invalid is a 400 naming one body field.
func invalid(name, description string) error {
	return &domain.Error{Kind: domain.Invalid, Op: "kinto", Issues: []domain.Issue{{Location: domain.InBody, Name: name, Description: description}}}
}

// bucketOf loads the bucket of a request (for its *:schema fields).
func (s *Service) bucketOf(ctx context.Context, req *app.Request) (domain.Record, bool, error) {
	bid := req.Vars["bid"]
	rec, err := s.store.Get(ctx, domain.Parent{Resource: "bucket", ID: ""}, bid)
	if domain.KindOf(err) == domain.NotFound {
		return domain.Record{}, false, nil
	}
	if err != nil {
		return domain.Record{}, false, fmt.Errorf("load bucket %s: %w", bid, err)
	}
	return rec, true, nil
}

// processBucket checks the bucket's *:schema fields are valid schemas.
func (s *Service) processBucket(_ context.Context, w *app.Write) error {
	for _, field := range []string{"collection:schema", "group:schema", "record:schema"} {
		if doc, ok := w.New.Data[field]; ok {
			if _, err := compileSchema(field, doc); err != nil {
				return err
			}
		}
	}
	return nil
}

// afterBucketDelete drops the memberships of the bucket's groups, which
// Kinto leaves behind (a re-created group would re-grant old members).
func (s *Service) afterBucketDelete(ctx context.Context, req *app.Request, old domain.Record) error {
	uri := s.Bucket.URI(req.Vars, old.ID)
	app.ForgetPrincipals(ctx)
	if err := s.perms.RemoveUserPrincipalsUnder(ctx, uri); err != nil {
		return fmt.Errorf("drop group memberships under %s: %w", uri, err)
	}
	return nil
}

// processCollection checks schema and cache_expires, and validates the
// collection against its bucket's collection:schema.
func (s *Service) processCollection(ctx context.Context, w *app.Write) error {
	if doc, ok := w.New.Data["schema"]; ok {
		if _, err := compileSchema("schema", doc); err != nil {
			return err
		}
	}
	if v, ok := w.New.Data["cache_expires"]; ok {
		if _, isInt := domain.AsInt(v); !isInt {
			return invalid("cache_expires", fmt.Sprintf("%v is not of type 'integer'", v))
		}
	}
	return s.validateAgainstBucket(ctx, w, "collection:schema")
}

// validateAgainstBucket validates w.New against the bucket's <field>
// schema when validation is on.
func (s *Service) validateAgainstBucket(ctx context.Context, w *app.Write, field string) error {
	if !s.settings.SchemaValidation {
		return nil
	}
	bucket, ok, err := s.bucketOf(ctx, w.Request)
	if err != nil || !ok {
		return err
	}
	doc, has := bucket.Data[field]
	if !has {
		return nil
	}
	schema, err := s.schemas.get(s.Bucket.URI(w.Request.Vars, bucket.ID)+"#"+field, bucket.LastModified, doc)
	if err != nil {
		return err
	}
	return schema.Validate(w.New.Data)
}

// recordCacheExpires is how long anonymous readers may cache the records
// of a collection (PROTOCOL-kinto §5): the collection's cache_expires, else
// the most specific of the settings <bid>_<cid>_record_cache_expires_seconds,
// <bid>_record_cache_expires_seconds and record_cache_expires_seconds.
func (s *Service) recordCacheExpires(ctx context.Context, req *app.Request) (int, bool) {
	bid, cid := req.Vars["bid"], req.Vars["cid"]
	coll, err := s.store.Get(ctx, domain.Parent{Resource: "collection", ID: s.Bucket.URI(req.Vars, bid)}, cid)
	if err != nil {
		return 0, false
	}
	if n, ok := domain.AsInt(coll.Data["cache_expires"]); ok && n >= 0 {
		return int(n), true
	}
	for _, name := range []string{
		bid + "_" + cid + "_record_cache_expires_seconds",
		bid + "." + cid + ".record_cache_expires_seconds",
		bid + "_record_cache_expires_seconds",
		bid + ".record_cache_expires_seconds",
		"record_cache_expires_seconds",
	} {
		if n, ok := s.intSetting(name); ok {
			return n, true
		}
	}
	return 0, false
}

// intSetting reads a run-time setting holding a non-negative integer.
func (s *Service) intSetting(name string) (int, bool) {
	if s.settings.Lookup == nil {
		return 0, false
	}
	raw, ok := s.settings.Lookup(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
