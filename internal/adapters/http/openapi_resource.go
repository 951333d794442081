package http

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cliquet-go/cliquet/internal/app"
)

// documentResource describes the list and object endpoints of res, and
// adds its schemas: <Name> (an object as answered), <Name>Data (the data
// a client sends), <Name>Object ({data, permissions}), <Name>Body (the
// request envelope) and <Name>List ({data: [...]}).
func (s *Server) documentResource(res *app.Resource) {
	title := exportedName(res.Name)
	record, data := resourceSchemas(res)
	s.DocumentSchema(title, record)
	s.DocumentSchema(title+"Data", data)
	s.DocumentSchema(title+"Object", objectSchema(map[string]any{
		"data":        SchemaRef(title),
		"permissions": SchemaRef("Permissions"),
	}, "data"))
	s.DocumentSchema(title+"Body", objectSchema(map[string]any{
		"data":        SchemaRef(title + "Data"),
		"permissions": SchemaRef("Permissions"),
	}))
	s.DocumentSchema(title+"List", objectSchema(map[string]any{
		"data": arrayOf(SchemaRef(title)),
	}, "data"))

	listPath, objectPath := resourcePaths(res)
	params := resourcePathParameters(res)
	tags := []string{exportedName(res.Plural)}
	conditional := []Parameter{parameterRef("IfMatch"), parameterRef("IfNoneMatch")}
	listQuery := append([]Parameter{
		parameterRef("Limit"), parameterRef("Token"), parameterRef("Sort"), parameterRef("Since"),
		parameterRef("Before"), parameterRef("To"), parameterRef("Fields"), parameterRef("Filters"),
	}, conditional...)
	one, many := res.Name, res.Plural
	object := JSONContent(SchemaRef(title + "Object"))
	list := JSONContent(SchemaRef(title + "List"))
	notModified := Response{Description: "Not modified since the If-None-Match ETag.", Headers: timestampHeaders()}
	readErrors := func(responses map[string]Response) map[string]Response {
		for _, status := range []int{400, 401, 403, 404, 406, 412} {
			responses[httpStatus(status)] = ErrorResponse(status)
		}
		return responses
	}
	writeErrors := func(responses map[string]Response) map[string]Response {
		for _, status := range []int{409, 415} {
			responses[httpStatus(status)] = ErrorResponse(status)
		}
		return readErrors(responses)
	}
	listHeaders := func(extra ...string) map[string]Header {
		h := timestampHeaders()
		h["Next-Page"] = headerRef("Next-Page")
		for _, name := range extra {
			h[name] = headerRef(name)
		}
		return h
	}
	headCount := timestampHeaders()
	headCount["Total-Objects"] = headerRef("Total-Objects")
	headCount["Total-Records"] = headerRef("Total-Records")
	body := func(patch bool) *RequestBody {
		content := JSONContent(SchemaRef(title + "Body"))
		description := "The object's data and permissions; both may be left out."
		if patch {
			content[mediaMergePatch] = MediaType{Schema: SchemaRef(title + "Body")}
			content[mediaJSONPatch] = MediaType{Schema: SchemaRef("JSONPatch")}
			description = "Fields to change: merged into data (application/json), merged with null removing a field (merge-patch), or JSON-Patch operations on /data and /permissions."
		}
		return &RequestBody{Description: description, Content: content}
	}

	s.Document(listPath, PathItem{
		Parameters: params,
		Get: &Operation{
			Tags: tags, OperationID: "get_" + one + "_list", Summary: "List the " + many + ", filtered, sorted and paged.",
			Parameters: listQuery,
			Responses: readErrors(map[string]Response{
				"200": {Description: "A page of " + many + "; Next-Page links to the next one.", Headers: listHeaders("Alert"), Content: list},
				"304": notModified,
			}),
		},
		Head: &Operation{
			Tags: tags, OperationID: "head_" + one + "_list", Summary: "Count the " + many + " that match the filters.",
			Parameters: listQuery,
			Responses: map[string]Response{
				"200": {Description: "Total-Objects says how many match.", Headers: headCount},
				"304": notModified,
			},
		},
		Post: &Operation{
			Tags: tags, OperationID: "create_" + one, Summary: "Create a " + one + " (with data.id: answer the existing one if present).",
			Parameters:  conditional,
			RequestBody: body(false),
			Responses: writeErrors(map[string]Response{
				"200": {Description: "The " + one + " with that id already exists.", Headers: timestampHeaders(), Content: object},
				"201": {Description: "Created.", Headers: timestampHeaders(), Content: object},
			}),
		},
		Delete: &Operation{
			Tags: tags, OperationID: "delete_" + one + "_list", Summary: "Delete the " + many + " that match the filters.",
			Parameters: listQuery,
			Responses: readErrors(map[string]Response{
				"200": {Description: "The tombstones of the deleted " + many + "; Next-Page repeats the request when more remain.", Headers: listHeaders(), Content: list},
			}),
		},
	})

	objectParams := append(slices.Clone(params), Parameter{Name: res.IDVarName(), In: "path", Required: true,
		Description: "Id of the " + one + ".", Schema: stringSchema("")})
	s.Document(objectPath, PathItem{
		Parameters: objectParams,
		Get: &Operation{
			Tags: tags, OperationID: "get_" + one, Summary: "Read a " + one + ".",
			Parameters: append([]Parameter{parameterRef("Fields")}, conditional...),
			Responses: readErrors(map[string]Response{
				"200": {Description: "The " + one + " and its permissions.", Headers: timestampHeaders(), Content: object},
				"304": notModified,
			}),
		},
		Head: &Operation{
			Tags: tags, OperationID: "head_" + one, Summary: "The headers of a " + one + ".",
			Parameters: conditional,
			Responses: map[string]Response{
				"200": {Description: "The " + one + " exists.", Headers: timestampHeaders()},
				"304": notModified,
			},
		},
		Put: &Operation{
			Tags: tags, OperationID: "replace_" + one, Summary: "Create or replace a " + one + ".",
			Parameters:  conditional,
			RequestBody: body(false),
			Responses: writeErrors(map[string]Response{
				"200": {Description: "Replaced.", Headers: timestampHeaders(), Content: object},
				"201": {Description: "Created.", Headers: timestampHeaders(), Content: object},
			}),
		},
		Patch: &Operation{
			Tags: tags, OperationID: "patch_" + one, Summary: "Change some fields or permissions of a " + one + ".",
			Parameters: append([]Parameter{{Name: "Response-Behavior", In: "header",
				Description: "full (default): answer the whole object; light: the fields sent; diff: those the server changed.",
				Schema:      Schema{"type": "string", "enum": []string{"full", "light", "diff"}}}}, conditional...),
			RequestBody: body(true),
			Responses: writeErrors(map[string]Response{
				"200": {Description: "The changed " + one + " (only some fields with Response-Behavior light or diff).", Headers: timestampHeaders(),
					Content: JSONContent(SchemaRef(title + "Body"))},
			}),
		},
		Delete: &Operation{
			Tags: tags, OperationID: "delete_" + one, Summary: "Delete a " + one + ", leaving a tombstone.",
			Parameters: append([]Parameter{{Name: "last_modified", In: "query",
				Description: "Delete only if the object still has this timestamp; and the tombstone's timestamp when newer.",
				Schema:      stringSchema("")}}, conditional...),
			Responses: readErrors(map[string]Response{
				"200": {Description: "The tombstone.", Headers: timestampHeaders(), Content: object},
			}),
		},
	})
}

