package main

import (
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/cliquet-go/cliquet/cmd/internal/wire"
	httpadapter "github.com/cliquet-go/cliquet/internal/adapters/http"
	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/app"
	kintoapp "github.com/cliquet-go/cliquet/internal/app/kinto"
	"github.com/cliquet-go/cliquet/internal/config"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// changesChannel is the NOTIFY or pub/sub channel the processes of one
// database share for the change streams (on Redis the feed adds the
// database number).
const changesChannel = "cliquet_changes"

// newChangeFeed builds the feed of the change streams on the storage
// backend, so that every process on the same storage hears every change:
// in process on memory, LISTEN/NOTIFY on PostgreSQL, pub/sub on Redis.
func newChangeFeed(s *settings, b *wire.Backends, log logrus.FieldLogger) (ports.ChangeFeed, error) {
	switch s.StorageBackend {
	case config.BackendMemory:
		hub := ports.NewChangeHub()
		b.OnClose(func() error { hub.Close(nil); return nil })
		return hub, nil
	case config.BackendPostgreSQL:
		pool, connect, statement := s.StorageBounds()
		db, err := postgres.Open(s.StorageURL, postgres.Bounds{ConnectTimeout: connect, StatementTimeout: statement, PoolTimeout: pool})
		if err != nil {
			return nil, &config.SettingError{Setting: "storage_url", Err: fmt.Errorf("change feed: %w", err)}
		}
		db.SetMaxOpenConns(2)
		// A LISTEN connection lost is retried at most every
		// storage_connect_timeout_seconds (1s when 0); its first LISTEN
		// is awaited that long plus the statement bound.
		reconnect := max(connect, time.Second)
		f, err := postgres.NewChangeFeed(db, s.StorageURL, changesChannel, reconnect, reconnect+statement,
			func(err error) { log.WithError(err).Warn("change feed") })
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("change feed: %w", err)
		}
		b.OnClose(func() error { err := f.Close(); db.Close(); return err })
		return f, nil
	case config.BackendRedis:
		pool, connect, statement := s.StorageBounds()
		// Two connections publish; the subscription has its own.
		p, err := redis.NewPool(redis.PoolOptions{URL: s.StorageURL, Size: 2, PoolTimeout: pool,
			ConnectTimeout: connect, CommandTimeout: statement})
		if err != nil {
			return nil, &config.SettingError{Setting: "storage_url", Err: fmt.Errorf("change feed: %w", err)}
		}
		// As on PostgreSQL: a lost subscription is retried at most every
		// storage_connect_timeout_seconds (1s when 0), each attempt and
		// its SUBSCRIBE bounded by that plus the statement bound; an idle
		// one is PINGed every changes_heartbeat_seconds.
		reconnect := max(connect, time.Second)
		f, err := redis.NewChangeFeed(p, redis.ChangeFeedOptions{Channel: changesChannel,
			Timeout: reconnect + statement, Heartbeat: seconds(s.ChangesHeartbeatSeconds), Reconnect: reconnect,
			OnError: func(err error) { log.WithError(err).Warn("change feed") }})
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("change feed: %w", err)
		}
		b.OnClose(func() error { err := f.Close(); p.Close(); return err })
		return f, nil
	}
	return nil, &config.SettingError{Setting: "changes_enabled",
		Err: fmt.Errorf("the change stream is not built for storage_backend %q (memory, postgresql and redis are)", s.StorageBackend)}
}

// mountChanges serves the live change stream of records at
// /buckets/{bid}/collections/{cid}/changes, fed after each commit.
func mountChanges(srv *httpadapter.Server, svc *kintoapp.Service, bus *app.Bus, s *settings, b *wire.Backends, log logrus.FieldLogger) error {
	feed, err := newChangeFeed(s, b, log)
	if err != nil {
		return err
	}
	bus.AfterCommit(ports.Filtered{L: app.FeedPublisher(feed), Resources: []string{svc.Record.Name}})
	srv.MountChanges(svc.Engine, svc.Record, feed, httpadapter.ChangesOptions{
		Heartbeat:    seconds(s.ChangesHeartbeatSeconds),
		WriteTimeout: seconds(s.ChangesWriteTimeoutSeconds),
		Buffer:       s.ChangesBuffer,
		NoticeWait:   seconds(s.ChangesNoticeWaitSeconds),
	})
	return nil
}

func seconds(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
