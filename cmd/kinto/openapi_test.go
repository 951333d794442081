package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"testing"

	"github.com/cliquet-go/cliquet/internal/apicheck"
	"github.com/cliquet-go/cliquet/internal/config"
)

// update rewrites the committed OpenAPI copy instead of comparing with it:
// go test ./cmd/kinto -run TestOpenAPICopy -update (or make api).
var update = flag.Bool("update", false, "rewrite api/kinto.openapi.json from the served document")

// openAPICopy is the committed copy of the document served by Kinto.
const openAPICopy = "../../api/kinto.openapi.json"

// openAPISettings are the default settings with every optional endpoint
// that needs no external files on: the accounts, history and flush plugins
// (the default bucket stays), both authentication policies and
// /permissions, so that the copy documents all of them.
func openAPISettings(t *testing.T) (*settings, *config.Source) {
	return testSettings(t, map[string]string{
		"includes":                  "kinto.plugins.default_bucket kinto.plugins.accounts kinto.plugins.history kinto.plugins.flush",
		"multiauth.policies":        "account basicauth",
		"account_create_principals": "system.Everyone",
		"bucket_create_principals":  "system.Authenticated",
	})
}

// servedOpenAPI answers GET /v1/__api__ on h with host, indented as the
// committed copy is.
func servedOpenAPI(t *testing.T, h http.Handler, host string) []byte {
	t.Helper()
	served, err := apicheck.Served(h, host)
	if err != nil {
		t.Fatal(err)
	}
	return served
}

func TestOpenAPICopy(t *testing.T) {
	s, src := openAPISettings(t)
	h, _ := newHandler(t, s, src)
	served := servedOpenAPI(t, h, "localhost:8888")
	if err := apicheck.CompareCopy(context.Background(), openAPICopy, served, *update, "go test ./cmd/kinto -run TestOpenAPICopy -update (or make api)"); err != nil {
		t.Fatal(err)
	}
	if *update {
		return
	}
	// The same mounts always give the same bytes.
	again, _ := newHandler(t, s, src)
	if !bytes.Equal(servedOpenAPI(t, again, "localhost:8888"), served) {
		t.Error("two servers built alike serve different documents")
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(served, &doc); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/buckets":                                       {"get", "head", "post", "delete", "options"},
		"/buckets/{bid}":                                 {"get", "head", "put", "patch", "delete", "options"},
		"/buckets/{bid}/collections/{cid}":               {"get", "put", "patch", "delete"},
		"/buckets/{bid}/groups/{gid}":                    {"get", "put", "patch", "delete"},
		"/buckets/{bid}/collections/{cid}/records":       {"get", "head", "post", "delete"},
		"/buckets/{bid}/collections/{cid}/records/{rid}": {"get", "put", "patch", "delete"},
		"/buckets/{bid}/collections/{cid}/changes":       {"get"},
		"/buckets/{bid}/history":                         {"get", "head", "delete"},
		"/accounts/{id}":                                 {"get", "put", "patch", "delete"},
		"/permissions":                                   {"get", "head"},
		"/batch":                                         {"post"},
		"/__flush__":                                     {"post"},
		"/":                                              {"get", "head"},
	} {
		for _, m := range methods {
			if doc.Paths[path][m] == nil {
				t.Errorf("paths[%s] has no %s", path, m)
			}
		}
	}
	if doc.Paths["/buckets/{bid}/history/{hid}"] != nil {
		t.Error("history objects are documented though no method serves them")
	}
}
