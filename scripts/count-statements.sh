#!/usr/bin/env bash
# count-statements.sh — how many SQL statements one GET of a record and one
# POST of a record cost the service on PostgreSQL.
#
# It recreates the database BENCH_PG_DB (default bench_pg; it must be
# dedicated to these scripts), turns on log_statement = 'all' for that
# database alone (ALTER DATABASE ... SET, which needs a superuser; reset on
# exit), starts kinto on it on 127.0.0.1, warms up, then for each request
# runs a marker query before and after and counts the statements the
# server's log holds for the database between the two markers. The
# statements are listed, then the summary line:
#
#   GET record: N statements (K COMMIT); POST record: M statements (K COMMIT)
#
# The log is PostgreSQL's server log: COUNT_PG_LOG if set, else
# pg_current_logfile() (with logging_collector), else the file
# pg_lsclusters names for the server's port. Its log_line_prefix must show
# the database as "@dbname" (Debian's default, '%m [%p] %q%u@%d ').
#
# Environment: BENCH_PG_ADMIN_URL, BENCH_PG_DB, COUNT_PG_LOG, GO.
set -euo pipefail
# shellcheck source=scripts/pg-bench-lib.sh
source "$(dirname "$0")/pg-bench-lib.sh"

db=${BENCH_PG_DB:-bench_pg}
url=$(db_url "$db")

reset_logging() {
	psql "$admin_url" -qc "ALTER DATABASE $db RESET log_statement" >/dev/null 2>&1 || true
	bench_cleanup
}
trap reset_logging EXIT

echo "count-statements: building kinto"
build_binaries
recreate_db "$db"

# The server's log file.
log=${COUNT_PG_LOG:-}
if [ -z "$log" ]; then
	rel=$(psql "$admin_url" -tAc "SELECT coalesce(pg_current_logfile(), '')")
	if [ -n "$rel" ]; then
		case $rel in
		/*) log=$rel ;;
		*) log="$(psql "$admin_url" -tAc "SHOW data_directory")/$rel" ;;
		esac
	elif command -v pg_lsclusters >/dev/null 2>&1; then
		port=$(psql "$admin_url" -tAc "SHOW port")
		log=$(pg_lsclusters --no-header | awk -v p="$port" '$3 == p { print $7; exit }')
	fi
fi
if [ -z "$log" ] || [ ! -r "$log" ]; then
	echo "count-statements: cannot read the PostgreSQL log (${log:-not found}); set COUNT_PG_LOG" >&2
	exit 1
fi
prefix=$(psql "$admin_url" -tAc "SHOW log_line_prefix")
case $prefix in
*%d*) ;;
*)
	echo "count-statements: log_line_prefix '$prefix' does not show the database (%d)" >&2
	exit 1
	;;
esac
echo "count-statements: reading $log"

psql "$admin_url" -v ON_ERROR_STOP=1 -qc "ALTER DATABASE $db SET log_statement = 'all'" >/dev/null
# Started after the ALTER, so that every connection of its pool logs.
start_server "$url" 4

# req METHOD PATH [BODY] sends one request; anything but a 2xx fails.
req() {
	local args=(-fsS --max-time 10 -o /dev/null -u bench:bench -X "$1" "$origin/v1$2")
	if [ $# -ge 3 ]; then
		args+=(-H 'Content-Type: application/json' -d "$3")
	fi
	curl "${args[@]}"
}
body='{"data":{"title":"a record of the benchmark","done":false,"tags":["a","b"],"n":42}}'
coll=/buckets/bench/collections/stmts
req PUT /buckets/bench
req PUT "$coll"
req PUT "$coll/records/the-record" "$body"
# Warm-up: the first requests may create what later ones find.
for _ in 1 2; do
	req GET "$coll/records/the-record"
	req POST "$coll/records" "$body"
done

marker=0
# measure LABEL METHOD PATH [BODY] prints the statements of one request
# and sets count and commits.
measure() {
	local label=$1
	shift
	marker=$((marker + 1))
	local begin="count-statements-$$-$marker-begin" end="count-statements-$$-$marker-end"
	psql "$url" -qtAc "SELECT '$begin'" >/dev/null
	req "$@"
	psql "$url" -qtAc "SELECT '$end'" >/dev/null
	# Only the log lines of $db between the markers that log a statement
	# (simple protocol "statement:", extended protocol "execute <name>:");
	# continuation and DETAIL lines do not start a statement.
	awk -v b="$begin" -v e="$end" -v d="@$db " '
		index($0, b) { on = 1; next }
		index($0, e) { exit }
		on && index($0, d) && $0 ~ /LOG:  (statement|execute [^:]*): / { print }
	' "$log" | sed -E 's/^.*LOG:  //' >"$work/$label.sql"
	count=$(wc -l <"$work/$label.sql")
	commits=$(grep -ciE '^statement: (COMMIT|END)\b' "$work/$label.sql" || true)
	echo "--- $label: $count statements"
	cut -c1-200 "$work/$label.sql"
}

measure GET GET "$coll/records/the-record"
get_count=$count get_commits=$commits
measure POST POST "$coll/records" "$body"
post_count=$count post_commits=$commits

echo
echo "GET record: $get_count statements ($get_commits COMMIT); POST record: $post_count statements ($post_commits COMMIT)"