// resourcePathParameters are the path variables of res's parents, outermost
// first.
func resourcePathParameters(res *app.Resource) []Parameter {
	var params []Parameter
	for p := res.Parent; p != nil; p = p.Parent {
		params = append([]Parameter{{Name: p.IDVarName(), In: "path", Required: true,
			Description: "Id of the parent " + p.Name + ".", Schema: stringSchema("")}}, params...)
	}
	return params
}

// resourceSchemas are the schema of an object of res as answered (id and
// last_modified always there, deleted on tombstones) and of the data a
// client sends (nothing required). A resource with a JSON Schema gives its
// fields; its required list is dropped, since _fields and Response-Behavior
// answer only some fields and Process hooks may fill others.
func resourceSchemas(res *app.Resource) (record, data Schema) {
	base := Schema{"type": "object"}
	if res.Schema != nil {
		if declared, ok := openAPISchema(res.Schema.Source()).(Schema); ok {
			base = declared
			base["type"] = "object"
		}
	}
	delete(base, "required")
	props, _ := base["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	props["id"] = stringSchema("The object's id.")
	props["last_modified"] = integerSchema("The object's timestamp, in milliseconds.")
	props["deleted"] = Schema{"type": "boolean", "description": "True on the tombstone of a deleted object."}
	base["properties"] = props

	data = Schema{}
	for k, v := range base {
		data[k] = v
	}
	record = Schema{}
	for k, v := range base {
		record[k] = v
	}
	record["required"] = []string{"id", "last_modified"}
	return record, data
}

// openAPIKeywords are the JSON Schema keywords an OpenAPI 3.0 schema
// shares; others (of later drafts) are left out of the document.
var openAPIKeywords = map[string]bool{
	"title": true, "description": true, "default": true, "enum": true, "type": true, "format": true,
	"multipleOf": true, "maximum": true, "minimum": true, "maxLength": true, "minLength": true,
	"pattern": true, "maxItems": true, "minItems": true, "uniqueItems": true, "maxProperties": true,
	"minProperties": true, "required": true, "properties": true, "additionalProperties": true,
	"items": true, "allOf": true, "oneOf": true, "anyOf": true, "not": true, "readOnly": true,
	"writeOnly": true, "example": true, "deprecated": true,
}

// openAPISchema converts a decoded JSON Schema (Draft 4 to 7) into an
// OpenAPI 3.0 schema: const becomes a one-value enum, a type list with
// null becomes nullable, numeric exclusive bounds become boolean ones, and
// keywords OpenAPI 3.0 does not know are dropped. A boolean schema stays
// as is where OpenAPI allows it (additionalProperties).
func openAPISchema(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := Schema{}
	for k, val := range m {
		switch {
		case k == "const":
			out["enum"] = []any{val}
		case k == "type":
			if types, isList := val.([]any); isList {
				var kept []any
				for _, t := range types {
					if t == "null" {
						out["nullable"] = true
					} else {
						kept = append(kept, t)
					}
				}
				if len(kept) == 1 {
					out["type"] = kept[0]
				}
				continue
			}
			if val == "null" {
				out["nullable"] = true
				continue
			}
			out["type"] = val
		case k == "exclusiveMinimum" || k == "exclusiveMaximum":
			if b, isBool := val.(bool); isBool {
				out[k] = b
				continue
			}
			bound := "minimum"
			if k == "exclusiveMaximum" {
				bound = "maximum"
			}
			out[bound] = val
			out[k] = true
		case k == "properties":
			props, _ := val.(map[string]any)
			converted := make(map[string]any, len(props))
			for name, p := range props {
				converted[name] = openAPISchema(p)
			}
			out[k] = converted
		case k == "items":
			if _, tuple := val.([]any); tuple {
				continue // tuples have no OpenAPI 3.0 form
			}
			out[k] = openAPISchema(val)
		case k == "allOf" || k == "oneOf" || k == "anyOf":
			list, _ := val.([]any)
			converted := make([]any, len(list))
			for i, p := range list {
				converted[i] = openAPISchema(p)
			}
			out[k] = converted
		case k == "not" || k == "additionalProperties":
			out[k] = openAPISchema(val)
		case openAPIKeywords[k]:
			out[k] = val
		}
	}
	return out
}

// exportedName capitalizes the first letter of name and drops separators:
// "bucket" → "Bucket", "article-stats" → "ArticleStats".
func exportedName(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == ' ' }) {
		r, size := utf8.DecodeRuneInString(part)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(part[size:])
	}
	return b.String()
}

// httpStatus formats a status code as an OpenAPI response key.
func httpStatus(status int) string { return strconv.Itoa(status) }
