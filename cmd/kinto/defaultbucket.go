package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// defaultBucket serves /buckets/default, the alias of each user's personal
// bucket: it creates the bucket (and the collection named in the path) on
// the fly, then hands the request on with the real bucket id in its path.
type defaultBucket struct {
	srv *httpadapter.Server
	svc *kintoapp.Service
}

// mountDefaultBucket installs the alias as a middleware around routing, so
// that it also rewrites batch subrequests, and paths no route serves reach
// the 404 (or trailing-slash redirect) of the real bucket's path. hello
// names the caller's bucket.
func mountDefaultBucket(srv *httpadapter.Server, svc *kintoapp.Service) {
	d := defaultBucket{srv: srv, svc: svc}
	srv.Use(d.middleware)
	srv.AddHelloUser(func(user map[string]any, userID string) {
		user["bucket"] = svc.DefaultBucketID(userID)
	})
	srv.AddCapability("default_bucket", map[string]any{
		"description": "The default bucket is an alias for a personal bucket where collections are created implicitly.",
		"url":         "https://kinto.readthedocs.io/en/latest/api/1.x/buckets.html#personal-bucket-default",
	})
}

// aliasPrefix is the path, under the version prefix, of the alias.
const aliasPrefix = "/buckets/default"

// isDefaultBucketPath reports whether p (without the version prefix) is
// the alias or under it.
func isDefaultBucketPath(p string) bool {
	return p == aliasPrefix || strings.HasPrefix(p, aliasPrefix+"/")
}

func (d defaultBucket) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, prefixed := strings.CutPrefix(r.URL.Path, d.srv.Prefix())
		if !prefixed || !isDefaultBucketPath(rest) || r.Method == http.MethodOptions {
			// Preflights are answered from the routes, with nothing
			// created.
			next.ServeHTTP(w, r)
			return
		}
		d.serve(w, r, next, rest)
	})
}

// serve creates the caller's personal bucket, and the collection the path
// names, then serves r on the real path. rest is r's path without the
// version prefix.
func (d defaultBucket) serve(w http.ResponseWriter, r *http.Request, next http.Handler, rest string) {
	identified, err := d.srv.Authenticate(r)
	if err != nil {
		d.srv.WriteError(w, r, err)
		return
	}
	r = identified
	uid := httpadapter.UserID(r.Context())
	if uid == "" {
		d.srv.WriteError(w, r, &domain.Error{Kind: domain.Unauthenticated, Op: "kinto.defaultBucket"})
		return
	}
	if d.srv.ReadOnly() {
		// Even a GET would create the personal bucket: nothing is written
		// on a read-only service.
		d.srv.WriteError(w, r, &domain.Error{Kind: domain.MethodNotAllowed, Op: "kinto.defaultBucket"})
		return
	}
	below := strings.TrimPrefix(rest, aliasPrefix)
	segments := strings.Split(below, "/")
	cid := ""
	if len(segments) >= 3 && segments[1] == "collections" {
		cid = segments[2]
	}
	// A PUT of the bucket (or of the collection) itself creates it: only
	// what is above it is created here.
	put := r.Method == http.MethodPut
	skipBucket := put && len(segments) == 1
	skipCollection := put && len(segments) == 3
	caller := app.Caller{UserID: uid, Principals: httpadapter.Principals(r.Context())}
	bid, err := d.svc.EnsureDefaultBucket(r.Context(), caller, cid, skipBucket, skipCollection)
	if err != nil {
		d.srv.WriteError(w, r, err)
		return
	}
	personal := r.Clone(r.Context())
	personal.URL = &url.URL{Path: d.srv.Prefix() + "/buckets/" + bid + below, RawQuery: r.URL.RawQuery}
	personal.RequestURI = personal.URL.RequestURI()
	if len(segments) == 1 && (put || r.Method == http.MethodPatch) {
		if err := d.renameInBody(personal, bid); err != nil {
			d.srv.WriteError(w, r, err)
			return
		}
	}
	next.ServeHTTP(w, personal)
}

// renameInBody replaces a data.id of "default" in the body of a write on
// the default bucket itself by the real bucket id, as Kinto does. Bodies
// that are not such an object are left for the endpoint to judge.
func (d defaultBucket) renameInBody(r *http.Request, bid string) error {
	raw, err := d.srv.ReadBody(r)
	if err != nil {
		return err
	}
	httpadapter.PutBackBody(r, raw)
	body, err := httpadapter.ParseObject(raw)
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
	httpadapter.PutBackBody(r, renamed)
	return nil
}
