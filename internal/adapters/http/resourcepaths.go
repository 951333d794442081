package http

import "github.com/cliquet-go/cliquet/internal/app"

// resourcePaths returns the route patterns (gorilla/mux syntax, without the
// version prefix) of the list and object endpoints of res: the list is
// "/<plural>" under its parent's object path, the object "<list>/{<id>}"
// with the resource's URL variable, e.g. "/buckets/{bid}/collections" and
// "/buckets/{bid}/collections/{cid}". The app describes resources by name
// and parent only; the URL syntax is this adapter's.
func resourcePaths(res *app.Resource) (list, object string) {
	list = "/" + res.Plural
	if res.Parent != nil {
		_, parent := resourcePaths(res.Parent)
		list = parent + list
	}
	return list, list + "/{" + res.IDVarName() + "}"
}
