package http

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
)

// resourceEndpoints serves one declared resource through the engine.
type resourceEndpoints struct {
	s      *Server
	engine *app.Engine
	res    *app.Resource
}

// MountResource mounts the list and object endpoints of res, served by
// engine with the whole protocol. Resource.ListMethods and ObjectMethods
// restrict the methods served; a Resource.ReadOnly one serves GET and HEAD
// at most.
func (s *Server) MountResource(engine *app.Engine, res *app.Resource) {
	e := &resourceEndpoints{s: s, engine: engine, res: res}
	listPath, objectPath := resourcePaths(res)
	list := map[string]http.Handler{
		http.MethodGet:    http.HandlerFunc(e.getList),
		http.MethodHead:   http.HandlerFunc(e.headList),
		http.MethodPost:   http.HandlerFunc(e.postList),
		http.MethodDelete: http.HandlerFunc(e.deleteList),
	}
	object := map[string]http.Handler{
		http.MethodGet:    http.HandlerFunc(e.getObject),
		http.MethodHead:   http.HandlerFunc(e.getObject),
		http.MethodPut:    http.HandlerFunc(e.putObject),
		http.MethodPatch:  http.HandlerFunc(e.patchObject),
		http.MethodDelete: http.HandlerFunc(e.deleteObject),
	}
	restrict(list, res.ListMethods)
	restrict(object, res.ObjectMethods)
	if res.ReadOnly {
		// The engine refuses the writes anyway; not routing them gives
		// the 405 its Allow header.
		reads := []string{http.MethodGet, http.MethodHead}
		restrict(list, reads)
		restrict(object, reads)
	}
	s.documentResource(res)
	if len(list) > 0 {
		s.Route(res.Name+"-list", listPath, list)
	}
	if len(object) > 0 {
		s.Route(res.Name+"-object", objectPath, object)
	}
}

// restrict drops the methods not in allowed (nil allows all).
func restrict(handlers map[string]http.Handler, allowed []string) {
	if allowed == nil {
		return
	}
	for m := range handlers {
		if !slices.ContainsFunc(allowed, func(a string) bool { return strings.EqualFold(a, m) }) {
			delete(handlers, m)
		}
	}
}

// request builds the engine's view of r, or a 400 for bad conditional
// headers.
func (e *resourceEndpoints) request(r *http.Request) (*app.Request, error) {
	pre, err := parsePreconditions(r)
	if err != nil {
		return nil, err
	}
	req := e.unconditional(r)
	req.Pre = pre
	return req, nil
}

// unconditional is the engine's view of r without its conditional headers,
// for authorizing a request they may have made invalid.
func (e *resourceEndpoints) unconditional(r *http.Request) *app.Request {
	return &app.Request{
		Resource: e.res,
		Caller:   app.Caller{UserID: UserID(r.Context()), Principals: Principals(r.Context())},
		Vars:     mux.Vars(r),
		Header:   r.Header.Get,
	}
}

// parsePreconditions reads If-Match and If-None-Match: a quoted integer or
// *; anything else is a 400.
func parsePreconditions(r *http.Request) (domain.Preconditions, error) {
	var p domain.Preconditions
	var err error
	if p.IfMatch, err = parseCondition(r, "If-Match"); err != nil {
		return p, err
	}
	if p.IfNoneMatch, err = parseCondition(r, "If-None-Match"); err != nil {
		return p, err
	}
	return p, nil
}

// parseCondition reads one conditional header; absent, it sets nothing.
func parseCondition(r *http.Request, name string) (domain.ETagCondition, error) {
	v, present := r.Header[name]
	if !present {
		return domain.ETagCondition{}, nil
	}
	c, err := domain.ParseETag(name, strings.TrimSpace(strings.Join(v, ",")))
	if err != nil {
		return c, invalidError(http.StatusBadRequest, []detail{headerIssue(name, domain.ETagMessage)})
	}
	return c, nil
}

