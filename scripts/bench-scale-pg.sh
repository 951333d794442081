#!/usr/bin/env bash
# bench-scale-pg.sh — list reads of the service on PostgreSQL over one
# collection of RECORDS (default 1,000,000) records, in one run:
#
#   1. `kinto migrate` on the dedicated database BENCH_SCALE_DB (dropped and
#      recreated), `kinto serve` on it (127.0.0.1, a port the kernel picks);
#   2. the bucket, the collection and the records written straight into the
#      adapter's tables with INSERT ... SELECT generate_series, row for row
#      what the service writes (see load.sql below): objects with strictly
#      increasing timestamps ending before now, as if created one per
#      millisecond, the list timestamps, and the creator's write permission
#      on each object; then VACUUM ANALYZE;
#   3. scripts/scalebench -mode measure: p50/p90 of the first page and of a
#      page DEPTH (default 100,000) records deep reached by following
#      Next-Page, in three orders, of filtered pages, of HEAD (Total-Objects)
#      and of a plain GET; the deep/first ratios (target <= 1.5);
#   4. the plans PostgreSQL picks for those queries (EXPLAIN) and the
#      server's RSS.
#
# Environment: RECORDS, DEPTH, BENCH_SCALE_DB (default bench_scale),
# BENCH_PG_ADMIN_URL, BENCH_ITERATIONS (requests per scenario; default 50),
# BENCH_WALK (page size of the walk to the deep page; default 1000, 10 walks
# it as a client paging by 10 would), GO, BENCH_START_TIMEOUT.
set -euo pipefail
# shellcheck source=scripts/pg-bench-lib.sh
source "$(dirname "$0")/pg-bench-lib.sh"
trap bench_cleanup EXIT

db=${BENCH_SCALE_DB:-bench_scale}
records=${RECORDS:-1000000}
depth=${DEPTH:-100000}
iterations=${BENCH_ITERATIONS:-50}
walk=${BENCH_WALK:-1000}
url=$(db_url "$db")
user=bench:bench
bucket=scale
collection=records

echo "bench-scale-pg: building kinto and scalebench"
build_binaries
(cd "$root" && "${GO:-go}" build -o "$work/scalebench" ./scripts/scalebench)
echo "bench-scale-pg: recreating database $db"
recreate_db "$db"
start_server "$url" 4
echo "bench-scale-pg: server on $origin"

# The creator's principal, as the service computes it from the credentials.
principal=$(curl -fsS -u "$user" "$origin/v1/" | jq -r '.user.id')
if [ -z "$principal" ] || [ "$principal" = null ]; then
	echo "bench-scale-pg: no user id in $origin/v1/" >&2
	exit 1
fi

cat >"$work/load.sql" <<'SQL'
\set ON_ERROR_STOP on
BEGIN;
-- Timestamps end 10 ms ago: the bucket, then the collection, then one
-- record per millisecond, as a client creating them in a row would get.
SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint - :records - 10 AS t0 \gset
INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data) VALUES
	('', 'bucket', :'bucket', :t0 - 2, FALSE, '{}'),
	('/buckets/' || :'bucket', 'collection', :'collection', :t0 - 1, FALSE, '{}');
INSERT INTO objects (parent_id, resource_name, id, last_modified, deleted, data)
SELECT '/buckets/' || :'bucket' || '/collections/' || :'collection', 'record',
	gen_random_uuid()::text, :t0 + i, FALSE,
	jsonb_build_object('title', 'record ' || i, 'kind', i % 10, 'group', i % 10000, 'n', i)
FROM generate_series(0, :records - 1) AS i;
-- The list timestamps: the bucket list may have been read (and so stamped)
-- already; a list timestamp only grows.
INSERT INTO timestamps (parent_id, resource_name, last_modified) VALUES
	('', 'bucket', :t0 - 2),
	('/buckets/' || :'bucket', 'collection', :t0 - 1),
	('/buckets/' || :'bucket' || '/collections/' || :'collection', 'record', :t0 + :records - 1)
ON CONFLICT (parent_id, resource_name)
DO UPDATE SET last_modified = GREATEST(timestamps.last_modified, EXCLUDED.last_modified);
-- The creator gets write on what it creates.
INSERT INTO access_control_entries (object_id, permission, principal)
SELECT '/buckets/' || :'bucket', 'write', :'principal'
UNION ALL SELECT '/buckets/' || :'bucket' || '/collections/' || :'collection', 'write', :'principal'
UNION ALL SELECT '/buckets/' || :'bucket' || '/collections/' || :'collection' || '/records/' || id, 'write', :'principal'
	FROM objects WHERE parent_id = '/buckets/' || :'bucket' || '/collections/' || :'collection' AND resource_name = 'record';
COMMIT;
VACUUM ANALYZE objects;
VACUUM ANALYZE timestamps;
VACUUM ANALYZE access_control_entries;
SQL
echo "bench-scale-pg: loading $records records with INSERT ... SELECT generate_series"
start=$(date +%s.%N)
psql "$url" -q -v records="$records" -v bucket="$bucket" -v collection="$collection" -v principal="$principal" \
	-f "$work/load.sql" >"$work/load.log" 2>&1 || { cat "$work/load.log" >&2; exit 1; }
echo "bench-scale-pg: loaded in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s;" \
	"table $(psql "$url" -Atc "SELECT pg_size_pretty(pg_total_relation_size('objects'))") with its indexes"

# The service must serve what was loaded as its own.
total=$(curl -fsS -I -u "$user" "$origin/v1/buckets/$bucket/collections/$collection/records" | tr -d '\r' | sed -n 's/^Total-Objects: //Ip')
if [ "$total" != "$records" ]; then
	echo "bench-scale-pg: the service counts $total records, want $records" >&2
	exit 1
fi

"$work/scalebench" -mode measure -url "$origin/v1" -user "$user" -bucket "$bucket" -collection "$collection" \
	-depth "$depth" -walk "$walk" -n "$iterations" | tee "$work/measure.log"

# The plans of the statements the adapter sends for the first, the deep and
# the filtered pages (the deep cursor is the DEPTH-th newest timestamp).
list="/buckets/$bucket/collections/$collection"
cursor=$(psql "$url" -Atc "SELECT last_modified FROM objects WHERE parent_id = '$list' AND resource_name = 'record'
	ORDER BY last_modified DESC OFFSET $((depth - 1)) LIMIT 1")
explain() {
	echo "-- $1"
	psql "$url" -Atc "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) $2" | sed 's/^/   /'
}
echo
echo "bench-scale-pg: plans"
explain "deep page, default order" "SELECT id, last_modified, deleted, data FROM objects
	WHERE parent_id = '$list' AND resource_name = 'record' AND NOT deleted AND last_modified < $cursor
	ORDER BY last_modified DESC LIMIT 11"
explain "filtered page group=42" "SELECT id, last_modified, deleted, data FROM objects
	WHERE parent_id = '$list' AND resource_name = 'record' AND NOT deleted AND data @> '{\"group\": 42}'
	ORDER BY last_modified DESC LIMIT 11"
explain "Total-Objects" "SELECT count(*) FROM objects WHERE parent_id = '$list' AND resource_name = 'record' AND NOT deleted"

rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status")
hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status")
echo
echo "bench-scale-pg: server RSS after the run $rss MB (peak $hwm MB; target < 100 MB)"
