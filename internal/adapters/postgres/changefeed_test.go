package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cliquet-go/cliquet/internal/adapters/postgres"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Two feeds on one database stand for two processes: what one publishes,
// the subscribers of both receive, in order, once.
func TestChangeFeedAcrossProcesses(t *testing.T) {
	url := testURL(t)
	db, err := sqlx.Connect("postgres", url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer db.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	channel := "test_changes_" + hex.EncodeToString(b[:])
	open := func() *postgres.ChangeFeed {
		f, err := postgres.NewChangeFeed(db, url, channel, time.Second, 5*time.Second, func(err error) { t.Errorf("feed: %v", err) })
		if err != nil {
			t.Fatalf("NewChangeFeed: %v", err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	a, bFeed := open(), open()
	p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/other"}
	ctx := context.Background()
	subA, err := a.Subscribe(ctx, p, 2000)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	subB, err := bFeed.Subscribe(ctx, p, 2000)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	// 1,000 changes in batches of 100: each batch is more than one NOTIFY.
	const total = 1000
	for i := 0; i < total; i += 100 {
		var batch []ports.Change
		for j := i; j < i+100; j++ {
			batch = append(batch, ports.Change{Parent: p, ID: fmt.Sprintf("r%d", j), Action: ports.EventCreate, Timestamp: int64(j + 1)})
		}
		batch = append(batch, ports.Change{Parent: other, ID: "x", Action: ports.EventCreate, Timestamp: 1})
		if err := a.Publish(ctx, batch); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	for name, sub := range map[string]*ports.Subscription{"same process": subA, "other process": subB} {
		for i := 0; i < total; i++ {
			select {
			case c := <-sub.C:
				if c.Timestamp != int64(i+1) || c.ID != fmt.Sprintf("r%d", i) || c.Action != ports.EventCreate || c.Parent != p {
					t.Fatalf("%s: change %d is %+v, want r%d at %d", name, i, c, i, i+1)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: change %d did not arrive", name, i)
			}
		}
		select {
		case c := <-sub.C:
			t.Fatalf("%s: extra change %+v", name, c)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := bFeed.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, ok := <-subB.C; ok {
		t.Fatal("subscription still open after Close")
	}
	if _, err := bFeed.Subscribe(ctx, p, 1); domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Subscribe after Close: %v, want Unavailable", err)
	}
}

func TestChangeFeedUnreachable(t *testing.T) {
	db, err := sqlx.Open("postgres", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = postgres.NewChangeFeed(db, "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "c", time.Second, 500*time.Millisecond, nil)
	if domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("NewChangeFeed on a closed port: %v, want Unavailable", err)
	}
}
