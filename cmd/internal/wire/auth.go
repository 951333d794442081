package wire

import (
	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/adapters/auth"
	"github.com/cliquet-go/cliquet/internal/config"
)

// Policies builds the authentication policies of multiauth.policies with
// the auth adapter's BuildPolicies, the one place every service's policies
// come from: a policy this version does not build is logged and skipped;
// a list of which none is built, or basicauth before account, is a
// *config.SettingError. accounts builds the accounts policy of a service
// that has accounts; nil for one that has none.
func Policies(core *config.Core, src *config.Source, accounts func() *auth.Accounts, log logrus.FieldLogger) (auth.Policies, error) {
	ps, err := auth.BuildPolicies(auth.PolicySettings{
		Policies: core.MultiauthPolicies,
		Use: func(name string) string {
			use, _ := src.Lookup("multiauth.policy." + name + ".use")
			return use
		},
		HMACSecret: core.UserIDHMACSecret,
		Accounts:   accounts,
	})
	if err != nil {
		return auth.Policies{}, &config.SettingError{Setting: "multiauth.policies", Err: err}
	}
	for _, p := range ps.Ignored {
		log.WithFields(logrus.Fields{"setting": "multiauth.policies", "policy": p.Name, "use": p.Use}).
			Warnf("authentication policy %q ignored: not built into this version", p.Name)
	}
	for _, w := range ps.Warnings {
		log.WithField("setting", "userid_hmac_secret").Warn(w)
	}
	return ps, nil
}