// setTimestamp writes ETag and Last-Modified for ts.
//
// Both values are cut from one string and both header slices from one
// array: two allocations where Header.Set of each formatted value took six.
// The slices' capacity is their length, so that an Add copies.
func setTimestamp(h http.Header, ts int64) {
	var buf [64]byte
	b := append(buf[:0], '"')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, '"')
	etagLen := len(b)
	b = time.UnixMilli(ts).UTC().Truncate(time.Second).AppendFormat(b, http.TimeFormat)
	both := string(b)
	vals := []string{both[:etagLen], both[etagLen:]}
	h["Etag"] = vals[0:1:1] // "ETag" in canonical form
	h["Last-Modified"] = vals[1:2:2]
}

// fail answers err; a precondition failure carries the current timestamp.
func (e *resourceEndpoints) fail(w http.ResponseWriter, r *http.Request, req *app.Request, err error) {
	if de := domain.AsError(err); de != nil && de.Kind == domain.PreconditionFailed {
		if de.Existing != nil {
			setTimestamp(w.Header(), de.Existing.LastModified)
		} else if req != nil {
			if ts, tsErr := e.engine.Timestamp(r.Context(), req); tsErr == nil {
				setTimestamp(w.Header(), ts)
			}
		}
	}
	e.s.writeError(w, r, err)
}

// listRequest reads what every list handler needs: the Accept check (for
// reads), the conditional headers and the querystring. On failure it answers
// the error itself and returns ok false. A caller without the right to the
// list gets 401/403 rather than the validation error, as in Kinto; the
// right is checked only when validation fails, since the engine's list
// actions check it first anyway.
func (e *resourceEndpoints) listRequest(w http.ResponseWriter, r *http.Request, read bool) (*app.Request, ListQuery, bool) {
	var lr ListQuery
	if read {
		if err := checkAccept(r); err != nil {
			e.s.writeError(w, r, err)
			return nil, lr, false
		}
	}
	req, err := e.request(r)
	if err == nil {
		lr, err = e.parseList(r)
	}
	if err != nil {
		if denied := e.engine.AuthorizeList(r.Context(), e.unconditional(r), !read); denied != nil {
			err = denied
		}
		e.s.writeError(w, r, err)
		return nil, lr, false
	}
	return req, lr, true
}

// parseList reads a list querystring.
func (e *resourceEndpoints) parseList(r *http.Request) (ListQuery, error) {
	return ParseListQuery(queryOf(r), ListQueryOptions{
		DefaultSort:  e.res.DefaultSort,
		PaginateBy:   e.s.cfg.PaginateBy,
		MaxFetchSize: e.s.cfg.MaxFetchSize,
		Now:          e.s.now().UnixMilli(),
	})
}

func (e *resourceEndpoints) getList(w http.ResponseWriter, r *http.Request) {
	req, lr, ok := e.listRequest(w, r, true)
	if !ok {
		return
	}
	q := domain.Query{Filters: lr.Filters, Sort: lr.Sort, Limit: lr.Limit, After: lr.After, WithDeleted: lr.WithDeleted}
	page, err := e.engine.List(r.Context(), req, q)
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	h := w.Header()
	setTimestamp(h, page.Timestamp)
	e.cacheHeaders(r.Context(), h, req)
	if lr.DeprecatedTo {
		h.Set("Alert", e.s.alert("soft-eol"))
	}
	if page.NotModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if page.Next != nil {
		token, err := pageToken{sort: lr.Sort, after: page.Next}.encode()
		if err != nil {
			e.s.writeError(w, r, err)
			return
		}
		h.Set("Next-Page", e.nextPage(r, lr.Limit, token))
	}
	// {"data":[…]} written straight: without _fields each record as it
	// is (HTML escaped, as AppendJSON writes every Record), rather than
	// boxed one by one into a list inside a map built for each answer.
	e.s.writeEncoded(w, r, http.StatusOK, func(dst []byte) ([]byte, error) {
		dst = append(dst, `{"data":[`...)
		for i, rec := range page.Records {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if lr.Fields == nil {
				dst, err = rec.AppendJSON(dst, true)
			} else {
				dst, err = domain.AppendJSON(dst, domain.Project(rec, lr.Fields), false)
			}
			if err != nil {
				return dst, err
			}
		}
		return append(dst, "]}"...), nil
	})
}

