package main

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/runner"
)

// newBus builds the unit of work every Kinto write runs in, with the
// listeners the settings ask for. Its errors are *config.SettingError.
func newBus(s *settings, src *config.Source, b *runner.Backends, log logrus.FieldLogger) (*app.Bus, error) {
	bus := app.NewBus(b.Units, func(ctx context.Context, err error) {
		log.WithError(err).Error("event listener failed after commit")
	})
	return bus, nil
}
