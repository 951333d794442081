package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/cliquet-go/cliquet/internal/ports"
)

var _ ports.Permission = (*Permission)(nil)

// Permission is a ports.Permission on PostgreSQL: the table
// access_control_entries holds one row per (object, permission, principal)
// and user_principals one row per (user, principal). Every method is one
// statement, so concurrent nodes need no coordination beyond the primary
// keys (inserts are ON CONFLICT DO NOTHING, hence idempotent).
type Permission struct {
	db *sqlx.DB
}

// NewPermission returns a Permission on db, whose schema Migrate prepared.
func NewPermission(db *sqlx.DB) *Permission {
	return &Permission{db: db}
}

// Healthy runs SELECT 1 within ctx.
func (p *Permission) Healthy(ctx context.Context) error {
	return healthy(ctx, p.db, "postgres.Permission.Healthy")
}

// ObjectACL returns the ACL of object, principals sorted.
func (p *Permission) ObjectACL(ctx context.Context, object string) (ports.ACL, error) {
	const op = "postgres.Permission.ObjectACL"
	rows, err := conn(ctx, p.db).QueryContext(ctx, `SELECT permission, principal FROM access_control_entries
		WHERE object_id = $1 ORDER BY permission, principal`, object)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	acl := ports.ACL{}
	for rows.Next() {
		var perm, principal string
		if err := rows.Scan(&perm, &principal); err != nil {
			return nil, translate(op, err)
		}
		acl[perm] = append(acl[perm], principal)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	return acl, nil
}

// ReplaceACL sets exactly the given principals for each permission named in
// acl, in one statement: entries of those permissions that are not wanted
// go, wanted ones are added, others stay.
func (p *Permission) ReplaceACL(ctx context.Context, object string, acl ports.ACL) error {
	const op = "postgres.Permission.ReplaceACL"
	if len(acl) == 0 {
		return nil
	}
	var perms, wantPerms, wantPrincipals []string
	for perm, principals := range acl {
		perms = append(perms, perm)
		for _, principal := range principals {
			wantPerms = append(wantPerms, perm)
			wantPrincipals = append(wantPrincipals, principal)
		}
	}
	// Two replacements of one object must not interleave (each would keep
	// the rows the other added, and a principal both left out could keep
	// access): a transaction-scoped advisory lock per object serializes them.
	// Inside a unit of work, its transaction holds the lock until it ends.
	if u := unitOf(ctx, p.db); u != nil {
		return translate(op, replaceACL(ctx, u.readyTx(ctx), object, perms, wantPerms, wantPrincipals))
	}
	tx, err := beginTx(ctx, p.db)
	if err != nil {
		return translate(op, fmt.Errorf("begin: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	if err := replaceACL(ctx, tx, object, perms, wantPerms, wantPrincipals); err != nil {
		return translate(op, err)
	}
	return translate(op, tx.Commit())
}

// replaceACL runs ReplaceACL's statements in tx.
func replaceACL(ctx context.Context, tx querier, object string, perms, wantPerms, wantPrincipals []string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('cliquet.acl'), hashtext($1))`, object); err != nil {
		return fmt.Errorf("lock %s: %w", object, err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM access_control_entries a
		WHERE a.object_id = $1 AND a.permission = ANY($2::text[])
		AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS w(permission, principal)
			WHERE w.permission = a.permission AND w.principal = a.principal)`,
		object, pq.Array(perms), pq.Array(wantPerms), pq.Array(wantPrincipals)); err != nil {
		return fmt.Errorf("drop unwanted entries of %s: %w", object, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO access_control_entries (object_id, permission, principal)
		SELECT DISTINCT $1::text, w.permission, w.principal FROM unnest($2::text[], $3::text[]) AS w(permission, principal)
		ON CONFLICT DO NOTHING`, object, pq.Array(wantPerms), pq.Array(wantPrincipals)); err != nil {
		return fmt.Errorf("add wanted entries of %s: %w", object, err)
	}
	return nil
}

// AddPrincipal grants perm on object to principal.
func (p *Permission) AddPrincipal(ctx context.Context, object, perm, principal string) error {
	const op = "postgres.Permission.AddPrincipal"
	if u := unitOf(ctx, p.db); u != nil && u.err == nil {
		// Held back until the unit's next statement (writebehind.go).
		u.holdGrant(object, perm, principal)
		return nil
	}
	_, err := conn(ctx, p.db).ExecContext(ctx, `INSERT INTO access_control_entries (object_id, permission, principal)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, object, perm, principal)
	return translate(op, err)
}

// RemovePrincipal revokes perm on object from principal.
func (p *Permission) RemovePrincipal(ctx context.Context, object, perm, principal string) error {
	const op = "postgres.Permission.RemovePrincipal"
	_, err := conn(ctx, p.db).ExecContext(ctx, `DELETE FROM access_control_entries
		WHERE object_id = $1 AND permission = $2 AND principal = $3`, object, perm, principal)
	return translate(op, err)
}

// DeleteACLs removes the entries of prefix and of every object below
// prefix+"/"; the primary key, in the "C" collation, serves both.
func (p *Permission) DeleteACLs(ctx context.Context, prefix string) error {
	const op = "postgres.Permission.DeleteACLs"
	_, err := conn(ctx, p.db).ExecContext(ctx, `DELETE FROM access_control_entries WHERE object_id = $1 OR object_id LIKE $2`,
		prefix, escapeLike(prefix)+"/%")
	return translate(op, err)
}

// AnyGranted looks the pairs up by primary key.
func (p *Permission) AnyGranted(ctx context.Context, principals []string, pairs []ports.ObjectPerm) (bool, error) {
	const op = "postgres.Permission.AnyGranted"
	if len(principals) == 0 || len(pairs) == 0 {
		return false, nil
	}
	objects := make([]string, len(pairs))
	perms := make([]string, len(pairs))
	for i, pair := range pairs {
		objects[i], perms[i] = pair.Object, pair.Perm
	}
	var granted bool
	err := conn(ctx, p.db).QueryRowContext(ctx, `SELECT EXISTS (
			SELECT 1 FROM unnest($1::text[], $2::text[]) AS pair (object_id, permission)
			JOIN access_control_entries a ON a.object_id = pair.object_id AND a.permission = pair.permission
			WHERE a.principal = ANY($3::text[])
		)`, pq.Array(objects), pq.Array(perms), pq.Array(principals)).Scan(&granted)
	if err != nil {
		return false, translate(op, err)
	}
	return granted, nil
}

// GrantedAndACL is one statement: a marker row (NULL permission) when a
// pair is granted, then the entries of object.
func (p *Permission) GrantedAndACL(ctx context.Context, principals []string, pairs []ports.ObjectPerm, object string) (bool, ports.ACL, error) {
	const op = "postgres.Permission.GrantedAndACL"
	objects := make([]string, len(pairs))
	perms := make([]string, len(pairs))
	for i, pair := range pairs {
		objects[i], perms[i] = pair.Object, pair.Perm
	}
	rows, err := conn(ctx, p.db).QueryContext(ctx, `SELECT NULL::text, NULL::text
		WHERE EXISTS (
			SELECT 1 FROM unnest($1::text[], $2::text[]) AS pair (object_id, permission)
			JOIN access_control_entries a ON a.object_id = pair.object_id AND a.permission = pair.permission
			WHERE a.principal = ANY($3::text[])
		)
		UNION ALL
		SELECT permission, principal FROM access_control_entries WHERE object_id = $4`,
		pq.Array(objects), pq.Array(perms), pq.Array(principals), object)
	if err != nil {
		return false, nil, translate(op, err)
	}
	defer rows.Close()
	granted := false
	acl := ports.ACL{}
	for rows.Next() {
		var perm, principal sql.NullString
		if err := rows.Scan(&perm, &principal); err != nil {
			return false, nil, translate(op, err)
		}
		if !perm.Valid {
			granted = true
			continue
		}
		acl[perm.String] = append(acl[perm.String], principal.String)
	}
	if err := rows.Err(); err != nil {
		return false, nil, translate(op, err)
	}
	for _, principals := range acl {
		slices.Sort(principals)
	}
	return granted, acl, nil
}

// Accessible starts from the entries of principals (index on principal,
// object_id), narrows them by the pattern's literal prefix, which the same
// index serves, and then by a regular expression in which each "*" matches
// within one path segment.
func (p *Permission) Accessible(ctx context.Context, principals []string, pattern string, perms []string) (map[string][]string, error) {
	const op = "postgres.Permission.Accessible"
	out := map[string][]string{}
	if len(principals) == 0 || len(perms) == 0 {
		return out, nil
	}
	var query string
	args := []any{pq.Array(principals), pq.Array(perms)}
	if !strings.Contains(pattern, "*") {
		query = `SELECT DISTINCT object_id, permission FROM access_control_entries
			WHERE object_id = $3 AND permission = ANY($2::text[]) AND principal = ANY($1::text[])`
		args = append(args, pattern)
	} else {
		literal, _, _ := strings.Cut(pattern, "*")
		query = `SELECT DISTINCT object_id, permission FROM access_control_entries
			WHERE principal = ANY($1::text[]) AND permission = ANY($2::text[])
			AND object_id LIKE $3 AND object_id ~ $4`
		args = append(args, escapeLike(literal)+"%", patternRegexp(pattern))
	}
	rows, err := conn(ctx, p.db).QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var object, perm string
		if err := rows.Scan(&object, &perm); err != nil {
			return nil, translate(op, err)
		}
		out[object] = append(out[object], perm)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(op, err)
	}
	for _, held := range out {
		slices.Sort(held)
	}
	return out, nil
}

// patternRegexp anchors pattern as a PostgreSQL regular expression: "*"
// matches any run of characters other than "/", everything else is
// literal (punctuation is escaped; a backslash before a letter or digit
// would start an escape in PostgreSQL's syntax, so those stay bare).
func patternRegexp(pattern string) string {
	var sb strings.Builder
	sb.WriteByte('^')
	for _, r := range pattern {
		switch {
		case r == '*':
			sb.WriteString(`[^/]*`)
		case r < 0x80 && !isAlnum(byte(r)):
			sb.WriteByte('\\')
			sb.WriteRune(r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('$')
	return sb.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// UserPrincipals returns the principals users hold, sorted, in one
// statement.
func (p *Permission) UserPrincipals(ctx context.Context, users ...string) ([]string, error) {
	const op = "postgres.Permission.UserPrincipals"
	out := []string{}
	if err := conn(ctx, p.db).SelectContext(ctx, &out, `SELECT DISTINCT principal FROM user_principals WHERE user_id = ANY($1) ORDER BY principal`, pq.Array(users)); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

// AddUserPrincipal records that user holds principal.
func (p *Permission) AddUserPrincipal(ctx context.Context, user, principal string) error {
	const op = "postgres.Permission.AddUserPrincipal"
	_, err := conn(ctx, p.db).ExecContext(ctx, `INSERT INTO user_principals (user_id, principal) VALUES ($1, $2) ON CONFLICT DO NOTHING`, user, principal)
	return translate(op, err)
}

// RemoveUserPrincipal removes principal from user.
func (p *Permission) RemoveUserPrincipal(ctx context.Context, user, principal string) error {
	const op = "postgres.Permission.RemoveUserPrincipal"
	_, err := conn(ctx, p.db).ExecContext(ctx, `DELETE FROM user_principals WHERE user_id = $1 AND principal = $2`, user, principal)
	return translate(op, err)
}

// RemoveUserPrincipalsUnder removes prefix and every principal below
// prefix+"/" from every user, through the index on principal.
func (p *Permission) RemoveUserPrincipalsUnder(ctx context.Context, prefix string) error {
	const op = "postgres.Permission.RemoveUserPrincipalsUnder"
	_, err := conn(ctx, p.db).ExecContext(ctx, `DELETE FROM user_principals WHERE principal = $1 OR principal LIKE $2`,
		prefix, escapeLike(prefix)+"/%")
	if err != nil {
		return translate(op, fmt.Errorf("remove principals under %q: %w", prefix, err))
	}
	return nil
}
