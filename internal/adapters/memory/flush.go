package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/cliquet-go/cliquet/internal/domain"
	"github.com/cliquet-go/cliquet/internal/ports"
)

// Flush empties the store; inside a unit, rolling back restores it.
func (s *Storage) Flush(ctx context.Context) error {
	const op = "memory.Storage.Flush"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	defer s.lk.write(ctx).done()
	old := s.lists
	s.lists = map[domain.Parent]*objectList{}
	n := 0
	for _, l := range old {
		n += len(l.byID)
	}
	s.reclaim.released(n, 0)
	if s.lk.inUnit {
		s.lk.record(func() { s.lists = old })
	}
	return nil
}

// PurgeDeleted removes the selected tombstones of every list of resource.
func (s *Storage) PurgeDeleted(ctx context.Context, resource string, opts ports.PurgeOptions) (int, error) {
	const op = "memory.Storage.PurgeDeleted"
	if err := ctxErr(ctx, op); err != nil {
		return 0, err
	}
	defer s.lk.write(ctx).done()
	n := 0
	for p, l := range s.lists {
		if p.Resource != resource {
			continue
		}
		gone := purgeable(l, opts)
		if len(gone) == 0 {
			continue
		}
		n += len(gone)
		if s.lk.inUnit {
			saved := *l
			s.lk.record(func() { *l = saved })
		}
		// New map and slots: the saved state above keeps the old ones.
		// The map is rebuilt at its new size, not cloned: a Go map never
		// shrinks, and a clone keeps the size of the original.
		drop := make(map[string]struct{}, len(gone))
		for _, id := range gone {
			drop[id] = struct{}{}
		}
		kept := make(map[string]domain.Record, len(l.byID)-len(gone))
		for id, r := range l.byID {
			if _, ok := drop[id]; !ok {
				kept[id] = r
			}
		}
		l.byID = kept
		l.slots = slices.Clone(l.slots)
		l.compact()
	}
	s.reclaim.released(n, 0)
	return n, nil
}

// purgeable returns the ids of the tombstones of l that opts selects.
func purgeable(l *objectList, opts ports.PurgeOptions) []string {
	var tombs []domain.Record
	for _, r := range l.byID {
		if r.Deleted && (opts.Before <= 0 || r.LastModified < opts.Before) {
			tombs = append(tombs, r)
		}
	}
	if opts.Before <= 0 {
		// Newest first; all but the first MaxRetained go.
		slices.SortFunc(tombs, func(a, b domain.Record) int { return cmp.Compare(b.LastModified, a.LastModified) })
		tombs = tombs[min(max(opts.MaxRetained, 0), len(tombs)):]
	}
	ids := make([]string, len(tombs))
	for i, r := range tombs {
		ids[i] = r.ID
	}
	return ids
}

// Flush removes every entry and every user principal; inside a unit,
// rolling back restores them.
func (p *Permission) Flush(ctx context.Context) error {
	if err := ctxErr(ctx, "memory.Permission.Flush"); err != nil {
		return err
	}
	defer p.lk.write(ctx).done()
	old := *p
	fresh := newPermission(p.lk)
	*p = *fresh
	if p.lk.inUnit {
		p.lk.record(func() { *p = old })
	}
	return nil
}
