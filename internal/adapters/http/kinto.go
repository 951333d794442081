package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// KintoService is what the Kinto flavour of the protocol adds to the
// generic adapter: group principals, the personal default bucket and the
// /permissions listing. *kinto.Service implements it.
type KintoService interface {
	UserPrincipals(ctx context.Context, userID string) ([]string, error)
	DefaultBucketID(userID string) string
	EnsureDefaultBucket(ctx context.Context, caller app.Caller, cid string, skipBucket, skipCollection bool) (string, error)
	Permissions(ctx context.Context, caller app.Caller) ([]kinto.Entry, error)
}

// KintoOptions selects the optional Kinto features.
type KintoOptions struct {
	DefaultBucket       bool // /buckets/default, capability default_bucket
	PermissionsEndpoint bool // GET /permissions, capability permissions_endpoint
	// PermissionsReadPrincipals may use /permissions (Kinto's default:
	// system.Everyone).
	PermissionsReadPrincipals []string
	SchemaValidation          bool // capability schema
}

// MountKinto adds the Kinto features on top of the resources mounted with
// MountResource: group principals for every authenticated request, the
// default bucket, /permissions and their capabilities.
func (s *Server) MountKinto(k KintoService, opts KintoOptions) {
	s.kinto = k
	s.kintoOpts = opts
	if opts.DefaultBucket {
		s.AddCapability("default_bucket", map[string]any{
			"description": "The default bucket is an alias for a personal bucket where collections are created implicitly.",
			"url":         "https://kinto.readthedocs.io/en/latest/api/1.x/buckets.html#personal-bucket-default",
		})
	}
	if opts.SchemaValidation {
		s.AddCapability("schema", map[string]any{
			"description": "Validates collection records with JSON schemas.",
			"url":         "https://kinto.readthedocs.io/en/latest/api/1.x/collections.html#collection-json-schema",
		})
	}
	if opts.PermissionsEndpoint {
		s.AddCapability("permissions_endpoint", map[string]any{
			"description": "The permissions endpoint can be used to list all user objects permissions.",
			"url":         "https://kinto.readthedocs.io/en/latest/configuration/settings.html#activating-the-permissions-endpoint",
		})
		s.Route("permissions", "/permissions", map[string]http.Handler{
			http.MethodGet:  http.HandlerFunc(s.servePermissions),
			http.MethodHead: http.HandlerFunc(s.servePermissions),
		})
	}
}

// extraPrincipals returns the group principals of an authenticated user.
func (s *Server) extraPrincipals(ctx context.Context, userID string) ([]string, error) {
	if s.kinto == nil || userID == "" {
		return nil, nil
	}
	return s.kinto.UserPrincipals(ctx, userID)
}

// helloUser adds Kinto's user fields (the default bucket id) to hello.
func (s *Server) helloUser(user map[string]any, userID string) {
	if s.kinto != nil && s.kintoOpts.DefaultBucket {
		user["bucket"] = s.kinto.DefaultBucketID(userID)
	}
}

// isDefaultBucketPath reports whether p (without prefix) is under
// /buckets/default.
func isDefaultBucketPath(p string) bool {
	return p == "/buckets/default" || strings.HasPrefix(p, "/buckets/default/")
}

