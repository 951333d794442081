package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// Schema validates the data of objects against a JSON Schema (Draft 7 unless
// the document names another $schema, as Kinto does).
type Schema struct {
	compiled *jsonschema.Schema
	// source is the decoded document, for the API documentation.
	source any
}

// CompileSchema compiles a decoded JSON Schema document. It fails with an
// Invalid error when the document is not a valid schema.
func CompileSchema(doc any) (*Schema, error) {
	const op = "app.CompileSchema"
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	// No remote references: a schema may only refer inside itself.
	c.UseLoader(noLoader{})
	if err := c.AddResource("mem:///schema.json", doc); err != nil {
		return nil, &Error{Kind: domain.Invalid, Op: op, Issues: []domain.Issue{{Location: domain.InBody, Name: "schema", Description: err.Error()}}, Err: err}
	}
	s, err := c.Compile("mem:///schema.json")
	if err != nil {
		return nil, &Error{Kind: domain.Invalid, Op: op, Issues: []domain.Issue{{Location: domain.InBody, Name: "schema", Description: schemaErrorText(err)}}, Err: err}
	}
	return &Schema{compiled: s, source: doc}, nil
}

// Source returns the decoded JSON Schema document the schema was compiled
// from (maps, slices, json.Number…), for describing the resource, e.g. in
// an OpenAPI document. Callers must not change it.
func (s *Schema) Source() any { return s.source }

// MustCompileSchema compiles a schema written in Go source, for resources
// declared by service authors; it panics on a bad schema, at start-up.
func MustCompileSchema(doc string) *Schema {
	var v any
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		panic(fmt.Sprintf("schema is not JSON: %v", err))
	}
	s, err := CompileSchema(v)
	if err != nil {
		panic(fmt.Sprintf("invalid schema: %v", err))
	}
	return s
}

// Error is domain.Error, named here for brevity.
type Error = domain.Error

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("remote references are not allowed: %s", url)
}

// Validate checks data (an object's fields without id and last_modified).
// A failure is an Invalid error whose issues follow Kinto's shape: name is
// the failing field, description reads like Python's jsonschema.
func (s *Schema) Validate(data map[string]any) error {
	err := s.compiled.Validate(any(data))
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &Error{Kind: domain.Invalid, Op: "app.Schema.Validate", Issues: []domain.Issue{{Location: domain.InBody, Name: "schema", Description: err.Error()}}, Err: err}
	}
	leaf := firstLeaf(ve)
	name, desc := describe(leaf, data)
	return &Error{Kind: domain.Invalid, Op: "app.Schema.Validate", Issues: []domain.Issue{{Location: domain.InBody, Name: name, Description: desc}}, Err: err}
}

// firstLeaf walks to the most specific failure, which is what Python's
// jsonschema reports first (best_match prefers deep errors).
func firstLeaf(ve *jsonschema.ValidationError) *jsonschema.ValidationError {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	return ve
}

var printer = message.NewPrinter(language.English)

// describe returns Kinto's detail name and a Python-jsonschema-like message.
func describe(ve *jsonschema.ValidationError, data map[string]any) (name, desc string) {
	if n := len(ve.InstanceLocation); n > 0 {
		name = ve.InstanceLocation[n-1]
	}
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		missing := k.Missing[0]
		return missing, fmt.Sprintf("%s is a required property", domain.PyRepr(missing))
	case *kind.Type:
		return nameOr(name, "type"), fmt.Sprintf("%s is not of type %s", domain.PyRepr(instanceAt(data, ve.InstanceLocation)), domain.PyRepr(strings.Join(k.Want, ", ")))
	case *kind.AdditionalProperties:
		return nameOr(name, k.Properties[0]), fmt.Sprintf("Additional properties are not allowed (%s was unexpected)", domain.PyRepr(k.Properties[0]))
	}
	kw := ve.ErrorKind.KeywordPath()
	fallback := "schema"
	if len(kw) > 0 {
		fallback = kw[len(kw)-1]
	}
	return nameOr(name, fallback), ve.ErrorKind.LocalizedString(printer)
}

// instanceAt returns the value at a validator instance location.
func instanceAt(data map[string]any, loc []string) any {
	var v any = data
	for _, step := range loc {
		switch t := v.(type) {
		case map[string]any:
			v = t[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

func nameOr(name, fallback string) string {
	if name != "" {
		return name
	}
	return fallback
}

// schemaErrorText describes why a document is not a valid schema in one
// line: the most specific failure against the meta-schema and where it is.
func schemaErrorText(err error) string {
	var se *jsonschema.SchemaValidationError
	if errors.As(err, &se) {
		var ve *jsonschema.ValidationError
		if errors.As(se.Err, &ve) {
			leaf := firstLeaf(ve)
			where := "/" + strings.Join(leaf.InstanceLocation, "/")
			return fmt.Sprintf("Invalid JSON schema at %s: %s", where, leaf.ErrorKind.LocalizedString(printer))
		}
		return "Invalid JSON schema: " + firstLine(se.Err.Error())
	}
	return "Invalid JSON schema: " + firstLine(err.Error())
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
