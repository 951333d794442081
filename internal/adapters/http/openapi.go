package http

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The OpenAPI 3.0 document served on /__api__ is generated from what is
// mounted on the Server: every route appears with the methods it actually
// serves, described by the path item its mounter gave to Document, or
// generically when none was given. The types below are the subset of the
// OpenAPI 3.0 objects the adapter writes; encoding/json writes struct fields
// in declaration order and map keys sorted, so the same mounts always give
// the same bytes.

// openAPIVersion is the OpenAPI version the document follows.
const openAPIVersion = "3.0.3"

// Schema is an OpenAPI 3.0 schema object, written as its JSON keys
// ("type", "properties", "$ref"…). A map rather than a struct, so that any
// keyword can be written and JSON Schemas of resources carried over.
type Schema map[string]any

// SchemaRef refers to the shared schema name of the document's components
// (for example "Error", "Permissions").
func SchemaRef(name string) Schema {
	return Schema{"$ref": "#/components/schemas/" + name}
}

// PathItem documents one URL pattern: its operations by method. Methods
// the route does not serve are left out of the document; served methods
// without an operation get a generic one.
type PathItem struct {
	Summary     string      `json:"summary,omitempty"`
	Description string      `json:"description,omitempty"`
	Parameters  []Parameter `json:"parameters,omitempty"`
	Get         *Operation  `json:"get,omitempty"`
	Put         *Operation  `json:"put,omitempty"`
	Post        *Operation  `json:"post,omitempty"`
	Delete      *Operation  `json:"delete,omitempty"`
	Options     *Operation  `json:"options,omitempty"`
	Head        *Operation  `json:"head,omitempty"`
	Patch       *Operation  `json:"patch,omitempty"`
}

// operation returns the field holding the operation of method, nil for a
// method OpenAPI 3.0 cannot describe.
func (p *PathItem) operation(method string) **Operation {
	switch method {
	case http.MethodGet:
		return &p.Get
	case http.MethodPut:
		return &p.Put
	case http.MethodPost:
		return &p.Post
	case http.MethodDelete:
		return &p.Delete
	case http.MethodOptions:
		return &p.Options
	case http.MethodHead:
		return &p.Head
	case http.MethodPatch:
		return &p.Patch
	}
	return nil
}

// documentedMethods are the methods a PathItem can hold.
var documentedMethods = []string{
	http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete,
	http.MethodOptions, http.MethodHead, http.MethodPatch,
}

// Operation documents one method of a path. Responses are keyed by status
// ("200") or "default"; an operation without a "default" response gets the
// shared error response.
type Operation struct {
	Tags        []string            `json:"tags,omitempty"`
	Summary     string              `json:"summary,omitempty"`
	Description string              `json:"description,omitempty"`
	OperationID string              `json:"operationId,omitempty"`
	Parameters  []Parameter         `json:"parameters,omitempty"`
	RequestBody *RequestBody        `json:"requestBody,omitempty"`
	Responses   map[string]Response `json:"responses"`
	// Security, when not nil, replaces the document's security
	// requirements; an empty list means no authentication.
	Security *[]SecurityRequirement `json:"security,omitempty"`
}

// SecurityRequirement names security schemes that together authenticate.
// The empty requirement means anonymous access.
type SecurityRequirement map[string][]string

// Parameter documents one path, query or header parameter, or refers to a
// shared one with Ref ("#/components/parameters/…").
type Parameter struct {
	Ref         string `json:"$ref,omitempty"`
	Name        string `json:"name,omitempty"`
	In          string `json:"in,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Deprecated  bool   `json:"deprecated,omitempty"`
	Style       string `json:"style,omitempty"`
	Explode     *bool  `json:"explode,omitempty"`
	Schema      Schema `json:"schema,omitempty"`
}

// RequestBody documents a request body by media type.
type RequestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required,omitempty"`
	Content     map[string]MediaType `json:"content"`
}

// MediaType is the schema of a body of one media type.
type MediaType struct {
	Schema Schema `json:"schema,omitempty"`
}

