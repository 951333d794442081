package http

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Media types of request bodies.
const (
	mediaJSON       = "application/json"
	mediaMergePatch = "application/merge-patch+json"
	mediaJSONPatch  = "application/json-patch+json"
)

// checkAccept refuses a request whose Accept header admits no JSON answer
// (406 errno 107). An absent header admits everything.
func checkAccept(r *http.Request) error {
	values := r.Header.Values("Accept")
	if len(values) == 0 {
		return nil
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if acceptsJSON(part) {
				return nil
			}
		}
	}
	return invalidError(http.StatusNotAcceptable, []detail{
		headerIssue("Accept", "Accept header should be one of ['application/json']"),
	})
}

// acceptsJSON reports whether one media range of Accept admits
// application/json with a non-zero quality.
func acceptsJSON(mediaRange string) bool {
	mediaRange = strings.TrimSpace(mediaRange)
	if mediaRange == "" {
		return false
	}
	mt, params, err := mime.ParseMediaType(mediaRange)
	if err != nil {
		return false
	}
	if q, ok := params["q"]; ok {
		if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
			return false
		}
	}
	return mt == "*/*" || mt == "application/*" || mt == mediaJSON
}

// checkContentType refuses a body whose media type (parameters ignored) is
// none of allowed (415 errno 107). An absent Content-Type is accepted and
// the body read as JSON, as the reference does.
func checkContentType(r *http.Request, allowed ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	for _, a := range allowed {
		if ct == a {
			return nil // the usual exact type: no parameters to parse
		}
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		for _, a := range allowed {
			if mt == a {
				return nil
			}
		}
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = "'" + a + "'"
	}
	return invalidError(http.StatusUnsupportedMediaType, []detail{
		headerIssue("Content-Type", "Content-Type header should be one of ["+strings.Join(quoted, ", ")+"]"),
	})
}
