package auth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// PolicySettings are the settings a service's authentication policies are
// built from, as Kinto names them.
type PolicySettings struct {
	// Policies is multiauth.policies: the policy names, in the order they
	// are tried.
	Policies []string
	// Use returns multiauth.policy.<name>.use, the Python class an
	// existing kinto.ini names for a policy ("" when unset); nil: none set.
	Use func(name string) string
	// HMACSecret is userid_hmac_secret, the key of the basicauth user ids.
	HMACSecret string
	// Accounts builds the accounts policy over the service's storage, for
	// a service that has accounts; nil: the service has none, and the
	// account policy is reported ignored like any policy not built.
	Accounts func() *Accounts
}

// Policies are the authentication policies built from PolicySettings.
type Policies struct {
	// Authenticators are the built policies, in multiauth.policies order.
	Authenticators []ports.Authenticator
	// Accounts is the accounts policy among them, nil when not listed: the
	// account resource tells it when a password changes.
	Accounts *Accounts
	// Ignored are the listed policies this version does not build
	// (OpenID, a service without accounts), for the caller to report.
	Ignored []IgnoredPolicy
	// Warnings are the policies built with weak settings (basicauth with
	// an empty secret), for the caller to log.
	Warnings []string
}

// IgnoredPolicy is a listed policy that was not built.
type IgnoredPolicy struct {
	Name string // its name in multiauth.policies
	Use  string // its multiauth.policy.<name>.use, "" when unset
}

// ErrNoPolicy is the error of a multiauth.policies that lists policies of
// which none is built: the operator asked for authentication, and the
// server would serve anonymous users only.
var ErrNoPolicy = errors.New("no listed authentication policy is built into this version: nobody could authenticate")

// BuildPolicies builds the policies of ps.Policies, in order: basicauth
// when so named or when its use is Kinto's BasicAuth policy, and the
// accounts policy when named account or when its use is Kinto's accounts
// policy and the service has accounts. Others are skipped and listed in
// Ignored, so that an existing kinto.ini still starts, unless none is
// left (ErrNoPolicy). As in Kinto, basicauth listed before the accounts
// policy is an error: it accepts any credentials, so accounts could never
// log in. The accounts policy listed twice is built once.
//
// Every service builds its policies here, so that every service honours
// multiauth.policies the same way.
func BuildPolicies(ps PolicySettings) (Policies, error) {
	var out Policies
	basicFirst := ""
	for _, name := range ps.Policies {
		use := ""
		if ps.Use != nil {
			use = ps.Use(name)
		}
		switch {
		case name == "basicauth" || strings.HasSuffix(use, "BasicAuthAuthenticationPolicy"):
			if basicFirst == "" {
				basicFirst = name
			}
			// Two names for basicauth are two policies, as in Kinto;
			// the warning is said once.
			if ps.HMACSecret == "" && len(out.Warnings) == 0 {
				out.Warnings = append(out.Warnings, "userid_hmac_secret is empty: basicauth user ids are guessable")
			}
			out.Authenticators = append(out.Authenticators, NewBasic(ps.HMACSecret))
		case ps.Accounts != nil && (name == "account" || strings.HasSuffix(use, "AccountsPolicy") || strings.HasSuffix(use, "AccountsAuthenticationPolicy")):
			if basicFirst != "" {
				return Policies{}, fmt.Errorf("%q must not come before %q in %q", basicFirst, name, strings.Join(ps.Policies, " "))
			}
			if out.Accounts != nil {
				continue // listed twice: one policy, one cache
			}
			out.Accounts = ps.Accounts()
			out.Authenticators = append(out.Authenticators, out.Accounts)
		default:
			out.Ignored = append(out.Ignored, IgnoredPolicy{Name: name, Use: use})
		}
	}
	if len(out.Authenticators) == 0 && len(ps.Policies) > 0 {
		return Policies{}, fmt.Errorf("%w (listed: %s)", ErrNoPolicy, strings.Join(ps.Policies, " "))
	}
	return out, nil
}
