package main

import (
	"github.com/sirupsen/logrus"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/app/metered"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// mountHistory serves Kinto's history plugin: its entries are written by
// an in-unit listener of bus, so that each commits with its change, and
// served at /buckets/{bid}/history.
//
// Kinto's automatic trimming is not built: its settings get a warning.
func mountHistory(srv *httpadapter.Server, svc *kintoapp.Service, bus *app.Bus, src *config.Source, m ports.Metrics, log logrus.FieldLogger) {
	for _, name := range []string{"history.auto_trim_max_count", "history.auto_trim_user_ids", "history.auto_trim_threshold"} {
		if _, set := src.Lookup(name); set {
			log.WithField("setting", name).Warnf("%s ignored: automatic trimming of history is not built into this version (DELETE /buckets/{bid}/history trims)", name)
		}
	}
	var hs kintoapp.HistorySettings
	hs.ExcludeResources, _ = src.LookupList("history.exclude_resources")
	hs.ExcludeUserIDs, _ = src.LookupList("history.exclude_user_ids")
	h := svc.NewHistory(hs)
	// Timed under Kinto's name for its listener.
	bus.InUnit(metered.WrapListener(h.Listener(), m, "plugins.history.seconds"))
	srv.MountResource(svc.Engine, h.Resource)
	srv.AddCapability("history", h.Capability())
	svc.ListInPermissions(h.Resource)
}
