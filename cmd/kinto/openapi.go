package main

import (
	"net/http"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
)

// documentPermissions describes GET /permissions in the OpenAPI document;
// it appears there only when the endpoint is mounted.
func documentPermissions(srv *httpadapter.Server) {
	srv.DocumentSchema("PermissionEntry", httpadapter.Schema{
		"type":        "object",
		"description": "An object on which the caller holds permissions: its URI, resource name and ids, and the permissions, expanded to what they imply.",
		"required":    []string{"uri", "resource_name", "permissions"},
		"properties": map[string]any{
			"id":            httpadapter.Schema{"type": "string", "description": "The object's id; the root entry has none."},
			"uri":           httpadapter.Schema{"type": "string"},
			"resource_name": httpadapter.Schema{"type": "string"},
			"permissions":   httpadapter.Schema{"type": "array", "items": httpadapter.Schema{"type": "string"}},
		},
	})
	list := httpadapter.JSONContent(httpadapter.Schema{
		"type":       "object",
		"required":   []string{"data"},
		"properties": map[string]any{"data": httpadapter.Schema{"type": "array", "items": httpadapter.SchemaRef("PermissionEntry")}},
	})
	params := []httpadapter.Parameter{
		{Ref: "#/components/parameters/Limit"}, {Ref: "#/components/parameters/Token"},
		{Ref: "#/components/parameters/Sort"}, {Ref: "#/components/parameters/Filters"},
	}
	srv.Document("/permissions", httpadapter.PathItem{
		Get: &httpadapter.Operation{
			Tags: []string{"Permissions"}, OperationID: "get_permissions",
			Summary:    "List every object on which the caller holds a permission.",
			Parameters: params,
			Responses: map[string]httpadapter.Response{
				"200": {Description: "The caller's permissions, object by object.", Content: list},
				"400": httpadapter.ErrorResponse(http.StatusBadRequest),
				"403": httpadapter.ErrorResponse(http.StatusForbidden),
			},
		},
		Head: &httpadapter.Operation{
			Tags: []string{"Permissions"}, OperationID: "head_permissions",
			Summary:    "The headers of the permissions list.",
			Parameters: params,
			Responses:  map[string]httpadapter.Response{"200": {Description: "As GET, without body."}},
		},
	})
}
