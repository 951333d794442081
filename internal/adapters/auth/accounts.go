package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
	// Cache is where verified logins are remembered; nil remembers
	// nothing. Nodes that share it (a PostgreSQL or Redis cache) see each
	// other's logins and invalidations.
	Cache ports.Cache
	// Secret keys the MACs of the remembered logins (userid_hmac_secret):
	// nodes sharing a cache must share it to share logins. Without it,
	// each process draws its own key: invalidations still reach every
	// node, but each node checks passwords for itself.
	Secret string
}

// maxRemembered bounds the checks remembered per user: the current
// password's and a few refused ones (a basicauth user named like the
// account), so that a flood of wrong passwords cannot grow one entry.
const maxRemembered = 8

// Accounts is the policy of Kinto's accounts plugin (PROTOCOL-kinto §4):
// Basic credentials checked against the bcrypt hash stored in the account
// of that user name. A wrong password and an unknown user are answered
// alike (not accepted, so the next policy is tried).
//
// Checked credentials are remembered for TTL in the cache, one entry per
// user (key accounts:<MAC of the user name>:verified, as Kinto's), holding
// a MAC of each checked password and the result; the clear password is
// never kept, and a different password never hits. Invalidate deletes the
// entry, on whichever node the account changed. One race remains across
// nodes, as in Kinto: a login that read the old hash on one node just
// before another node changed the password may remember the old password
// for up to TTL; on one node, Invalidate prevents that.
type Accounts struct {
	store ports.Storage
	opts  AccountsOptions
	key   []byte // keys the password MACs

	mu  sync.Mutex
	gen uint64 // bumped by Invalidate; see Authenticate
}

// NewAccounts returns the policy reading accounts from store.
func NewAccounts(store ports.Storage, opts AccountsOptions) *Accounts {
	a := &Accounts{store: store, opts: opts, key: []byte(opts.Secret)}
	if opts.Secret == "" {
		a.key = make([]byte, 32)
		if _, err := rand.Read(a.key); err != nil {
			// crypto/rand does not fail on supported platforms; without a
			// secret key the cache could leak password digests, so disable it.
			a.opts.Cache = nil
		}
	}
	if a.opts.TTL <= 0 {
		a.opts.Cache = nil
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
// for an unknown user, a wrong password or any other header. It fails when
// the account cannot be read (storage down) or the cache cannot be used.
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
	a.mu.Lock()
	gen := a.gen
	a.mu.Unlock()
	entry, err := a.remembered(ctx, user)
	if err != nil {
		return "", false, err
	}
	if l, known := entry[mac]; known {
		if !l.Accepted {
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
	// Refusals are remembered too: with "account basicauth", a basicauth
	// user whose name is also an account's would otherwise pay a bcrypt on
	// every request.
	accepted := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	if err := a.remember(ctx, user, entry, mac, gen, accepted); err != nil {
		return "", false, err
	}
	if !accepted {
		return "", false, nil
	}
	return user, true, nil
}

// Invalidate forgets the remembered logins of user, for every node sharing
// the cache; the account service calls it when the account changes or is
// deleted, so that an old password stops working at once. It fails when
// the cache cannot be reached, and the account change must then fail too.
func (a *Accounts) Invalidate(ctx context.Context, user string) error {
	a.mu.Lock()
	a.gen++
	a.mu.Unlock()
	if a.opts.Cache == nil {
		return nil
	}
	if err := a.opts.Cache.Delete(ctx, a.cacheKey(user)); err != nil {
		return fmt.Errorf("forget the logins of account %q: %w", user, err)
	}
	return nil
}

// cacheKey is the cache key of user's entry: the user name under a MAC,
// so that the cache does not list account names, keyed by the shared
// secret (or none) so that every node finds the same key.
func (a *Accounts) cacheKey(user string) string {
	h := hmac.New(sha256.New, []byte(a.opts.Secret))
	h.Write([]byte("accounts:" + user + ":verified")) // hash.Hash writes never fail
	return "accounts:" + hex.EncodeToString(h.Sum(nil)) + ":verified"
}

// mac is the entry key of credentials: HMAC-SHA256 under the policy's key.
// The user name holds no ":" (Basic splits at the first one), so
// "user:password" is unambiguous.
func (a *Accounts) mac(user, password string) string {
	h := hmac.New(sha256.New, a.key)
	h.Write([]byte(user + ":" + password)) // hash.Hash writes never fail
	return hex.EncodeToString(h.Sum(nil))
}

// loginEntry is the cache value of one user: the checks of credentials
// still valid, by MAC. The key is a secret MAC: a lookup's timing tells
// nothing an attacker could use to forge one, so a map is as good as a
// constant-time scan.
type loginEntry map[string]login

// login is one remembered check of credentials.
type login struct {
	Expires  int64 `json:"e"` // epoch milliseconds
	Accepted bool  `json:"a"`
}

// remembered returns the unexpired checks remembered for user, empty when
// nothing is cached (or the cache is off, or holds a value this version
// cannot read, which is then overwritten).
func (a *Accounts) remembered(ctx context.Context, user string) (loginEntry, error) {
	if a.opts.Cache == nil {
		return nil, nil
	}
	raw, ok, err := a.opts.Cache.Get(ctx, a.cacheKey(user))
	if err != nil {
		return nil, fmt.Errorf("read the remembered logins of %q: %w", user, err)
	}
	entry := loginEntry{}
	if !ok || json.Unmarshal(raw, &entry) != nil {
		return loginEntry{}, nil
	}
	now := a.opts.Clock.NowMillis()
	for m, l := range entry {
		if now >= l.Expires {
			delete(entry, m)
		}
	}
	return entry, nil
}

// remember adds a check to the entry read before it and stores the entry,
// unless an Invalidate happened on this node since the lookup began (gen):
// the account may have changed between reading its hash and now, and its
// old password must not be remembered.
func (a *Accounts) remember(ctx context.Context, user string, entry loginEntry, mac string, gen uint64, accepted bool) error {
	if a.opts.Cache == nil {
		return nil
	}
	a.mu.Lock()
	stale := a.gen != gen
	a.mu.Unlock()
	if stale {
		return nil
	}
	now := a.opts.Clock.NowMillis()
	if accepted {
		// Only one password is right: drop older accepted ones.
		for m, l := range entry {
			if l.Accepted {
				delete(entry, m)
			}
		}
	}
	for len(entry) >= maxRemembered { // the soonest to expire go first
		oldest := ""
		for m, l := range entry {
			if oldest == "" || l.Expires < entry[oldest].Expires {
				oldest = m
			}
		}
		delete(entry, oldest)
	}
	entry[mac] = login{Expires: now + a.opts.TTL.Milliseconds(), Accepted: accepted}
	raw, err := json.Marshal(entry)
	if err != nil {
		return fmt.Errorf("encode the remembered logins of %q: %w", user, err)
	}
	if err := a.opts.Cache.Set(ctx, a.cacheKey(user), raw, a.opts.TTL); err != nil {
		return fmt.Errorf("remember a login of %q: %w", user, err)
	}
	return nil
}