// project applies _fields, or returns the whole record.
func project(rec domain.Record, fields []string) any {
	if fields == nil {
		return rec
	}
	return domain.Project(rec, fields)
}

// nextPage is the absolute URL of the next page: the same request with
// _limit and _token set (token empty: no _token, as for DELETE).
func (e *resourceEndpoints) nextPage(r *http.Request, limit int, token string) string {
	q := r.URL.Query()
	q.Set("_limit", strconv.Itoa(limit))
	q.Del("_token")
	if token != "" {
		q.Set("_token", token)
	}
	u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
	return e.s.baseURL(r) + u.RequestURI()
}

// cacheHeaders sets the GET cache policy: anonymous reads of a resource
// with a cache policy may be cached that long; anything else is private and
// never cached.
func (e *resourceEndpoints) cacheHeaders(ctx context.Context, h http.Header, req *app.Request) {
	if !req.Caller.Authenticated() && e.res.CacheExpires != nil {
		if seconds, ok := e.res.CacheExpires(ctx, req); ok {
			cacheExpires(h, seconds, e.s.now())
			return
		}
	}
	h["Cache-Control"] = noCacheValue
}

func (e *resourceEndpoints) headList(w http.ResponseWriter, r *http.Request) {
	req, lr, ok := e.listRequest(w, r, true)
	if !ok {
		return
	}
	ts, n, notModified, err := e.engine.Count(r.Context(), req, lr.Filters)
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	h := w.Header()
	setTimestamp(h, ts)
	e.cacheHeaders(r.Context(), h, req)
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Total-Objects", strconv.Itoa(n))
	h.Set("Total-Records", strconv.Itoa(n))
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
}

// toEnvelope turns a decoded body, or its decoding error, into an envelope.
func toEnvelope(body map[string]any, err error) (envelope, error) {
	if err != nil {
		return envelope{}, err
	}
	return parseEnvelope(body)
}

