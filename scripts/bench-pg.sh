#!/usr/bin/env bash
# bench-pg.sh — what the service gets out of PostgreSQL, against what
# PostgreSQL itself does on the same machine, in one run:
#
#   pgbench -S (select-only)                32 clients, -j 2
#   pgbench, one-row jsonb INSERT           32 clients, -j 2
#   service GET of one record               32 clients, 32 connections
#   service POST, one collection per client 32 clients
#   service POST /v1/batch of 25 creations  8 clients, one collection
#
# then the ratios GET / pgbench -S (target >= 40%), POST / pgbench insert
# (target >= 30%) and the batch's records/s (target >= 4000). The figures
# are printed whatever they are; the script fails only when something
# breaks (a non-2xx answer, pgbench failing).
#
# The database BENCH_PG_DB (default bench_pg) is dropped and recreated:
# it must be dedicated to this script. The server listens on 127.0.0.1 only.
#
# Environment: BENCH_PG_ADMIN_URL, BENCH_PG_DB, BENCH_DURATION (seconds per
# figure; default 10), BENCH_CLIENTS (default 32), BENCH_SCALE (pgbench
# scale; default 10), GO.
set -euo pipefail
# shellcheck source=scripts/pg-bench-lib.sh
source "$(dirname "$0")/pg-bench-lib.sh"
trap bench_cleanup EXIT

db=${BENCH_PG_DB:-bench_pg}
duration=${BENCH_DURATION:-10}
clients=${BENCH_CLIENTS:-32}
scale=${BENCH_SCALE:-10}
url=$(db_url "$db")

echo "bench-pg: building kinto and loadgen"
build_binaries
echo "bench-pg: recreating database $db"
recreate_db "$db"

# tps prints pgbench's figure without the connection time.
tps() {
	sed -nE 's/^tps = ([0-9]+(\.[0-9])?)[0-9]* \(without initial connection time\)$/\1/p'
}

echo "bench-pg: pgbench -i -s $scale"
pgbench -i -q -s "$scale" "$url" >"$work/pgbench-init.log" 2>&1 || { cat "$work/pgbench-init.log" >&2; exit 1; }

echo "bench-pg: pgbench -S -c $clients -j 2 -T $duration"
pgbench -n -S -c "$clients" -j 2 -T "$duration" "$url" >"$work/pgbench-S.log" 2>&1 || { cat "$work/pgbench-S.log" >&2; exit 1; }
pg_select=$(tps <"$work/pgbench-S.log")

# A table shaped like the storage's objects table, and one row of the
# size of the service's benchmark record per transaction.
psql "$url" -v ON_ERROR_STOP=1 -qc "CREATE TABLE bench_records (
	id text NOT NULL, parent_id text NOT NULL, resource_name text NOT NULL,
	last_modified bigint NOT NULL, data jsonb NOT NULL,
	PRIMARY KEY (id, parent_id, resource_name))"
cat >"$work/insert.sql" <<'SQL'
INSERT INTO bench_records (id, parent_id, resource_name, last_modified, data)
VALUES (gen_random_uuid()::text, '/buckets/bench/collections/c' || :client_id, 'record',
        (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
        '{"title":"a record of the benchmark","done":false,"tags":["a","b"],"n":42}'::jsonb);
SQL
echo "bench-pg: pgbench jsonb insert -c $clients -j 2 -T $duration"
pgbench -n -f "$work/insert.sql" -c "$clients" -j 2 -T "$duration" "$url" >"$work/pgbench-insert.log" 2>&1 || { cat "$work/pgbench-insert.log" >&2; exit 1; }
pg_insert=$(tps <"$work/pgbench-insert.log")

echo "bench-pg: kinto serve on $db, storage_pool_size=$clients"
start_server "$url" "$clients"
echo "bench-pg: server on $origin"

# loadgen MODE CLIENTS prints the rate of one scenario.
loadgen() {
	"$work/loadgen" -url "$origin/v1" -user bench:bench -mode "$1" -c "$2" -d "${duration}s" | tee "$work/loadgen-$1.log" >&2
	sed -nE 's/^RESULT ([0-9.]+)$/\1/p' "$work/loadgen-$1.log"
}
echo "bench-pg: service GET record, $clients clients"
svc_get=$(loadgen get "$clients")
echo "bench-pg: service POST record, $clients clients, one collection each"
svc_post=$(loadgen post "$clients")
echo "bench-pg: service POST /v1/batch of 25 creations, 8 clients, one collection"
svc_batch=$(loadgen batch 8)

# verdict VALUE TARGET prints ok or BELOW.
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 >= t + 0) ? "ok" : "BELOW target" }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }'; }

get_pct=$(pct "$svc_get" "$pg_select")
post_pct=$(pct "$svc_post" "$pg_insert")
cat <<EOF

bench-pg results ($duration s each, $clients clients unless noted, $(nproc) CPUs shared by pgbench, loadgen, kinto and PostgreSQL)
  pgbench -S (select-only)              $pg_select tps
  pgbench one-row jsonb insert          $pg_insert tps
  service GET record                    $svc_get req/s
  service POST record ($clients collections)  $svc_post req/s
  service batch of 25 (8 clients)       $svc_batch records/s

  GET / pgbench -S        $get_pct %  (target >= 40 %)  $(verdict "$get_pct" 40)
  POST / pgbench insert   $post_pct %  (target >= 30 %)  $(verdict "$post_pct" 30)
  batch records/s         $svc_batch  (target >= 4000)  $(verdict "$svc_batch" 4000)
EOF
