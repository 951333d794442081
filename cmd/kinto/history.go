package main

import (
	"fmt"
	"strconv"
	"strings"

	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/app/metered"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// mountHistory serves Kinto's history plugin: its entries are written by
// an in-unit listener of bus, so that each commits with its change, and
// served at /buckets/{bid}/history, with Kinto's collection snapshots at
// /buckets/{bid}/snapshot/collections/{cid}@{timestamp}. Its settings are Kinto's; an
// unreadable number is a *config.SettingError.
func mountHistory(srv *httpadapter.Server, svc *kintoapp.Service, bus *app.Bus, src *config.Source, m ports.Metrics) error {
	hs, err := historySettings(src)
	if err != nil {
		return err
	}
	h := svc.NewHistory(hs)
	// Timed under Kinto's name for its listener.
	bus.InUnit(metered.WrapListener(h.Listener(), m, "plugins.history.seconds"))
	srv.MountResource(svc.Engine, h.Resource)
	srv.AddCapability("history", h.Capability())
	svc.ListInPermissions(h.Resource)
	mountSnapshot(srv, h)
	return nil
}

// historySettings reads the history.* settings, with Kinto's defaults:
// no trimming (auto_trim_max_count -1), a threshold of 100.
func historySettings(src *config.Source) (kintoapp.HistorySettings, error) {
	hs := kintoapp.HistorySettings{AutoTrimMaxCount: -1, AutoTrimThreshold: kintoapp.DefaultAutoTrimThreshold}
	hs.ExcludeResources, _ = src.LookupList("history.exclude_resources")
	hs.ExcludeUserIDs, _ = src.LookupList("history.exclude_user_ids")
	hs.AutoTrimUserIDs, _ = src.LookupList("history.auto_trim_user_ids")
	for name, v := range map[string]*int{"history.auto_trim_max_count": &hs.AutoTrimMaxCount, "history.auto_trim_threshold": &hs.AutoTrimThreshold} {
		raw, set := src.Lookup(name)
		if !set || strings.TrimSpace(raw) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return hs, &config.SettingError{Setting: name, Err: fmt.Errorf("%q is not an integer", raw)}
		}
		*v = n
	}
	return hs, nil
}
