package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// TombstonePurger is the background half of tombstones_retention_seconds:
// every Interval it removes the tombstones older than Retention of each
// storage resource in Resources, whatever their list, as
// `kinto purge-deleted --older-than` does on demand.
//
// Each node of a service runs its own purger: there is no leader to elect,
// since a purge selects tombstones by their age alone, so that two nodes
// purging at once, or one after the other, remove the same tombstones and
// nothing else (the second finds none left).
type TombstonePurger struct {
	Storage ports.Storage
	// Resources are the storage resource names ("record", "bucket"…).
	Resources []string
	// Retention is how long a tombstone is kept; it must be positive.
	Retention time.Duration
	// Interval is the time between two purges, the first one starting at
	// once; it must be positive.
	Interval time.Duration
	// Timeout bounds one purge of every resource; 0 leaves it unbounded.
	Timeout time.Duration
	// Clock tells the time the retention counts from: the storage's, which
	// stamps the tombstones.
	Clock domain.Clock
	Log   logrus.FieldLogger
}

// NewTombstonePurger returns the purger core's tombstone settings ask for
// over storage, or nil when tombstones_retention_seconds is 0 (kept
// forever).
func NewTombstonePurger(core *config.Core, storage ports.Storage, resources []string, clock domain.Clock, log logrus.FieldLogger) *TombstonePurger {
	if core.TombstonesRetention() <= 0 {
		return nil
	}
	return &TombstonePurger{
		Storage:   storage,
		Resources: resources,
		Retention: core.TombstonesRetention(),
		Interval:  core.TombstonesPurgeInterval(),
		Timeout:   core.TombstonesPurgeTimeout(),
		Clock:     clock,
		Log:       log,
	}
}

// TombstoneHorizon is the oldest timestamp (epoch milliseconds) whose
// tombstones are still kept at nowMillis with the given retention: older
// ones may be purged. Every node computes it from its clock alone.
func TombstoneHorizon(nowMillis int64, retention time.Duration) int64 {
	return nowMillis - retention.Milliseconds()
}

// Start runs the purger in the background until ctx ends, and returns a
// function that waits for it to have stopped, for the service to call
// before closing the storage. A nil purger starts nothing.
func (p *TombstonePurger) Start(ctx context.Context) (wait func()) {
	if p == nil {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.Run(ctx)
	}()
	return wg.Wait
}

// Run purges at once, then every Interval, until ctx ends. A purge that
// fails is logged, and the next one comes at its time: a backend that is
// down for a while only delays the purge.
func (p *TombstonePurger) Run(ctx context.Context) {
	p.Log.WithFields(logrus.Fields{"retention": p.Retention.String(), "interval": p.Interval.String()}).
		Info("tombstone retention: purging old tombstones in the background")
	ticker := time.NewTicker(p.Interval)
	defer ticker.Stop()
	for {
		p.purgeLogged(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// purgeLogged runs one purge and logs what it did.
func (p *TombstonePurger) purgeLogged(ctx context.Context) {
	n, err := p.PurgeOnce(ctx)
	if ctx.Err() != nil {
		return // stopping: a cancelled purge is no failure
	}
	entry := p.Log.WithField("purged", n)
	if err != nil {
		entry.WithError(err).Error("tombstone retention: purge failed; retrying at the next interval")
		return
	}
	if n > 0 {
		entry.Info("tombstone retention: purged old tombstones")
	} else {
		entry.Debug("tombstone retention: no tombstone to purge")
	}
}

// PurgeOnce removes the tombstones older than Retention of every resource
// and returns how many it removed. A resource that fails does not stop the
// others; the error joins every failure.
func (p *TombstonePurger) PurgeOnce(ctx context.Context) (int, error) {
	before := TombstoneHorizon(p.Clock.NowMillis(), p.Retention)
	if before <= 0 {
		// PurgeOptions reads Before 0 as "every tombstone": a retention
		// longer than the clock's epoch keeps them all.
		return 0, nil
	}
	if p.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Timeout)
		defer cancel()
	}
	total := 0
	var errs []error
	for _, res := range p.Resources {
		n, err := p.Storage.PurgeDeleted(ctx, res, ports.PurgeOptions{Before: before})
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("purge %s tombstones before %d: %w", res, before, err))
			continue
		}
		if n > 0 {
			p.Log.WithFields(logrus.Fields{"resource": res, "purged": n, "before": before}).
				Debug("tombstone retention: purged")
		}
	}
	return total, errors.Join(errs...)
}

// Retained names what a service's tombstone retention covers.
type Retained struct {
	// Resources are the storage resource names whose tombstones are purged.
	Resources []string
	// Lists and Streams are the route patterns whose answers carry the
	// Alert of a _since older than the horizon (see MountTombstoneWarning).
	Lists, Streams []string
}

// RetainTombstones turns tombstones_retention_seconds on for a service, as
// every service must so that the setting is never ignored: it mounts the
// warning on srv and starts the purger on storage until ctx ends. It
// returns the function that stops the purger and waits for it, to run
// before the backends close; with retention off both are no-ops.
func RetainTombstones(ctx context.Context, srv *httpadapter.Server, core *config.Core, storage ports.Storage, r Retained, clock domain.Clock, log logrus.FieldLogger) (stop func()) {
	MountTombstoneWarning(srv, core, clock, r.Lists, r.Streams)
	purgeCtx, cancel := context.WithCancel(ctx)
	wait := NewTombstonePurger(core, storage, r.Resources, clock, log).Start(purgeCtx)
	return func() { cancel(); wait() }
}
