// Package auth holds the authentication policies (ports.Authenticator):
// basicauth, where every user:password pair is its own user, and account,
// which checks Basic credentials against the accounts in storage. A Bearer
// policy (OpenID Connect) plugs into the same port: it receives the
// Authorization header value and answers a user id.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Authenticator = (*Basic)(nil)

// Basic is Kinto's legacy basicauth policy (PROTOCOL-kinto §4): any
// "Authorization: Basic b64(user:password)" with a non-empty user is
// accepted, and the user id is the HMAC-SHA256 of "user:password" keyed
// with the service secret, so that another password is another user and
// no password is ever stored.
type Basic struct {
	secret []byte

	// recent maps the SHA-256 of a recently accepted header value to its
	// user id, so that a client's every request does not decode base64 and
	// compute an HMAC again. The key is a digest, so that no password
	// stays in memory; the map is bounded by basicCacheSize.
	mu     sync.Mutex
	recent map[[sha256.Size]byte]string
}

// basicCacheSize bounds the recent credentials Basic remembers; once full
// it starts over, which costs one HMAC per client again.
const basicCacheSize = 4096

// NewBasic returns the policy keyed with secret (userid_hmac_secret).
func NewBasic(secret string) *Basic {
	return &Basic{secret: []byte(secret), recent: make(map[[sha256.Size]byte]string)}
}

// Name returns "basicauth", the prefix of this policy's user ids.
func (b *Basic) Name() string { return "basicauth" }

// Authenticate returns the hex HMAC of the credentials and true when the
// header carries Basic credentials with a non-empty user; "", false for
// any other or malformed header. It never fails.
func (b *Basic) Authenticate(_ context.Context, authorization string) (string, bool, error) {
	key := sha256.Sum256([]byte(authorization))
	b.mu.Lock()
	uid, hit := b.recent[key]
	b.mu.Unlock()
	if hit {
		return uid, true, nil
	}
	creds, ok := parseBasic(authorization)
	if !ok {
		return "", false, nil
	}
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte(creds)) // hash.Hash writes never fail
	uid = hex.EncodeToString(mac.Sum(nil))
	b.mu.Lock()
	if len(b.recent) >= basicCacheSize {
		clear(b.recent)
	}
	b.recent[key] = uid
	b.mu.Unlock()
	return uid, true, nil
}

// Challenge returns the WWW-Authenticate challenge of this policy.
func (b *Basic) Challenge() string { return `Basic realm="Realm"` }

// Capability returns the hello capability the reference advertises for
// this policy.
func (b *Basic) Capability() map[string]any {
	return map[string]any{
		"description": "Very basic authentication sessions. Not for production use.",
		"url":         "http://kinto.readthedocs.io/en/stable/api/1.x/authentication.html",
	}
}

// parseBasic returns "user:password" from a Basic Authorization header
// value, decoded as the reference does: case-insensitive scheme, padding
// required, UTF-8 with a Latin-1 fallback, and a non-empty user.
func parseBasic(header string) (string, bool) {
	scheme, payload, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		return "", false
	}
	creds := string(raw)
	if !utf8.Valid(raw) {
		creds = latin1(raw)
	}
	user, _, found := strings.Cut(creds, ":")
	if !found || user == "" {
		return "", false
	}
	return creds, true
}

// latin1 decodes bytes as ISO-8859-1, whose code points are the byte values.
func latin1(b []byte) string {
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}
