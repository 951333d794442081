package http

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// exposedHeaders is the union of the reference's per-endpoint
// Access-Control-Expose-Headers lists; exposing a superset everywhere is
// harmless, and browsers need every one of them on some endpoint.
const exposedHeaders = "Alert, Backoff, Retry-After, Content-Length, Content-Type, ETag, " +
	"Last-Modified, Next-Page, Cache-Control, Expires, Pragma, Total-Objects, Total-Records"

// preflightHeaders are always allowed on preflight, besides the requested ones.
var preflightHeaders = []string{"Alert", "Backoff", "Content-Length", "Content-Type", "Retry-After"}

// originPattern is one CORS origin glob, with fnmatch semantics as in the
// reference: "*" and "?" match any characters (slashes included) and
// "[…]" a class.
type originPattern struct {
	any bool // the lone "*": answer with "*" rather than echo the origin
	re  *regexp.Regexp
}

func compileOrigins(globs []string) []originPattern {
	out := make([]originPattern, 0, len(globs))
	for _, g := range globs {
		if g == "" {
			continue
		}
		out = append(out, originPattern{any: g == "*", re: globRegexp(g)})
	}
	return out
}

// globRegexp translates an fnmatch glob; a malformed class is taken
// literally, as fnmatch does.
func globRegexp(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`^`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '[':
			end := strings.IndexByte(glob[i+1:], ']')
			if end <= 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+end]
			neg := strings.HasPrefix(class, "!")
			if neg {
				class = class[1:]
			}
			b.WriteString("[")
			if neg {
				b.WriteString("^")
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, `[`, `\[`, `^`, `\^`).Replace(class))
			b.WriteString("]")
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return regexp.MustCompile("^" + regexp.QuoteMeta(glob) + "$")
	}
	return re
}

// allowOrigin returns the Access-Control-Allow-Origin value for origin, and
// false when no configured glob admits it.
func (s *Server) allowOrigin(origin string) (string, bool) {
	matched := false
	for _, p := range s.origins {
		if p.any {
			return "*", true
		}
		if p.re.MatchString(origin) {
			matched = true
		}
	}
	return origin, matched
}

// refusedOrigin is the 400 of a request from an origin the settings refuse.
func refusedOrigin(origin string) *apiError {
	return invalidError(http.StatusBadRequest, []detail{headerIssue("Origin", origin+" not allowed")})
}

// preflight answers a CORS preflight request on a known route from the
// route's method list (PROTOCOL-core §1.5). It never authenticates.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, rt *route) {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	var issues []detail
	if origin == "" {
		issues = append(issues, headerIssue("Origin", "this header is mandatory"))
	}
	if method == "" {
		issues = append(issues, headerIssue("Access-Control-Request-Method", "this header is mandatory"))
	}
	if origin != "" && method != "" {
		if !rt.serves(method) {
			issues = append(issues, headerIssue("Access-Control-Request-Method", "Method not allowed"))
		}
		if _, ok := s.allowOrigin(origin); !ok {
			issues = append(issues, headerIssue("Origin", origin+" not allowed"))
		}
	}
	if len(issues) > 0 {
		s.writeAPIError(w, r, invalidError(http.StatusBadRequest, issues))
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", strings.Join(rt.methods, ","))
	h.Set("Access-Control-Allow-Headers", strings.Join(allowHeaders(r.Header.Get("Access-Control-Request-Headers")), ","))
	if s.cfg.CORSMaxAge >= 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(s.cfg.CORSMaxAge))
	}
	writeRaw(w, http.StatusOK, []byte("null"))
}

// allowHeaders is every requested header (any is allowed) followed by the
// always-allowed ones, without duplicates.
func allowHeaders(requested string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		h = strings.TrimSpace(h)
		key := strings.ToLower(h)
		if h == "" || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, h)
	}
	for _, h := range strings.Split(requested, ",") {
		add(h)
	}
	for _, h := range preflightHeaders {
		add(h)
	}
	return out
}
