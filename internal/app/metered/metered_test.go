package metered_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cliquet-go/cliquet/internal/adapters/memory"
	"github.com/cliquet-go/cliquet/internal/app/metered"
	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// owned is a memory storage that claims the optional create paths.
type owned struct{ ports.Storage }

func (o owned) CreateOwned(ctx context.Context, _ ports.ObjectRef, p domain.Parent, rec domain.Record, unique []string) (domain.Record, error) {
	return o.Create(ctx, p, rec, unique)
}

type fresh struct{ owned }

func (f fresh) CreateFresh(ctx context.Context, owner ports.ObjectRef, p domain.Parent, rec domain.Record) (domain.Record, error) {
	return f.CreateOwned(ctx, owner, p, rec, nil)
}

// timings records what a decorator timed.
type timings struct {
	ports.Metrics
	keys []string
}

func (t *timings) Timing(key string, _ time.Duration, labels ...ports.Label) {
	for _, l := range labels {
		key += " " + l.Name + "=" + l.Value
	}
	t.keys = append(t.keys, key)
}

// The timed storage keeps exactly the optional interfaces of the storage
// it wraps, since the engine picks its write path by them, and times the
// calls made through them.
func TestWrapStorageKeepsOptionalInterfaces(t *testing.T) {
	base := memory.NewStorage(domain.SystemClock{})
	for _, tc := range []struct {
		name         string
		s            ports.Storage
		owned, fresh bool
	}{
		{"plain", base, false, false},
		{"owned", owned{base}, true, false},
		{"fresh", fresh{owned{base}}, true, true},
	} {
		m := &timings{Metrics: ports.NopMetrics{}}
		w := metered.WrapStorage(tc.s, m)
		oc, isOwned := w.(ports.OwnedCreator)
		fc, isFresh := w.(ports.FreshCreator)
		if isOwned != tc.owned || isFresh != tc.fresh {
			t.Errorf("%s: wrapped is OwnedCreator %v, FreshCreator %v; want %v, %v", tc.name, isOwned, isFresh, tc.owned, tc.fresh)
			continue
		}
		p := domain.Parent{Resource: "record", ID: "/buckets/b/collections/" + tc.name}
		if isFresh {
			if _, err := fc.CreateFresh(context.Background(), ports.ObjectRef{}, p, domain.Record{ID: "f"}); err != nil {
				t.Fatalf("%s: CreateFresh: %v", tc.name, err)
			}
		} else if isOwned {
			if _, err := oc.CreateOwned(context.Background(), ports.ObjectRef{}, p, domain.Record{ID: "o"}, nil); err != nil {
				t.Fatalf("%s: CreateOwned: %v", tc.name, err)
			}
		}
		if _, err := w.Get(context.Background(), p, "missing"); domain.KindOf(err) != domain.NotFound {
			t.Fatalf("%s: Get: %v", tc.name, err)
		}
		t.Logf("%s timed %v", tc.name, m.keys)
		if len(m.keys) == 0 || m.keys[len(m.keys)-1] != "backend.storage.seconds method=get" {
			t.Errorf("%s: timed %v, want the get last", tc.name, m.keys)
		}
		if (isOwned || isFresh) && len(m.keys) < 2 {
			t.Errorf("%s: the optional create was not timed: %v", tc.name, m.keys)
		}
	}
}

// A timed listener passes events and errors through, timing each call.
func TestWrapListenerTimesCalls(t *testing.T) {
	m := &timings{Metrics: ports.NopMetrics{}}
	fail := errors.New("listener failed")
	var got []ports.EventAction
	l := metered.WrapListener(ports.ListenerFuncs{
		OnChanged: func(_ context.Context, ev ports.ResourceChanged) error {
			got = append(got, ev.Action)
			return fail
		},
	}, m, "listeners.redis.seconds")
	ev := ports.ResourceChanged{EventPayload: ports.EventPayload{Action: ports.EventCreate}}
	if err := l.Changed(context.Background(), ev); !errors.Is(err, fail) {
		t.Errorf("Changed = %v, want the listener's error", err)
	}
	if err := l.Read(context.Background(), ports.ResourceRead{}); err != nil {
		t.Errorf("Read = %v", err)
	}
	if len(got) != 1 || got[0] != ports.EventCreate {
		t.Errorf("listener saw %v", got)
	}
	if want := []string{"listeners.redis.seconds", "listeners.redis.seconds"}; !reflect.DeepEqual(m.keys, want) {
		t.Errorf("timed %v, want %v", m.keys, want)
	}
}
