package http

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/cliquet-go/cliquet/internal/domain"
)

// The principals every request, or every authenticated request, holds
// (PROTOCOL-kinto §2.4).
const (
	Everyone      = "system.Everyone"
	Authenticated = "system.Authenticated"
)

// identity is who sends a request.
type identity struct {
	userID     string // "<policy>:<id>"; empty when anonymous
	policy     string
	principals []string
}

type identityKey struct{}

// everyoneOnly is the principals of an anonymous caller. Its capacity is
// its length, and nothing writes into it.
var everyoneOnly = []string{Everyone}[:1:1]

// authenticate tries the policies in order on the Authorization header; the
// first that accepts it names the user, and the principal sources add to
// its principals. No policy accepting it makes the request anonymous; a
// policy or source failing to decide is a 503. The identity is remembered
// in the request's state, so that a route serving a request a middleware
// already identified (Authenticate) does not ask the backends again.
//
// Inside the middleware the identity lives in the request's state, which
// UserID and Principals read: the context returned is then r's own, and
// r.WithContext of it costs nothing more. Outside (a handler called
// without the middleware) it is a context value.
func (s *Server) authenticate(r *http.Request) (context.Context, error) {
	st := stateOf(r.Context())
	if st != nil && st.identified {
		return r.Context(), nil
	}
	header := r.Header.Get("Authorization")
	// Anonymous until a policy accepts: the shared one-principal list,
	// read only (Principals copies it), so that an authenticated request
	// does not build it for nothing.
	id := identity{principals: everyoneOnly}
	if header != "" {
		for _, a := range s.auth {
			uid, ok, err := a.Authenticate(r.Context(), header)
			if err != nil {
				return nil, domain.Wrap(domain.Unavailable, "http.authenticate",
					fmt.Errorf("policy %s: %w", a.Name(), err))
			}
			if ok {
				id = s.users.identity(a.Name(), uid)
				for _, source := range s.principalSources {
					extra, err := source(r.Context(), id.userID)
					if err != nil {
						return nil, domain.Wrap(domain.Unavailable, "http.authenticate", err)
					}
					id.principals = append(id.principals, extra...)
				}
				break
			}
		}
	}
	if st != nil {
		st.uid, st.authType = id.userID, id.policy
		st.identity, st.identified = id, true
		return r.Context(), nil
	}
	return context.WithValue(r.Context(), identityKey{}, id), nil
}

// identityOf finds the caller of a request's context: in the request's
// state once identified, else in a batch's state for its subrequests (whose
// contexts derive from the batch's), else as a context value.
func identityOf(ctx context.Context) (identity, bool) {
	for st := stateOf(ctx); st != nil; st = st.parent {
		if st.identified {
			return st.identity, true
		}
	}
	id, ok := ctx.Value(identityKey{}).(identity)
	return id, ok
}

// UserID returns the authenticated user id of a request's context
// ("basicauth:8a93…"), or "" when the caller is anonymous.
func UserID(ctx context.Context) string {
	id, _ := identityOf(ctx)
	return id.userID
}

// Principals returns the principals of a request's context: the user id,
// system.Everyone and system.Authenticated for an authenticated caller, only
// system.Everyone for an anonymous one. The slice is a fresh copy.
func Principals(ctx context.Context) []string {
	id, ok := identityOf(ctx)
	if !ok {
		return []string{Everyone}
	}
	return append([]string(nil), id.principals...)
}

// maxKnownUsers bounds knownUsers; past it the cache starts over.
const maxKnownUsers = 4096

// knownUsers remembers the user id and base principals of the users who
// authenticated lately: building them costs two allocations per request,
// and a user's next request has the same. The principals slice is shared,
// read only: its capacity is its length, so that appending the principal
// sources' copies it, and Principals hands out copies.
type knownUsers struct {
	mu    sync.RWMutex
	users map[knownUser]identity
}

type knownUser struct{ policy, uid string }

func newKnownUsers() *knownUsers {
	return &knownUsers{users: map[knownUser]identity{}}
}

// identity is the identity of uid, accepted by policy, before the
// principal sources add theirs.
func (k *knownUsers) identity(policy, uid string) identity {
	key := knownUser{policy: policy, uid: uid}
	k.mu.RLock()
	id, ok := k.users[key]
	k.mu.RUnlock()
	if ok {
		return id
	}
	full := policy + ":" + uid
	id = identity{userID: full, policy: policy, principals: []string{full, Everyone, Authenticated}[:3:3]}
	k.mu.Lock()
	if len(k.users) >= maxKnownUsers {
		clear(k.users)
	}
	k.users[key] = id
	k.mu.Unlock()
	return id
}