// serveDefaultBucket creates the caller's personal bucket (and collection)
// on the fly, then serves the request with the real bucket id in the path.
func (s *Server) serveDefaultBucket(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, s.prefix)
	if r.Method == http.MethodOptions {
		s.router.ServeHTTP(w, r)
		return
	}
	ctx, err := s.authenticate(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	uid := UserID(ctx)
	if uid == "" {
		s.writeError(w, r, &domain.Error{Kind: domain.Unauthenticated, Op: "http.defaultBucket"})
		return
	}
	if s.cfg.ReadOnly {
		// Even a GET would create the personal bucket: nothing is written
		// on a read-only service.
		s.writeAPIError(w, r, methodNotAllowed(nil))
		return
	}
	segments := strings.Split(strings.TrimPrefix(rest, "/buckets/default"), "/")
	cid := ""
	if len(segments) >= 3 && segments[1] == "collections" {
		cid = segments[2]
	}
	put := r.Method == http.MethodPut
	skipBucket := put && len(segments) == 1
	skipCollection := put && len(segments) == 3
	caller := app.Caller{UserID: uid, Principals: Principals(ctx)}
	bid, err := s.kinto.EnsureDefaultBucket(ctx, caller, cid, skipBucket, skipCollection)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	r2 := r.Clone(r.Context())
	newPath := s.prefix + "/buckets/" + bid + strings.TrimPrefix(rest, "/buckets/default")
	r2.URL = &url.URL{Path: newPath, RawQuery: r.URL.RawQuery}
	r2.RequestURI = r2.URL.RequestURI()
	if len(segments) == 1 && (put || r.Method == http.MethodPatch) {
		if err := s.renameDefaultInBody(r2, bid); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.router.ServeHTTP(w, r2)
}

// renameDefaultInBody replaces a data.id of "default" in the body of a
// write on the default bucket itself by the real bucket id, as Kinto does.
// Bodies that are not such an object are left for the endpoint to judge.
func (s *Server) renameDefaultInBody(r *http.Request, bid string) error {
	raw, err := s.readBody(r)
	if err != nil {
		return err
	}
	putBack(r, raw)
	body, err := parseObject(raw)
	if err != nil {
		return nil
	}
	data, ok := body["data"].(map[string]any)
	if !ok || data["id"] != "default" {
		return nil
	}
	data["id"] = bid
	renamed, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode default bucket body: %w", err)
	}
	putBack(r, renamed)
	r.ContentLength = int64(len(renamed))
	return nil
}

// servePermissions lists what the caller's principals may do
// (PROTOCOL-kinto §3.1), with the list protocol's filters and sorting.
func (s *Server) servePermissions(w http.ResponseWriter, r *http.Request) {
	principals := Principals(r.Context())
	if !intersects(principals, s.kintoOpts.PermissionsReadPrincipals) {
		s.writeError(w, r, denyFor(UserID(r.Context())))
		return
	}
	lr, err := ParseListQuery(r.URL.Query(), ListQueryOptions{Now: s.now().UnixMilli()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	entries, err := s.kinto.Permissions(r.Context(), app.Caller{UserID: UserID(r.Context()), Principals: principals})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var filters []domain.Filter
	for _, f := range lr.Filters {
		if f.Field != "last_modified" {
			filters = append(filters, f)
		}
	}
	var sorts []domain.Sort
	for _, so := range lr.Sort {
		if so.Field != "last_modified" {
			sorts = append(sorts, so)
		}
	}
	sorts = append(sorts, domain.Sort{Field: "uri"})
	recs := make([]domain.Record, 0, len(entries))
	for _, e := range entries {
		data := map[string]any{}
		for k, v := range e {
			if k != "id" {
				data[k] = v
			}
		}
		id, _ := e["id"].(string)
		rec := domain.Record{ID: id, Data: data}
		if domain.MatchAll(rec, filters) {
			recs = append(recs, rec)
		}
	}
	domain.SortRecords(recs, sorts)
	data := make([]any, len(recs))
	for i, rec := range recs {
		m := map[string]any{}
		for k, v := range rec.Data {
			m[k] = v
		}
		if rec.ID != "" {
			m["id"] = rec.ID
		}
		data[i] = m
	}
	setTimestamp(w.Header(), s.now().UnixMilli())
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	s.writeJSON(w, r, http.StatusOK, map[string]any{"data": data})
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// denyFor is 401 for anonymous callers, 403 for the others.
func denyFor(userID string) error {
	if userID == "" {
		return &domain.Error{Kind: domain.Unauthenticated, Op: "http.permissions"}
	}
	return &domain.Error{Kind: domain.Forbidden, Op: "http.permissions"}
}
