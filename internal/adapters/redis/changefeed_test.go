package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/redis"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// openFeed opens a change feed on channel over a pool of its own, closed
// at cleanup: each stands for one process.
func openFeed(t *testing.T, channel string) (*redis.ChangeFeed, *redis.Pool) {
	t.Helper()
	pool := newPool(t)
	f, err := redis.NewChangeFeed(pool, redis.ChangeFeedOptions{Channel: channel, Timeout: 5 * time.Second,
		Heartbeat: time.Second, Reconnect: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewChangeFeed: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f, pool
}

func randomChannel(t *testing.T) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "test_changes_" + hex.EncodeToString(b[:])
}

// expect reads n changes of sub, r<from>… at from+1…, in order, then
// checks nothing more comes.
func expect(t *testing.T, name string, sub *ports.Subscription, p domain.Parent, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
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

func batchOf(p domain.Parent, from, n int) []ports.Change {
	var batch []ports.Change
	for j := from; j < from+n; j++ {
		batch = append(batch, ports.Change{Parent: p, ID: fmt.Sprintf("r%d", j), Action: ports.EventCreate, Timestamp: int64(j + 1)})
	}
	return batch
}

// Two feeds on separate pools stand for two processes: what one
// publishes, the subscribers of both receive, in order, once; other lists'
// changes go to their own subscribers only.
func TestChangeFeedAcrossProcesses(t *testing.T) {
	channel := randomChannel(t)
	a, _ := openFeed(t, channel)
	b, _ := openFeed(t, channel)
	p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	other := domain.Parent{Resource: "record", ID: "/buckets/b/collections/other"}
	ctx := context.Background()
	subA, err := a.Subscribe(ctx, p, 2000)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	subB, err := b.Subscribe(ctx, p, 2000)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	const total = 1000
	for i := 0; i < total; i += 100 {
		batch := append(batchOf(p, i, 100), ports.Change{Parent: other, ID: "x", Action: ports.EventCreate, Timestamp: 1})
		if err := a.Publish(ctx, batch); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	expect(t, "same process", subA, p, 0, total)
	expect(t, "other process", subB, p, 0, total)

	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, ok := <-subB.C; ok {
		t.Fatal("subscription still open after Close")
	}
	if _, err := b.Subscribe(ctx, p, 1); domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("Subscribe after Close: %v, want Unavailable", err)
	}
}

// A feed whose subscription connection is cut reconnects on its own and
// wakes its subscriptions (messages sent meanwhile were lost), then hears
// the changes published after.
func TestChangeFeedReconnects(t *testing.T) {
	channel := randomChannel(t)
	lost := make(chan error, 16)
	pool := newPool(t)
	f, err := redis.NewChangeFeed(pool, redis.ChangeFeedOptions{Channel: channel, Timeout: 5 * time.Second,
		Heartbeat: time.Second, Reconnect: 200 * time.Millisecond,
		OnError: func(err error) {
			select {
			case lost <- err:
			default:
			}
		}})
	if err != nil {
		t.Fatalf("NewChangeFeed: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	publisher, _ := openFeed(t, channel)
	p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	ctx := context.Background()
	sub, err := f.Subscribe(ctx, p, 100)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	before := f.ClientID()
	if _, err := redis.Do(ctx, pool, "CLIENT", "KILL", "ID", before); err != nil {
		t.Fatalf("CLIENT KILL ID %d: %v", before, err)
	}
	select {
	case err := <-lost:
		t.Logf("reported: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the lost connection was not reported")
	}
	select {
	case c := <-sub.C:
		if c.ID != "" || c.Parent != p {
			t.Fatalf("after a reconnection: %+v, want the wake-up cue (no ID) of %s", c, p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up after the reconnection")
	}
	if after := f.ClientID(); after == before {
		t.Fatalf("client id %d unchanged: not reconnected", after)
	}
	if err := publisher.Publish(ctx, batchOf(p, 0, 10)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	expect(t, "after reconnection", sub, p, 0, 10)
}

// Feeds on two databases of one server do not hear each other, though
// pub/sub channels are server-wide.
func TestChangeFeedKeepsToItsDatabase(t *testing.T) {
	channel := randomChannel(t)
	a, _ := openFeed(t, channel)
	otherDB := newPoolOnDB(t, 15)
	b, err := redis.NewChangeFeed(otherDB, redis.ChangeFeedOptions{Channel: channel, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("NewChangeFeed: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/c"}
	ctx := context.Background()
	sub, err := b.Subscribe(ctx, p, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, batchOf(p, 0, 1)); err != nil {
		t.Fatal(err)
	}
	expect(t, "other database", sub, p, 0, 0)
}

// newPoolOnDB is newPool on another database of the same server (one the
// test writes nothing to).
func newPoolOnDB(t *testing.T, db int) *redis.Pool {
	t.Helper()
	raw := os.Getenv(urlVar)
	if raw == "" {
		t.Skipf("%s not set: Redis adapter tests skipped", urlVar)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q is not a redis:// URL: %v", urlVar, raw, err)
	}
	if u.Path == "/"+strconv.Itoa(db) {
		db++
	}
	u.Path = "/" + strconv.Itoa(db)
	p, err := redis.NewPool(redis.PoolOptions{URL: u.String(), Size: 2, PoolTimeout: 5 * time.Second,
		ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestChangeFeedUnreachable(t *testing.T) {
	pool, err := redis.NewPool(redis.PoolOptions{URL: "redis://127.0.0.1:1/0", ConnectTimeout: time.Second, CommandTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = redis.NewChangeFeed(pool, redis.ChangeFeedOptions{Channel: "c", Timeout: 500 * time.Millisecond})
	if domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("NewChangeFeed on a closed port: %v, want Unavailable", err)
	}
}
