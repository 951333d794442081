// Package apicheck checks the service's OpenAPI document with a real
// validator (kin-openapi): the document itself, and requests and answers
// against it. The lint target, the tests of cmd/kinto and cmd/readinglist
// and the end-to-end proxy (test/apicheck) use it; the service never does.
package apicheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Load parses an OpenAPI 3 document and validates it.
func Load(ctx context.Context, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load openapi document: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("invalid openapi document: %w", err)
	}
	return doc, nil
}

// Checker validates exchanges against one document.
type Checker struct {
	doc    *openapi3.T
	router routers.Router
}

// New loads and validates data and prepares to check exchanges against it.
// Requests must name the host of the document's server URL.
func New(ctx context.Context, data []byte) (*Checker, error) {
	doc, err := Load(ctx, data)
	if err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	if doc.Components == nil || doc.Components.Schemas["Error"] == nil {
		return nil, errors.New("openapi document: no Error schema in components")
	}
	return &Checker{doc: doc, router: router}, nil
}

// Exchange is one request with its answer, bodies read in full.
type Exchange struct {
	Request     *http.Request
	RequestBody []byte
	Status      int
	Header      http.Header
	Body        []byte
}

// Check validates the request of x (when checkRequest) and its answer. The
// security requirements are not checked: who may call is the service's
// business, the document only says how credentials travel.
func (c *Checker) Check(ctx context.Context, x Exchange, checkRequest bool) error {
	req := x.Request.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(x.RequestBody))
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		// An unknown URL or method has no operation to check against,
		// but its answer must still be the protocol's 404 or 405 error.
		if unrouted(err, x.Status) {
			return c.checkError(x)
		}
		return fmt.Errorf("%s %s: no documented operation: %w", x.Request.Method, x.Request.URL.RequestURI(), err)
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	}
	var problems []error
	if checkRequest {
		if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
			problems = append(problems, fmt.Errorf("request: %w", err))
		}
	}
	resp := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 x.Status,
		Header:                 x.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	resp.SetBodyBytes(x.Body)
	if err := openapi3filter.ValidateResponse(ctx, resp); err != nil {
		problems = append(problems, fmt.Errorf("response %d: %w", x.Status, err))
	}
	if err := errors.Join(problems...); err != nil {
		return fmt.Errorf("%s %s: %w", x.Request.Method, x.Request.URL.RequestURI(), err)
	}
	return nil
}

// unrouted reports whether err is the router not finding an operation for
// a request the service answered as unknown (404) or not allowed (405).
func unrouted(err error, status int) bool {
	var re *routers.RouteError
	if !errors.As(err, &re) {
		return false
	}
	switch {
	case errors.Is(err, routers.ErrPathNotFound):
		return status == http.StatusNotFound
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return status == http.StatusMethodNotAllowed
	}
	return false
}

// checkError validates the answer of x against the document's Error schema.
func (c *Checker) checkError(x Exchange) error {
	if x.Request.Method == http.MethodHead {
		return nil // no body
	}
	var body any
	if err := json.Unmarshal(x.Body, &body); err != nil {
		return fmt.Errorf("%s %s: %d answer is not JSON: %w", x.Request.Method, x.Request.URL.RequestURI(), x.Status, err)
	}
	if err := c.doc.Components.Schemas["Error"].Value.VisitJSON(body); err != nil {
		return fmt.Errorf("%s %s: %d answer is not an error object: %w", x.Request.Method, x.Request.URL.RequestURI(), x.Status, err)
	}
	return nil
}
