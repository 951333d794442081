package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/config"
)

// Kinto's methods of each endpoint type, each behind a
// <endpoint>_<resource>_<method>_enabled setting (true by default).
var (
	pluralMethods = []string{http.MethodHead, http.MethodGet, http.MethodPost, http.MethodDelete}
	objectMethods = []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}
)

// applyEndpointSwitches restricts res to the methods that Kinto's endpoint
// switches leave on ("plural_bucket_post_enabled = false",
// "object_record_delete_enabled = false"). As in Kinto, where a disabled
// method is never registered, the method then gets 405 errno 115 with the
// remaining ones in Allow, and an endpoint left without methods is not
// served (404). HEAD of an object follows its GET, which serves it.
// A value that is not a boolean is a *config.SettingError.
func applyEndpointSwitches(res *app.Resource, src *config.Source) error {
	list, err := enabledMethods(src, "plural", res.Name, pluralMethods)
	if err != nil {
		return err
	}
	object, err := enabledMethods(src, "object", res.Name, objectMethods)
	if err != nil {
		return err
	}
	if len(list) < len(pluralMethods) {
		res.ListMethods = restrictTo(res.ListMethods, list)
	}
	if len(object) < len(objectMethods) {
		for _, m := range object {
			if m == http.MethodGet {
				object = append(object, http.MethodHead)
				break
			}
		}
		res.ObjectMethods = restrictTo(res.ObjectMethods, object)
	}
	return nil
}

// enabledMethods returns the methods of methods whose switch is not off.
func enabledMethods(src *config.Source, endpoint, resource string, methods []string) ([]string, error) {
	out := []string{} // not nil: nil would serve every method
	for _, m := range methods {
		name := fmt.Sprintf("%s_%s_%s_enabled", endpoint, resource, strings.ToLower(m))
		v, ok := src.Lookup(name)
		if !ok {
			out = append(out, m)
			continue
		}
		var on config.Bool
		if err := on.Decode(v); err != nil {
			return nil, &config.SettingError{Setting: name, Err: err}
		}
		if on {
			out = append(out, m)
		}
	}
	return out, nil
}

// restrictTo keeps the methods of current (nil: all) that are in allowed.
func restrictTo(current, allowed []string) []string {
	if current == nil {
		return allowed
	}
	out := []string{}
	for _, m := range current {
		for _, a := range allowed {
			if a == m {
				out = append(out, m)
			}
		}
	}
	return out
}
