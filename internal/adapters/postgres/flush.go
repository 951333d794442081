package postgres

import (
	"context"

	"github.com/cliquet-go/cliquet/internal/ports"
)

// Flush deletes every object, tombstone and list timestamp, in one
// statement.
func (s *Storage) Flush(ctx context.Context) error {
	const op = "postgres.Storage.Flush"
	_, err := conn(ctx, s.db).ExecContext(ctx, `WITH gone AS (DELETE FROM objects) DELETE FROM timestamps`)
	return translate(op, err)
}

// PurgeDeleted deletes the selected tombstones of resource in one
// statement; the newest of each list are found with a window over the
// (parent_id, resource_name, last_modified) index.
func (s *Storage) PurgeDeleted(ctx context.Context, resource string, opts ports.PurgeOptions) (int, error) {
	const op = "postgres.Storage.PurgeDeleted"
	q, arg := `DELETE FROM objects WHERE resource_name = $1 AND deleted AND last_modified < $2`, any(opts.Before)
	if opts.Before <= 0 {
		q, arg = `DELETE FROM objects o USING (
				SELECT parent_id, id FROM (
					SELECT parent_id, id, row_number() OVER (PARTITION BY parent_id ORDER BY last_modified DESC) AS n
					FROM objects WHERE resource_name = $1 AND deleted
				) ranked WHERE n > $2
			) old
			WHERE o.resource_name = $1 AND o.parent_id = old.parent_id AND o.id = old.id`, max(opts.MaxRetained, 0)
	}
	res, err := conn(ctx, s.db).ExecContext(ctx, q, resource, arg)
	if err != nil {
		return 0, translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// Flush deletes every entry and every user principal, in one statement.
func (p *Permission) Flush(ctx context.Context) error {
	const op = "postgres.Permission.Flush"
	_, err := conn(ctx, p.db).ExecContext(ctx, `WITH gone AS (DELETE FROM access_control_entries) DELETE FROM user_principals`)
	return translate(op, err)
}
