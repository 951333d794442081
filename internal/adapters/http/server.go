package http

import (
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// Server is the HTTP adapter: it owns the router under the version prefix,
// the protocol's middleware (headers, CORS, authentication, errors, logs) and
// the utility endpoints. Mount endpoints with Route before serving; the
// handler returned by Handler is then safe for concurrent use.
type Server struct {
	cfg    Config
	log    logrus.FieldLogger
	checks map[string]ports.HealthChecker
	auth   []ports.Authenticator
	// metrics receives the request and heartbeat measurements
	// (WithMetrics); ports.NopMetrics by default.
	metrics ports.Metrics
	meters  *requestMeters // metrics' bound request measurements; nil: none
	// reporter receives the causes of 5xx answers (WithErrorReporter);
	// nil: none.
	reporter ports.ErrorReporter

	prefix  string // "/v1"
	origins []originPattern
	eos     time.Time // zero when no end of service is set
	now     func() time.Time

	router *mux.Router
	routes map[string]*route
	// docs are the OpenAPI path items of mounted (or mountable) routes, by
	// OpenAPI path (Document); docSchemas the shared schemas they refer to
	// (DocumentSchema). /__api__ serves them for the mounted routes.
	docs       map[string]PathItem
	docSchemas map[string]Schema

	mu           sync.RWMutex
	capabilities map[string]any
	// helloDoc is hello's document but its url and user, encoded;
	// nil until a hello after the last AddCapability (helloStatic).
	helloDoc []byte

	handler http.Handler
	budget  *bodyBudget // nil: request bodies are not capped together
	// units runs a batch as one unit of work (MountBatchWithUnits).
	units ports.UnitOfWork

	// routed is the router inside the middlewares added with Use.
	routed      http.Handler
	middlewares []func(http.Handler) http.Handler
	// principalSources add principals to authenticated callers
	// (AddPrincipals).
	principalSources []PrincipalsFunc
	// helloUsers fill hello's user block (AddHelloUser).
	helloUsers []HelloUserFunc
	// stopping ends the change streams at shutdown (Shutdown).
	stopping stopSignal

	// summaries recycles the entries of the request.summary log lines;
	// policyNames are the policies' names boxed once, for the lines'
	// authn_type.
	summaries   *summaryEntries
	policyNames map[string]any
	// muxVars recognizes mux's context key of route variables.
	muxVars *muxVarsKey
	// users remembers the identities of the users who authenticated.
	users *knownUsers
}

// NewServer builds the adapter. checks are the heartbeat's backends by name
// ("storage", "cache", "permission"); a nil checker is reported as null.
// auth are the authentication policies, tried in order. An authenticator
// that also has a Capability() map[string]any method gets a hello
// capability under its Name; one with a Challenge() string method adds that
// challenge to the WWW-Authenticate header of 401 answers.
//
// An EOS date that ParseEOS rejects is logged and ignored; main should
// validate it with ParseEOS at startup.
func NewServer(cfg Config, log logrus.FieldLogger, checks map[string]ports.HealthChecker, auth []ports.Authenticator) *Server {
	s := &Server{
		cfg:          cfg,
		log:          log,
		checks:       maps.Clone(checks),
		auth:         append([]ports.Authenticator(nil), auth...),
		metrics:      ports.NopMetrics{},
		prefix:       "/v" + apiMajor(cfg.HTTPAPIVersion),
		origins:      compileOrigins(cfg.CORSOrigins),
		now:          time.Now,
		routes:       map[string]*route{},
		capabilities: map[string]any{},
		budget:       newBodyBudget(cfg.BodyMemoryBytes, cfg.BodyMemoryWait),
		summaries:    newSummaryEntries(log),
		policyNames:  map[string]any{},
		muxVars:      newMuxVarsKey(),
		users:        newKnownUsers(),
	}
	if cfg.EOS != "" {
		eos, err := ParseEOS(cfg.EOS)
		if err != nil {
			log.WithError(err).Error("ignoring unreadable EOS setting")
		} else {
			s.eos = eos
		}
	}
	for _, a := range s.auth {
		s.policyNames[a.Name()] = a.Name()
		if c, ok := policyAs[capabilityProvider](a); ok {
			s.AddCapability(a.Name(), c.Capability())
		}
	}
	s.router = s.newRouter()
	s.routed = http.HandlerFunc(s.serveRouter)
	s.mountUtilities()
	s.handler = s.middleware(http.HandlerFunc(s.dispatch))
	return s
}

// Handler returns the root http.Handler, with all middleware applied.
func (s *Server) Handler() http.Handler { return s.handler }

// AddCapability adds an entry to the hello view's capabilities, replacing
// any entry of the same name.
func (s *Server) AddCapability(name string, c map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capabilities[name] = maps.Clone(c)
	s.helloDoc = nil
}

// Prefix returns the version prefix every route lives under, e.g. "/v1".
func (s *Server) Prefix() string { return s.prefix }

// apiMajor returns the major part of an HTTP API version ("1.23" → "1").
func apiMajor(version string) string {
	major, _, _ := strings.Cut(version, ".")
	if major == "" {
		return "1"
	}
	return major
}

// baseURL is the absolute scheme://host of the request, with the configured
// HTTPScheme and HTTPHost taking precedence over what the request says.
func (s *Server) baseURL(r *http.Request) string {
	scheme, host := s.schemeHost(r)
	return scheme + "://" + host
}

// schemeHost is the scheme and host of baseURL.
func (s *Server) schemeHost(r *http.Request) (scheme, host string) {
	scheme = s.cfg.HTTPScheme
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	host = s.cfg.HTTPHost
	if host == "" {
		host = r.Host
	}
	return scheme, host
}

// apiURL is the absolute URL of the version prefix, e.g.
// "http://localhost:8888/v1"; Next-Page links and hello's url build on it.
func (s *Server) apiURL(r *http.Request) string {
	return s.baseURL(r) + s.prefix
}

// challenger is an authentication policy with an HTTP challenge, sent in
// WWW-Authenticate when a request needs authentication.
type challenger interface {
	Challenge() string
}

// policyAs finds T in an authentication policy or in the policies it
// wraps (a timing decorator from main hides the optional methods of the
// policy it wraps behind Unwrap).
func policyAs[T any](a ports.Authenticator) (T, bool) {
	for a != nil {
		if t, ok := a.(T); ok {
			return t, true
		}
		u, ok := a.(interface{ Unwrap() ports.Authenticator })
		if !ok {
			break
		}
		a = u.Unwrap()
	}
	var zero T
	return zero, false
}

// capabilityProvider is an authentication policy that advertises itself in
// the hello view's capabilities.
type capabilityProvider interface {
	Capability() map[string]any
}
