package main

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/config"
)

// builtPlugins are the includes entries this version serves.
var builtPlugins = map[string]bool{
	"kinto.plugins.default_bucket": true,
	"kinto.plugins.accounts":       true,
	adminPlugin:                    true,
	"kinto.plugins.history":        true,
	"kinto.plugins.flush":          true,
	wire.PrometheusPlugin:          true, // /__metrics__, see wire.OpenMetrics
}

// restrictingPlugins are Kinto plugins that take rights away when they
// are on. Serving without them would let clients do what the operator
// meant to refuse, so they stop start-up instead of being ignored.
var restrictingPlugins = map[string]string{
	"kinto.plugins.quotas":  "it refuses writes beyond the configured quotas",
	"kinto_signer":          "its review workflow restricts who may change and publish collections",
	"kinto_remote_settings": "its signer's review workflow restricts who may change and publish collections",
}

// checkIncludes reports each includes entry this version does not build:
// a warning line for each, or a *config.SettingError for the first one
// that would restrict access.
func checkIncludes(s *settings, log logrus.FieldLogger) error {
	for _, p := range s.Includes {
		if builtPlugins[p] {
			continue
		}
		if why, ok := restrictingPlugins[p]; ok {
			return &config.SettingError{Setting: "includes",
				Err: fmt.Errorf("plugin %q is not built into this version, and serving without it would grant more than configured (%s); remove it to accept that", p, why)}
		}
		log.WithFields(logrus.Fields{"setting": "includes", "plugin": p}).Warnf("plugin %q ignored: not built into this version", p)
	}
	return nil
}

// flushBackends empties what Kinto's flush plugin empties: storage and
// permissions, in one unit where the backends share one, then the cache
// (the logins the accounts policy remembers included).
func flushBackends(b *wire.Backends) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		err := b.Units.Atomically(ctx, func(ctx context.Context) error {
			if err := b.Storage.Flush(ctx); err != nil {
				return fmt.Errorf("flush storage: %w", err)
			}
			if err := b.Permission.Flush(ctx); err != nil {
				return fmt.Errorf("flush permissions: %w", err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if b.Cache != nil {
			if err := b.Cache.Flush(ctx); err != nil {
				return fmt.Errorf("flush cache: %w", err)
			}
		}
		return nil
	}
}
