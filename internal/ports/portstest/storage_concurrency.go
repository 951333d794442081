package portstest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

func storageConcurrentWriters(t *testing.T, s ports.Storage) {
	ctx := context.Background()
	const writers, perWriter = 8, 40
	stamps := make([][]int64, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				id := fmt.Sprintf("w%d-%d", w, i)
				r, err := s.Create(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"w": w}}, nil)
				if err != nil {
					errs <- fmt.Errorf("Create(%s): %w", id, err)
					return
				}
				stamps[w] = append(stamps[w], r.LastModified)
				switch i % 4 {
				case 1:
					r, err = s.Update(ctx, stParent, domain.Record{ID: id, Data: map[string]any{"w": w, "u": true}}, nil)
				case 3:
					r, err = s.Delete(ctx, stParent, id, 0)
				default:
					continue
				}
				if err != nil {
					errs <- fmt.Errorf("write %s: %w", id, err)
					return
				}
				stamps[w] = append(stamps[w], r.LastModified)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var maxTS int64
	for w, list := range stamps {
		for i, ts := range list {
			if seen[ts] {
				t.Errorf("timestamp %d given twice", ts)
			}
			seen[ts] = true
			if i > 0 && ts <= list[i-1] {
				t.Errorf("writer %d: timestamp %d after %d, want strictly increasing", w, ts, list[i-1])
			}
			maxTS = max(maxTS, ts)
		}
	}
	if got := stTimestamp(t, s, stParent); got != maxTS {
		t.Errorf("Timestamp after concurrent writes = %d, want the newest write %d", got, maxTS)
	}
	all := stList(t, s, stParent, domain.Query{Sort: byNewest, WithDeleted: true})
	if len(all) != writers*perWriter {
		t.Errorf("List(with deleted) holds %d objects, want %d", len(all), writers*perWriter)
	}
	if n, _ := s.Count(ctx, stParent, nil); n != writers*perWriter*3/4 {
		t.Errorf("Count = %d, want %d live objects", n, writers*perWriter*3/4)
	}
}
