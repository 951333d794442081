package http

import "net/http"

// DocumentSchema adds a shared schema to the document's components, for
// the path items given to Document to refer to with SchemaRef. It
// replaces a schema of the same name. Call it before serving.
func (s *Server) DocumentSchema(name string, schema Schema) {
	if s.docSchemas == nil {
		s.docSchemas = map[string]Schema{}
	}
	s.docSchemas[name] = schema
}

// Shared parameter, header and response references.
func parameterRef(name string) Parameter { return Parameter{Ref: "#/components/parameters/" + name} }
func headerRef(name string) Header       { return Header{Ref: "#/components/headers/" + name} }

// timestampHeaders are the headers of every answer about an object or a
// list: its timestamp as ETag and Last-Modified.
func timestampHeaders() map[string]Header {
	return map[string]Header{"ETag": headerRef("ETag"), "Last-Modified": headerRef("Last-Modified")}
}

// stringSchema, integerSchema and friends keep the schemas below short.
func stringSchema(description string) Schema {
	s := Schema{"type": "string"}
	if description != "" {
		s["description"] = description
	}
	return s
}

func integerSchema(description string) Schema {
	s := Schema{"type": "integer"}
	if description != "" {
		s["description"] = description
	}
	return s
}

func objectSchema(properties map[string]any, required ...string) Schema {
	s := Schema{"type": "object", "properties": properties}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func arrayOf(items Schema) Schema { return Schema{"type": "array", "items": items} }

// sharedComponents are the components every document has: the protocol's
// error body and responses, the querystring of lists, the conditional
// headers, and the bodies of the utility endpoints.
func sharedComponents() openAPIComponents {
	errorBody := Response{Content: JSONContent(SchemaRef("Error"))}
	withDescription := func(r Response, d string) Response {
		r.Description = d
		return r
	}
	responses := map[string]Response{
		"Error":                withDescription(errorBody, "An error (5xx included), in the protocol's error format."),
		"BadRequest":           withDescription(errorBody, "Invalid parameters: details name each one (errno 107 and others)."),
		"Forbidden":            withDescription(errorBody, "The caller may not do this (errno 121)."),
		"NotFound":             withDescription(errorBody, "Unknown object, or missing parent (errno 111)."),
		"NotAcceptable":        withDescription(errorBody, "The Accept header admits no JSON."),
		"Conflict":             withDescription(errorBody, "A unique field is already taken, or a concurrent write won (errno 122)."),
		"PreconditionFailed":   withDescription(errorBody, "If-Match or If-None-Match failed (errno 114); ETag and Last-Modified give the current timestamp."),
		"UnsupportedMediaType": withDescription(errorBody, "The Content-Type is not one the endpoint reads."),
		"BodilessError":        {Description: "An error; HEAD and OPTIONS answers have no body."},
	}
	unauthorized := withDescription(errorBody, "Authentication is needed (errno 104); WWW-Authenticate lists the challenges.")
	unauthorized.Headers = map[string]Header{"WWW-Authenticate": {Description: "The challenges of the authentication policies.", Schema: stringSchema("")}}
	responses["Unauthorized"] = unauthorized

	timestamp := stringSchema(`A timestamp in milliseconds, optionally between double quotes (an ETag).`)
	exploded := true
	parameters := map[string]Parameter{
		"Limit":       {Name: "_limit", In: "query", Description: "Maximum number of objects in the page; Next-Page links to the next one.", Schema: Schema{"type": "integer", "minimum": 1}},
		"Token":       {Name: "_token", In: "query", Description: "Where the page starts: the token of a Next-Page link.", Schema: stringSchema("")},
		"Sort":        {Name: "_sort", In: "query", Description: "Comma-separated fields to order by; a leading - sorts descending.", Schema: stringSchema("")},
		"Since":       {Name: "_since", In: "query", Description: "Only objects changed after this timestamp, tombstones included.", Schema: timestamp},
		"Before":      {Name: "_before", In: "query", Description: "Only objects changed before this timestamp.", Schema: timestamp},
		"To":          {Name: "_to", In: "query", Deprecated: true, Description: "Old name of _before (answers carry an Alert header).", Schema: timestamp},
		"Fields":      {Name: "_fields", In: "query", Description: "Comma-separated fields to return (dotted paths reach into objects); id and last_modified always come.", Schema: stringSchema("")},
		"Filters":     {Name: "filters", In: "query", Style: "form", Explode: &exploded, Description: "Filters, one querystring parameter each: <field>=<value> for equality, or a prefixed field: " + filterPrefixes + ". Values are JSON when they parse as JSON, else strings; in_, exclude_ and the contains_ forms take comma-separated lists.", Schema: Schema{"type": "object", "additionalProperties": Schema{"type": "string"}}},
		"IfMatch":     {Name: "If-Match", In: "header", Description: `Run only if the object or list still has this ETag ("<timestamp>"), or exists at all (*); else 412.`, Schema: stringSchema("")},
		"IfNoneMatch": {Name: "If-None-Match", In: "header", Description: `Reads: 304 when the ETag is still this one. Writes: 412 unless the object is absent (*) or has changed.`, Schema: stringSchema("")},
	}
	headers := map[string]Header{
		"ETag":          {Description: `The timestamp of the object or list, between double quotes.`, Required: true, Schema: stringSchema("")},
		"Last-Modified": {Description: "The timestamp as an HTTP date.", Required: true, Schema: stringSchema("")},
		"Next-Page":     {Description: "Absolute URL of the next page, when there is one.", Schema: stringSchema("")},
		"Total-Objects": {Description: "How many objects match the filters.", Required: true, Schema: integerSchema("")},
		"Total-Records": {Description: "Old name of Total-Objects.", Schema: integerSchema("")},
		"Alert":         {Description: "A JSON deprecation or end-of-service notice.", Schema: stringSchema("")},
	}
	permissions := Schema{
		"type":                 "object",
		"description":          "Principals by permission name (read, write, <child>:create…).",
		"additionalProperties": arrayOf(stringSchema("")),
	}
	schemas := map[string]Schema{
		"Error": objectSchema(map[string]any{
			"code":    integerSchema("The HTTP status."),
			"errno":   integerSchema("Stable application-level error number."),
			"error":   stringSchema(`The status' reason phrase, or "Invalid parameters".`),
			"message": stringSchema("What went wrong, for humans."),
			"info":    stringSchema("A link to more information."),
			"details": Schema{"description": "Invalid parameters (location, name, description each), or the existing object of a conflict."},
		}, "code", "errno", "error"),
		"Permissions": permissions,
		"JSONPatch": arrayOf(objectSchema(map[string]any{
			"op":    Schema{"type": "string", "enum": []string{"add", "remove", "replace", "move", "copy", "test"}},
			"path":  stringSchema("/data/<field>… or /permissions/<name>/<principal>."),
			"from":  stringSchema(""),
			"value": Schema{},
		}, "op", "path")),
		"Hello": objectSchema(map[string]any{
			"project_name":     stringSchema(""),
			"project_version":  stringSchema(""),
			"http_api_version": stringSchema(""),
			"project_docs":     stringSchema(""),
			"url":              stringSchema("The absolute URL of this root."),
			"eos":              stringSchema("End-of-service date, when set."),
			"settings":         Schema{"type": "object", "description": "Public settings (batch_max_requests, readonly, explicit_permissions)."},
			"capabilities":     Schema{"type": "object", "description": "Optional features by name, each with a description and url.", "additionalProperties": Schema{"type": "object"}},
			"user":             objectSchema(map[string]any{"id": stringSchema(""), "principals": arrayOf(stringSchema("")), "bucket": stringSchema("The personal bucket, when enabled.")}, "id"),
		}, "project_name", "project_version", "http_api_version", "url", "settings", "capabilities"),
		"Heartbeat": Schema{
			"type":                 "object",
			"description":          "The health of each backend by name; null when the backend has no check.",
			"additionalProperties": Schema{"type": "boolean", "nullable": true},
		},
		"Version": Schema{
			"type":        "object",
			"description": "The version file, verbatim; without one, what the binary knows of its build.",
			"properties": map[string]any{
				"name": stringSchema(""), "version": stringSchema(""), "commit": stringSchema(""),
				"source": stringSchema(""), "build": stringSchema(""),
			},
		},
		"BatchRequest": objectSchema(map[string]any{
			"defaults": Schema{"type": "object", "description": "Values every request starts from (method, path, headers, body)."},
			"requests": arrayOf(objectSchema(map[string]any{
				"method":  Schema{"type": "string", "enum": batchMethods},
				"path":    stringSchema("With or without the version prefix."),
				"headers": Schema{"type": "object", "additionalProperties": stringSchema("")},
				"body":    Schema{"type": "object"},
			})),
		}, "requests"),
		"BatchResponse": objectSchema(map[string]any{
			"responses": arrayOf(objectSchema(map[string]any{
				"status":  integerSchema(""),
				"path":    stringSchema(""),
				"headers": Schema{"type": "object", "additionalProperties": stringSchema("")},
				"body":    Schema{"description": "The subrequest's JSON body."},
			}, "status", "path", "headers")),
		}, "responses"),
	}
	return openAPIComponents{Schemas: schemas, Parameters: parameters, Headers: headers, Responses: responses}
}

// filterPrefixes lists the filter forms of lists' querystring.
const filterPrefixes = "min_, max_, lt_, gt_ (comparisons), not_, in_, exclude_, like_ (* matches anything), has_ (true: the field exists), contains_, contains_any_ (arrays), eq_ (equality, for fields that look like a prefix)"

// utilityDocs are the path items of the endpoints every server mounts.
func utilityDocs() map[string]PathItem {
	op := func(id, summary string, responses map[string]Response) *Operation {
		return &Operation{Tags: []string{"Utilities"}, OperationID: id, Summary: summary, Responses: responses}
	}
	head := func(id, summary string) *Operation {
		return op(id, summary, map[string]Response{"200": {Description: "The same headers as GET, without body."}})
	}
	return map[string]PathItem{
		"/": {
			Get: op("server_info", "Information about the running instance: versions, public settings, capabilities and, when authenticated, the user.",
				map[string]Response{"200": {Description: "The hello document.", Content: JSONContent(SchemaRef("Hello"))}}),
			Head: head("server_info_head", "The hello headers."),
		},
		"/__heartbeat__": {
			Get: op("heartbeat", "The health of every backend.", map[string]Response{
				"200": {Description: "Every backend works.", Content: JSONContent(SchemaRef("Heartbeat"))},
				"503": {Description: "One or more backends fail.", Content: JSONContent(SchemaRef("Heartbeat"))},
			}),
			Head: head("heartbeat_head", "The health of every backend, as a status only."),
		},
		"/__lbheartbeat__": {
			Get: op("lbheartbeat", "Tell a load balancer that this web head answers.", map[string]Response{
				"200": {Description: "Always, while the process serves.", Content: JSONContent(Schema{"type": "object"})},
			}),
			Head: head("lbheartbeat_head", "Tell a load balancer that this web head answers."),
		},
		"/__version__": {
			Get: op("version", "The version information of the running instance.", map[string]Response{
				"200": {Description: "Name, version, commit and source of the build.", Content: JSONContent(SchemaRef("Version"))},
			}),
			Head: head("version_head", "The version headers."),
		},
		"/__api__": {
			Get: op("get_openapi_spec", "This OpenAPI 3 description, generated from the mounted endpoints.", map[string]Response{
				"200": {Description: "The OpenAPI document of the running instance.", Content: JSONContent(Schema{"type": "object"})},
			}),
			Head: head("get_openapi_spec_head", "The headers of the OpenAPI description."),
		},
		"/batch": {
			Post: &Operation{
				Tags: []string{"Batch"}, OperationID: "batch",
				Summary:     "Send several requests at once; they run in order, as one unit of work.",
				RequestBody: &RequestBody{Required: true, Content: JSONContent(SchemaRef("BatchRequest"))},
				Responses: map[string]Response{
					"200": {Description: "The answer of each request, in order (4xx answers included).", Content: JSONContent(SchemaRef("BatchResponse"))},
					"400": ErrorResponse(http.StatusBadRequest),
					"415": ErrorResponse(http.StatusUnsupportedMediaType),
				},
			},
		},
		"/__flush__": {
			Post: op("flush", "Remove all data from every backend.", map[string]Response{
				"202": {Description: "Every backend is empty.", Content: JSONContent(Schema{"type": "object"})},
			}),
		},
		"/__metrics__": {
			Get: op("metrics", "The Prometheus metrics of this process.", map[string]Response{
				"200": {Description: "Metrics in the Prometheus text format.", Content: map[string]MediaType{"text/plain": {Schema: stringSchema("")}}},
			}),
			Head: head("metrics_head", "The metrics headers."),
		},
	}
}
