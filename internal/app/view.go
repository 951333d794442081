package app

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// What Resource.FixedFilters and Resource.ReadOnly do to the actions: one
// place for the rules, called where each action reads or writes.

// inView reports whether rec is one of the objects res shows.
func inView(res *Resource, rec domain.Record) bool {
	return domain.MatchAll(rec, res.FixedFilters)
}

// viewFilters returns the filters of a list action of res: visible (the
// guard's id filter, if any), then res's fixed filters, then the request's
// own, in a new slice.
func viewFilters(res *Resource, visible, requested []domain.Filter) []domain.Filter {
	return slices.Concat(visible, res.FixedFilters, requested)
}

// outsideView is the answer to a PUT or POST naming an object that exists
// but that res does not show: creating it would overwrite it, and the
// endpoint may not touch it.
func outsideView(res *Resource, id string) error {
	return &Error{Kind: domain.Forbidden, Op: "app.outsideView", Resource: res.Name, ID: id,
		Message: "This object exists but is outside this endpoint."}
}

// checkStaysInView refuses to store an object that res would not show: a
// write through a filtered view must not make its object disappear from it.
func checkStaysInView(res *Resource, rec domain.Record) error {
	var issues []domain.Issue
	for _, f := range res.FixedFilters {
		if !domain.Match(rec, f) {
			issues = append(issues, domain.Issue{Location: domain.InBody, Name: f.Field,
				Description: fmt.Sprintf("%s must match this endpoint's filter (%s %s)", f.Field, f.Op, filterValue(f.Value))})
		}
	}
	if len(issues) > 0 {
		return &Error{Kind: domain.Invalid, Op: "app.checkStaysInView", Issues: issues}
	}
	return nil
}

// filterValue shows a filter's value as JSON, as clients write it.
func filterValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// refuseReadOnly fails every write action on a read-only resource. It
// carries no message, so that the http adapter answers with the protocol's
// own 405 wording, as its routes do for the methods they do not serve.
func refuseReadOnly(req *Request, action string) error {
	if req.Resource.ReadOnly {
		return &Error{Kind: domain.MethodNotAllowed, Op: "app." + action, Resource: req.Resource.Name}
	}
	return nil
}
