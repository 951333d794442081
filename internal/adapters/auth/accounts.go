package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Authenticator = (*Accounts)(nil)

// maxPasswordBytes is the most bcrypt hashes: no stored hash can match a
// longer password.
const maxPasswordBytes = 72

// AccountsOptions configure the accounts policy.
type AccountsOptions struct {
	// Parent is the storage parent the account resource keeps accounts
	// under; the account id is the user name.
	Parent domain.Parent
	// TTL is how long a verified login is remembered, sparing bcrypt on the
	// following requests (account_cache_ttl_seconds); zero or less
	// remembers nothing.
	TTL time.Duration
	// Clock tells the time for the TTL.
	Clock domain.Clock
}

// Accounts is the policy of Kinto's accounts plugin (PROTOCOL-kinto §4):
// Basic credentials checked against the bcrypt hash stored in the account
// of that user name. A wrong password and an unknown user are answered
// alike (not accepted, so the next policy is tried). Verified logins are
// remembered for a while, keyed by a MAC of user and password under a key
// drawn at startup, so that the clear password is never kept and a
// different password never hits the cache.
type Accounts struct {
	store ports.Storage
	opts  AccountsOptions
	key   [32]byte

	mu sync.Mutex
	// logins maps a user to the MACs of its verified credentials and when
	// each expires (epoch milliseconds).
	logins    map[string]map[[sha256.Size]byte]login
	gen       uint64 // bumped by Invalidate; see Authenticate
	lastSweep int64
}

// NewAccounts returns the policy reading accounts from store.
func NewAccounts(store ports.Storage, opts AccountsOptions) *Accounts {
	a := &Accounts{store: store, opts: opts, logins: map[string]map[[sha256.Size]byte]login{}}
	if _, err := rand.Read(a.key[:]); err != nil {
		// crypto/rand does not fail on supported platforms; without a
		// secret key the cache could leak password digests, so disable it.
		a.opts.TTL = 0
	}
	return a
}

// Name returns "account", the prefix of this policy's user ids.
func (a *Accounts) Name() string { return "account" }

// Challenge returns the WWW-Authenticate challenge of this policy.
func (a *Accounts) Challenge() string { return `Basic realm="Realm"` }

// AccountsCapability returns the hello capability "accounts" of the
// accounts plugin. It is not a Capability method of the policy, whose
// capability would be named after the policy ("account"); main adds it
// under "accounts" whenever the account resource is served.
func AccountsCapability() map[string]any {
	return map[string]any{
		"description": "Manage user accounts.",
		"url":         "https://kinto.readthedocs.io/en/latest/api/1.x/accounts.html",
	}
}

// Authenticate returns the user name and true when the header carries Basic
// credentials whose password matches the stored account's hash; "", false
// for an unknown user, a wrong password or any other header. It fails only
// when the account cannot be read (storage down).
func (a *Accounts) Authenticate(ctx context.Context, authorization string) (string, bool, error) {
	creds, ok := parseBasic(authorization)
	if !ok {
		return "", false, nil
	}
	user, password, _ := strings.Cut(creds, ":")
	if len(password) > maxPasswordBytes {
		return "", false, nil
	}
	mac := a.mac(user, password)
	gen, known, accepted := a.remembered(user, mac)
	if known {
		if !accepted {
			return "", false, nil
		}
		return user, true, nil
	}
	rec, err := a.store.Get(ctx, a.opts.Parent, user)
	if domain.KindOf(err) == domain.NotFound {
		// As Kinto: no bcrypt for unknown users. A decoy hash would hide
		// which accounts exist (creation tells that anyway) at the price of
		// a bcrypt per request for every basicauth user behind this policy.
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("load account %q: %w", user, err)
	}
	hash, _ := rec.Data["password"].(string)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		// Refusals are remembered too: with "account basicauth", a basicauth
		// user whose name is also an account's would otherwise pay a bcrypt
		// on every request.
		a.remember(user, mac, gen, false)
		return "", false, nil
	}
	a.remember(user, mac, gen, true)
	return user, true, nil
}

// Invalidate forgets the remembered logins of user; the account service
// calls it when the account changes or is deleted, so that an old password
// stops working at once.
func (a *Accounts) Invalidate(user string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.logins, user)
	a.gen++
}

// mac is the cache key of credentials: HMAC-SHA256 under the process key.
// The user name holds no ":" (Basic splits at the first one), so
// "user:password" is unambiguous.
func (a *Accounts) mac(user, password string) [sha256.Size]byte {
	h := hmac.New(sha256.New, a.key[:])
	h.Write([]byte(user + ":" + password)) // hash.Hash writes never fail
	var out [sha256.Size]byte
	copy(out[:], h.Sum(nil))
	return out
}

// remembered reports whether the credentials were checked less than TTL
// ago (known) and with what result (accepted), and returns the
// invalidation generation to pass to remember.
func (a *Accounts) remembered(user string, mac [sha256.Size]byte) (gen uint64, known, accepted bool) {
	if a.opts.TTL <= 0 {
		return 0, false, false
	}
	now := a.opts.Clock.NowMillis()
	a.mu.Lock()
	defer a.mu.Unlock()
	// The key is a secret MAC: a lookup's timing tells nothing an attacker
	// could use to forge one, so a map is as good as a constant-time scan.
	e, ok := a.logins[user][mac]
	if ok && now >= e.expires {
		delete(a.logins[user], mac)
		ok = false
	}
	return a.gen, ok, ok && e.accepted
}

// remember records checked credentials and the result, unless an Invalidate happened
// since the lookup began (gen): the account may have changed between
// reading its hash and now, and its old password must not be remembered.
func (a *Accounts) remember(user string, mac [sha256.Size]byte, gen uint64, accepted bool) {
	if a.opts.TTL <= 0 {
		return
	}
	now := a.opts.Clock.NowMillis()
	ttl := a.opts.TTL.Milliseconds()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return
	}
	if now-a.lastSweep >= ttl {
		// Drop what has expired once per TTL, so that users who stop
		// logging in do not stay in memory.
		for u, macs := range a.logins {
			for m, e := range macs {
				if now >= e.expires {
					delete(macs, m)
				}
			}
			if len(macs) == 0 {
				delete(a.logins, u)
			}
		}
		a.lastSweep = now
	}
	if a.logins[user] == nil {
		a.logins[user] = map[[sha256.Size]byte]login{}
	}
	a.logins[user][mac] = login{expires: now + ttl, accepted: accepted}
}

// login is one remembered check of credentials.
type login struct {
	expires  int64 // epoch milliseconds
	accepted bool
}