// postList answers 401/403 to a POST before its body is validated, as
// Kinto does; the body is decoded once, before, since a data.id in it asks
// to read an existing object rather than to create one.
func (e *resourceEndpoints) postList(w http.ResponseWriter, r *http.Request) {
	req, err := e.request(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	raw, err := e.s.readBody(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	body, decodeErr := parseObject(raw)
	id := ""
	if data, ok := body["data"].(map[string]any); ok {
		id, _ = data["id"].(string)
	}
	obj, err := e.engine.CreateFrom(r.Context(), req, id, e.envelopeBody(r, body, decodeErr, false))
	e.answerWrite(w, r, req, obj, err)
}

// envelopeBody is the lazy decoding of a POST or PUT body already read and
// parsed (or that failed to parse): the Accept and Content-Type checks,
// then the envelope.
func (e *resourceEndpoints) envelopeBody(r *http.Request, body map[string]any, decodeErr error, replace bool) app.BodyFunc {
	return func() (app.Body, error) {
		if err := checkAccept(r); err != nil {
			return app.Body{}, err
		}
		if err := checkContentType(r, mediaJSON); err != nil {
			return app.Body{}, err
		}
		env, err := toEnvelope(body, decodeErr)
		if err != nil {
			return app.Body{}, err
		}
		return env.body(replace), nil
	}
}

// answerWrite answers a write's result: 201 when created, else 200.
func (e *resourceEndpoints) answerWrite(w http.ResponseWriter, r *http.Request, req *app.Request, obj app.Object, err error) {
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	status := http.StatusOK
	if obj.Created {
		status = http.StatusCreated
	}
	e.writeObject(w, r, status, obj, nil)
}

// writeObject answers {"data", "permissions"} with the object's timestamp.
func (e *resourceEndpoints) writeObject(w http.ResponseWriter, r *http.Request, status int, obj app.Object, fields []string) {
	setTimestamp(w.Header(), obj.Record.LastModified)
	perms := obj.Permissions
	if perms == nil {
		perms = map[string][]string{}
	}
	// {"data":…,"permissions":…} written straight, keys in encoding/json's
	// order, rather than through a map built for each answer.
	// Without _fields the record is encoded as it is: boxing it into an
	// interface for AppendJSON would copy it to the heap.
	var projected any
	if fields != nil {
		projected = project(obj.Record, fields)
	}
	e.s.writeEncoded(w, r, status, func(dst []byte) ([]byte, error) {
		dst = append(dst, `{"data":`...)
		var err error
		if projected != nil {
			dst, err = domain.AppendJSON(dst, projected, false)
		} else {
			// HTML escaped, as AppendJSON writes every Record.
			dst, err = obj.Record.AppendJSON(dst, true)
		}
		if err != nil {
			return dst, err
		}
		dst = append(dst, `,"permissions":`...)
		dst, err = domain.AppendJSON(dst, perms, false)
		return append(dst, '}'), err
	})
}

func (e *resourceEndpoints) deleteList(w http.ResponseWriter, r *http.Request) {
	req, lr, ok := e.listRequest(w, r, false)
	if !ok {
		return
	}
	q := domain.Query{Filters: lr.Filters, Sort: lr.Sort, Limit: lr.Limit}
	page, err := e.engine.DeleteList(r.Context(), req, q)
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	setTimestamp(w.Header(), page.Timestamp)
	if page.Next != nil {
		// Deleted objects no longer match: the same request continues.
		w.Header().Set("Next-Page", e.nextPage(r, lr.Limit, ""))
	}
	data := make([]any, len(page.Records))
	for i, rec := range page.Records {
		data[i] = rec
	}
	e.s.writeJSON(w, r, http.StatusOK, map[string]any{"data": data})
}

func (e *resourceEndpoints) objectID(r *http.Request) string {
	return mux.Vars(r)[e.res.IDVarName()]
}

func (e *resourceEndpoints) getObject(w http.ResponseWriter, r *http.Request) {
	if err := checkAccept(r); err != nil {
		e.s.writeError(w, r, err)
		return
	}
	req, err := e.request(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	obj, err := e.engine.Get(r.Context(), req, e.objectID(r))
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	h := w.Header()
	e.cacheHeaders(r.Context(), h, req)
	if obj.NotModified {
		setTimestamp(h, obj.Record.LastModified)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		setTimestamp(h, obj.Record.LastModified)
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		return
	}
	var fields []string
	if r.URL.RawQuery != "" { // Query would build an empty map otherwise
		fields = fieldsParam(queryOf(r))
	}
	e.writeObject(w, r, http.StatusOK, obj, fields)
}

// putObject and patchObject read the whole body before anything else, as
// Kinto does: an early refusal then reaches a client that is done sending.
func (e *resourceEndpoints) putObject(w http.ResponseWriter, r *http.Request) {
	req, err := e.request(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	raw, err := e.s.readBody(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	body, decodeErr := parseObject(raw)
	obj, err := e.engine.ReplaceFrom(r.Context(), req, e.objectID(r), e.envelopeBody(r, body, decodeErr, true))
	e.answerWrite(w, r, req, obj, err)
}

func (e *resourceEndpoints) patchObject(w http.ResponseWriter, r *http.Request) {
	req, err := e.request(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	raw, err := e.s.readBody(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	behavior := strings.ToLower(strings.TrimSpace(r.Header.Get("Response-Behavior")))
	var sent map[string]any
	obj, err := e.engine.PatchFrom(r.Context(), req, e.objectID(r), func() (app.Patcher, app.ACLChange, error) {
		if err := checkAccept(r); err != nil {
			return nil, app.ACLChange{}, err
		}
		if err := checkContentType(r, mediaJSON, mediaMergePatch, mediaJSONPatch); err != nil {
			return nil, app.ACLChange{}, err
		}
		if behavior != "" && behavior != "full" && behavior != "light" && behavior != "diff" {
			return nil, app.ACLChange{}, invalidError(http.StatusBadRequest, []detail{headerIssue("Response-Behavior", behavior+" is not one of full, light, diff")})
		}
		patcher, acl, s, err := buildPatch(r, raw)
		sent = s
		return patcher, acl, err
	})
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	switch behavior {
	case "light", "diff":
		data := map[string]any{}
		full := obj.Record.Map()
		for k, v := range sent {
			final, has := full[k]
			if !has {
				continue
			}
			if behavior == "light" || !domain.Equal(final, v) {
				data[k] = final
			}
		}
		setTimestamp(w.Header(), obj.Record.LastModified)
		e.s.writeJSON(w, r, http.StatusOK, map[string]any{"data": data, "permissions": obj.Permissions})
	default:
		e.writeObject(w, r, http.StatusOK, obj, nil)
	}
}

// buildPatch reads a PATCH body by flavour; sent is the data the client
// sent (for Response-Behavior).
func buildPatch(r *http.Request, raw []byte) (app.Patcher, app.ACLChange, map[string]any, error) {
	v, err := parseJSON(raw)
	if err != nil {
		return nil, app.ACLChange{}, nil, err
	}
	// The flavour is the media type, case-insensitive and without
	// parameters, as checkContentType compared it.
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == mediaJSONPatch:
		p, acl, err := parsePatchOps(v)
		return p, acl, nil, err
	case ct == mediaMergePatch:
		env, err := envelopeOf(v)
		if err != nil {
			return nil, app.ACLChange{}, nil, err
		}
		return app.MergePatch(env.data), env.aclChange(true), env.data, nil
	default:
		env, err := envelopeOf(v)
		if err != nil {
			return nil, app.ACLChange{}, nil, err
		}
		if !env.hasData && !env.hasPerms {
			return nil, app.ACLChange{}, nil, namedIssue("data", "Provide at least one of data or permissions")
		}
		return app.ShallowPatch(env.data), env.aclChange(false), env.data, nil
	}
}

// envelopeOf checks that a decoded body is an object envelope.
func envelopeOf(v any) (envelope, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return envelope{}, invalidError(http.StatusBadRequest, []detail{bodyIssue(`"` + pyRepr(v) + `" is not a mapping type: Does not implement dict-like functionality.`)})
	}
	return parseEnvelope(m)
}

func (e *resourceEndpoints) deleteObject(w http.ResponseWriter, r *http.Request) {
	req, err := e.request(r)
	if err != nil {
		e.s.writeError(w, r, err)
		return
	}
	var proposed int64
	if raw := r.URL.Query().Get("last_modified"); raw != "" {
		n, err := strconv.ParseInt(strings.Trim(raw, `"`), 10, 64)
		if err != nil || n < 0 {
			name := "last_modified"
			e.s.writeError(w, r, invalidError(http.StatusBadRequest, []detail{{Location: string(domain.InQuerystring), Name: &name, Description: "Invalid value for last_modified"}}))
			return
		}
		proposed = n
	}
	obj, err := e.engine.Delete(r.Context(), req, e.objectID(r), proposed)
	if err != nil {
		e.fail(w, r, req, err)
		return
	}
	setTimestamp(w.Header(), obj.Record.LastModified)
	e.s.writeJSON(w, r, http.StatusOK, map[string]any{"data": obj.Record})
}