// Response documents one answer, or refers to a shared one with Ref
// ("#/components/responses/…"). No Content means the body is not
// described.
type Response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]Header    `json:"headers,omitempty"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

// Header documents a response header, or refers to a shared one with Ref
// ("#/components/headers/…").
type Header struct {
	Ref         string `json:"$ref,omitempty"`
	Description string `json:"description,omitempty"`
	Required    bool   `json:"required,omitempty"`
	Schema      Schema `json:"schema,omitempty"`
}

// JSONContent is a body of media type application/json with schema.
func JSONContent(schema Schema) map[string]MediaType {
	return map[string]MediaType{mediaJSON: {Schema: schema}}
}

// ErrorResponse refers to the shared response of status (400, 401, 403,
// 404, 406, 409, 412, 415), whose body is the protocol's error object.
// Any other status refers to the generic error response.
func ErrorResponse(status int) Response {
	name, ok := errorResponseNames[status]
	if !ok {
		name = "Error"
	}
	return Response{Ref: "#/components/responses/" + name}
}

// errorResponseNames are the shared error responses by status.
var errorResponseNames = map[int]string{
	http.StatusBadRequest:           "BadRequest",
	http.StatusUnauthorized:         "Unauthorized",
	http.StatusForbidden:            "Forbidden",
	http.StatusNotFound:             "NotFound",
	http.StatusNotAcceptable:        "NotAcceptable",
	http.StatusConflict:             "Conflict",
	http.StatusPreconditionFailed:   "PreconditionFailed",
	http.StatusUnsupportedMediaType: "UnsupportedMediaType",
}

// Document describes the view mounted (or to be mounted) at pattern, a
// Route pattern under the version prefix such as "/permissions" or
// "/articles/{id}". It replaces an earlier description of the same
// pattern. Only mounted patterns appear in the served document, so a
// description of a route that configuration left out is harmless. Like
// Route, call it before serving.
func (s *Server) Document(pattern string, item PathItem) {
	if s.docs == nil {
		s.docs = map[string]PathItem{}
	}
	s.docs[openAPIPath(pattern)] = item
}

// routeVariable matches a gorilla/mux variable, with its optional regexp.
var routeVariable = regexp.MustCompile(`\{([^{}:]+)(?::[^{}]*)?\}`)

// openAPIPath turns a gorilla/mux pattern into an OpenAPI path template:
// "/files/{path:.+}" becomes "/files/{path}".
func openAPIPath(pattern string) string {
	return routeVariable.ReplaceAllString(pattern, "{$1}")
}

// pathVariables returns the variable names of an OpenAPI path template, in
// order.
func pathVariables(path string) []string {
	var names []string
	for _, m := range routeVariable.FindAllStringSubmatch(path, -1) {
		names = append(names, m[1])
	}
	return names
}

// openAPIDocument is the whole document.
type openAPIDocument struct {
	OpenAPI    string                `json:"openapi"`
	Info       openAPIInfo           `json:"info"`
	Servers    []openAPIServer       `json:"servers"`
	Security   []SecurityRequirement `json:"security,omitempty"`
	Tags       []openAPITag          `json:"tags,omitempty"`
	Paths      map[string]*PathItem  `json:"paths"`
	Components openAPIComponents     `json:"components"`
}

type openAPIInfo struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Version     string `json:"version"`
}

type openAPIServer struct {
	URL string `json:"url"`
}

type openAPITag struct {
	Name string `json:"name"`
}

type openAPIComponents struct {
	Schemas         map[string]Schema         `json:"schemas"`
	Parameters      map[string]Parameter      `json:"parameters"`
	Headers         map[string]Header         `json:"headers"`
	Responses       map[string]Response       `json:"responses"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes,omitempty"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description,omitempty"`
}

// serveOpenAPI serves the document generated from the mounted routes, its
// server URL built from the request as hello's url is.
func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, s.openAPI(s.apiURL(r)))
}

// openAPI builds the document of the mounted routes, served at serverURL.
func (s *Server) openAPI(serverURL string) *openAPIDocument {
	doc := &openAPIDocument{
		OpenAPI: openAPIVersion,
		Info: openAPIInfo{
			Title:       s.cfg.ProjectName,
			Description: "Cliquet / Kinto-Core HTTP API: JSON storage with permissions and synchronisation. Generated from the endpoints this server mounts.",
			Version:     s.cfg.HTTPAPIVersion,
		},
		Servers:    []openAPIServer{{URL: serverURL}},
		Paths:      map[string]*PathItem{},
		Components: sharedComponents(),
	}
	for _, a := range s.auth {
		scheme := securityScheme{Type: "http", Scheme: "bearer", Description: "Token of the " + a.Name() + " policy."}
		if _, ok := policyAs[challenger](a); ok {
			scheme = securityScheme{Type: "http", Scheme: "basic", Description: "HTTP Basic credentials of the " + a.Name() + " policy."}
		}
		if doc.Components.SecuritySchemes == nil {
			doc.Components.SecuritySchemes = map[string]securityScheme{}
		}
		doc.Components.SecuritySchemes[a.Name()] = scheme
	}
	if len(doc.Components.SecuritySchemes) > 0 {
		// Every scheme alone, or none: anonymous requests are allowed
		// wherever permissions grant system.Everyone.
		names := make([]string, 0, len(doc.Components.SecuritySchemes))
		for name := range doc.Components.SecuritySchemes {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			doc.Security = append(doc.Security, SecurityRequirement{name: {}})
		}
		doc.Security = append(doc.Security, SecurityRequirement{})
	}
	for name, schema := range s.docSchemas {
		doc.Components.Schemas[name] = schema
	}

	names := make([]string, 0, len(s.routes))
	for name := range s.routes {
		names = append(names, name)
	}
	slices.Sort(names)
	tags := map[string]bool{}
	operationIDs := map[string]bool{}
	for _, name := range names {
		rt := s.routes[name]
		path := openAPIPath(rt.pattern)
		item := s.documentRoute(rt, path, operationIDs)
		for _, m := range documentedMethods {
			if op := *item.operation(m); op != nil {
				for _, t := range op.Tags {
					tags[t] = true
				}
			}
		}
		doc.Paths[path] = item
	}
	for t := range tags {
		doc.Tags = append(doc.Tags, openAPITag{Name: t})
	}
	slices.SortFunc(doc.Tags, func(a, b openAPITag) int { return strings.Compare(a.Name, b.Name) })
	return doc
}

// documentRoute is the path item of one route: its mounter's description
// restricted to the methods served, a generic operation for the served
// methods it does not describe, a declaration of every path variable, and
// the shared error response as default. operationIDs are the ids already
// taken; a clash gets a numbered suffix, since ids must be unique.
func (s *Server) documentRoute(rt *route, path string, operationIDs map[string]bool) *PathItem {
	item := s.docs[path] // a copy: the operations are replaced below
	for _, m := range documentedMethods {
		slot := item.operation(m)
		if !rt.serves(m) {
			*slot = nil
			continue
		}
		var op Operation
		switch {
		case *slot != nil:
			op = **slot
		case m == http.MethodOptions:
			op = preflightOperation()
		default:
			op = Operation{Summary: "The " + rt.name + " view.", Responses: map[string]Response{
				"200": {Description: "Success."},
			}}
		}
		if op.OperationID == "" {
			op.OperationID = strings.ToLower(m) + "_" + strings.ReplaceAll(rt.name, "-", "_")
		}
		id := op.OperationID
		for n := 2; operationIDs[id]; n++ {
			id = op.OperationID + "_" + strconv.Itoa(n)
		}
		op.OperationID = id
		operationIDs[id] = true
		op.Responses = withDefault(op.Responses, m)
		if !rt.authn && op.Security == nil {
			op.Security = &[]SecurityRequirement{}
		}
		*slot = &op
	}
	declared := map[string]bool{}
	for _, p := range item.Parameters {
		if p.In == "path" {
			declared[p.Name] = true
		}
	}
	params := slices.Clone(item.Parameters)
	for _, v := range pathVariables(path) {
		if !declared[v] {
			params = append(params, Parameter{Name: v, In: "path", Required: true, Schema: Schema{"type": "string"}})
		}
	}
	item.Parameters = params
	return &item
}

// withDefault adds the shared error response as default when responses
// have none (for HEAD the one without a body).
func withDefault(responses map[string]Response, method string) map[string]Response {
	out := make(map[string]Response, len(responses)+1)
	for k, v := range responses {
		out[k] = v
	}
	if _, ok := out["default"]; !ok {
		if method == http.MethodHead || method == http.MethodOptions {
			out["default"] = Response{Ref: "#/components/responses/BodilessError"}
		} else {
			out["default"] = ErrorResponse(0)
		}
	}
	return out
}

// preflightOperation documents the CORS preflight every route answers.
func preflightOperation() Operation {
	return Operation{
		Tags:     []string{"CORS"},
		Summary:  "CORS preflight: the methods and headers an origin may use.",
		Security: &[]SecurityRequirement{},
		Responses: map[string]Response{
			"200": {Description: "The origin may send the request; Access-Control-Allow-* headers say how."},
		},
	}
}
