package main

import (
	"context"
	"path"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// tombstoneResources are the storage resources of Kinto that leave
// tombstones, the ones `kinto purge-deleted` names: the background purge
// of tombstones_retention_seconds goes through all of them. account is
// purged even when the accounts plugin is off, for the tombstones it left
// while it was on.
var tombstoneResources = []string{"record", "collection", "group", "bucket", "account"}

// accountsListPattern is the accounts plugin's list, for the warning.
const accountsListPattern = "/accounts"

// startTombstonePurge starts the background purge of old tombstones in
// store when tombstones_retention_seconds is set, until ctx ends; the
// returned function waits for it to have stopped.
func startTombstonePurge(ctx context.Context, s *settings, store ports.Storage, clock domain.Clock, log logrus.FieldLogger) (wait func()) {
	return wire.NewTombstonePurger(&s.Core, store, tombstoneResources, clock, log).Start(ctx)
}

// mountTombstoneWarning warns the clients polling a Kinto list, or a
// change stream, from before the tombstone horizon (see
// wire.TombstoneWarning); nothing without a retention.
func mountTombstoneWarning(srv *httpadapter.Server, s *settings, svc *kintoapp.Service, clock domain.Clock) {
	var lists []string
	for _, res := range svc.Resources() {
		lists = append(lists, wire.ListPattern(res))
	}
	lists = append(lists, accountsListPattern)
	// The change stream of a collection's records sits beside its list.
	streams := []string{path.Dir(wire.ListPattern(svc.Record)) + "/changes"}
	wire.MountTombstoneWarning(srv, &s.Core, clock, lists, streams)
}
