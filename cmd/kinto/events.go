package main

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// newBus builds the unit of work every Kinto write runs in, with the
// listeners the settings ask for. Its errors are *config.SettingError.
func newBus(s *settings, src *config.Source, b *wire.Backends, m ports.Metrics, log logrus.FieldLogger) (*app.Bus, error) {
	bus := app.NewBus(b.Units, func(ctx context.Context, err error) {
		log.WithError(err).Error("event listener failed after commit")
	})
	ls, closers, err := wire.OpenListeners(context.Background(), &s.Core, src, m)
	for _, c := range closers {
		b.OnClose(c)
	}
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		// Kinto's listeners catch their own failures: they never fail the
		// request. Run after commit, they never report a change that was
		// rolled back either.
		bus.AfterCommit(l)
	}
	return bus, nil
}
