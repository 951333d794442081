package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/domain"
)

func TestBuildPolicies(t *testing.T) {
	accounts := func() *auth.Accounts {
		return auth.NewAccounts(memory.NewStorage(domain.SystemClock{}), auth.AccountsOptions{
			Parent: domain.Parent{Resource: "account"}, Clock: domain.SystemClock{}})
	}
	uses := map[string]string{
		"legacy": "kinto.core.authentication.BasicAuthAuthenticationPolicy",
		"acc":    "kinto.plugins.accounts.authentication.AccountsAuthenticationPolicy",
		"oidc":   "kinto.plugins.openid.OpenIDConnectPolicy",
	}
	use := func(name string) string { return uses[name] }
	tests := []struct {
		name     string
		policies []string
		accounts func() *auth.Accounts
		want     []string // the built policies' names, in order
		ignored  []string
		warnings int
		err      string
	}{
		{name: "none listed", want: nil},
		{name: "basicauth", policies: []string{"basicauth"}, want: []string{"basicauth"}, warnings: 1},
		{name: "by use", policies: []string{"acc", "legacy"}, accounts: accounts, want: []string{"account", "basicauth"}, warnings: 1},
		{name: "account then basicauth", policies: []string{"account", "basicauth"}, accounts: accounts, want: []string{"account", "basicauth"}, warnings: 1},
		{name: "listed twice", policies: []string{"account", "account", "basicauth", "basicauth"}, accounts: accounts, want: []string{"account", "basicauth", "basicauth"}, warnings: 1},
		{name: "unknown skipped", policies: []string{"oidc", "basicauth"}, want: []string{"basicauth"}, ignored: []string{"oidc"}, warnings: 1},
		{name: "no accounts in this service", policies: []string{"account", "basicauth"}, want: []string{"basicauth"}, ignored: []string{"account"}, warnings: 1},
		{name: "basicauth before account", policies: []string{"basicauth", "account"}, accounts: accounts, err: `"basicauth" must not come before "account"`},
		{name: "nothing built", policies: []string{"oidc"}, err: "nobody could authenticate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := auth.BuildPolicies(auth.PolicySettings{Policies: tt.policies, Use: use, Accounts: tt.accounts})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("BuildPolicies = %v, want an error containing %q", err, tt.err)
				}
				if tt.err == "nobody could authenticate" && !errors.Is(err, auth.ErrNoPolicy) {
					t.Errorf("error %v is not ErrNoPolicy", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("BuildPolicies: %v", err)
			}
			var got, ignored []string
			for _, a := range ps.Authenticators {
				got = append(got, a.Name())
			}
			for _, p := range ps.Ignored {
				ignored = append(ignored, p.Name)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") || strings.Join(ignored, " ") != strings.Join(tt.ignored, " ") {
				t.Errorf("built %q, ignored %q; want %q, %q", got, ignored, tt.want, tt.ignored)
			}
			if (ps.Accounts != nil) != (tt.accounts != nil && strings.Contains(strings.Join(got, " "), "account")) {
				t.Errorf("Accounts = %v, want it set exactly when the account policy is built", ps.Accounts)
			}
			if len(ps.Warnings) != tt.warnings {
				t.Errorf("warnings %q, want %d (empty secret)", ps.Warnings, tt.warnings)
			}
		})
	}
	ps, err := auth.BuildPolicies(auth.PolicySettings{Policies: []string{"basicauth"}, HMACSecret: "s"})
	if err != nil || len(ps.Warnings) != 0 {
		t.Errorf("basicauth with a secret: %v, warnings %q; want none", err, ps.Warnings)
	}
}
