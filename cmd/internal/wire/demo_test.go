package wire_test

import (
	"context"
	"testing"

	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/runner"
	"github.com/cliquet-go/cliquet/internal/runner/runnertest"
)

// demoSettings are the settings of the demo service the wiring tests
// load: the generic ones only.
type demoSettings struct {
	config.Core
}

// demo is a service whose own commands the tests set; serve is never run.
func demo() runner.Service[demoSettings] {
	return runner.Service[demoSettings]{
		Name:      "demo",
		EnvPrefix: "DEMO",
		Version:   "1.2.3",
		Usage:     "Usage: demo [--ini PATH] [command]\n",
		Core:      func(s *demoSettings) *config.Core { return &s.Core },
		Serve:     func(context.Context, *runner.Env[demoSettings]) error { return nil },
	}
}

// cleanEnv removes the developer's DEMO_* variables for the test.
func cleanEnv(t *testing.T) {
	t.Helper()
	runnertest.CleanEnv(t, demo())
}
