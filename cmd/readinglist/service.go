package main

import (
	"github.com/sirupsen/logrus"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// newServer builds the readinglist HTTP service over store: the utility
// endpoints, the articles resource, the read-only archive, the stats view
// and the batch endpoint. units is store's unit of work: every write, and
// every batch, is one unit. clock stamps added_on; authn are the
// authentication policies, tried in order. serve and the tests call it
// alike, so the tests exercise the real wiring.
func newServer(cfg httpadapter.Config, log logrus.FieldLogger, store ports.Storage, units ports.UnitOfWork, clock domain.Clock, authn []ports.Authenticator) *httpadapter.Server {
	srv := httpadapter.NewServer(cfg, log, map[string]ports.HealthChecker{"storage": store}, authn)
	engine := app.NewEngine(store, nil).WithUnits(units).WithClock(clock) // per-user resources need no ACLs

	srv.MountResource(engine, articles(clock))
	srv.MountResource(engine, archive()) // a read-only view of the same lists
	mountStats(srv, store)
	srv.MountBatchWithUnits(units)
	return srv
}
