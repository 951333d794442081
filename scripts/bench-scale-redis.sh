#!/usr/bin/env bash
# bench-scale-redis.sh — list reads of the service on Redis over one
# collection of RECORDS (default 100,000) records, and GET of one record
# against redis-benchmark, in one run:
#
#   1. the Redis database of BENCH_REDIS_URL (default redis://127.0.0.1:6379/14,
#      emptied with FLUSHDB before and after: it must be dedicated to this
#      script) holds storage, permissions and cache of `kinto serve`
#      (127.0.0.1, a port the kernel picks);
#   2. the records are created through POST /batch (25 per request), so
#      that they are exactly what the service writes;
#   3. scripts/scalebench -mode measure: p50/p90 of the first page and of a
#      page DEPTH (default 90,000) records deep reached by following
#      Next-Page, in three orders, of filtered pages, of HEAD and of a plain
#      GET; the deep/first ratios (target <= 1.5);
#   4. redis-benchmark -t get and the service's GET of one record with the
#      same number of clients (BENCH_CLIENTS, default 32) for BENCH_DURATION
#      seconds (default 10): the ratio (target >= 50 %).
#
# Environment: RECORDS, DEPTH, BENCH_REDIS_URL, BENCH_CLIENTS,
# BENCH_DURATION, BENCH_ITERATIONS (default 50), BENCH_WALK (default 1000),
# GO, BENCH_START_TIMEOUT.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
records=${RECORDS:-100000}
depth=${DEPTH:-90000}
redis_url=${BENCH_REDIS_URL:-redis://127.0.0.1:6379/14}
clients=${BENCH_CLIENTS:-32}
duration=${BENCH_DURATION:-10}
iterations=${BENCH_ITERATIONS:-50}
walk=${BENCH_WALK:-1000}
limit=${BENCH_START_TIMEOUT:-20}
work=$(mktemp -d)

# The host, port and database of the URL, for redis-benchmark.
if [[ ! $redis_url =~ ^redis://([^:/]+):([0-9]+)/([0-9]+)$ ]]; then
	echo "bench-scale-redis: BENCH_REDIS_URL must be redis://host:port/db" >&2
	exit 2
fi
redis_host=${BASH_REMATCH[1]} redis_port=${BASH_REMATCH[2]} redis_db=${BASH_REMATCH[3]}

flush() {
	local out
	out=$(redis-cli -u "$redis_url" FLUSHDB 2>&1) || true
	if [ "$out" != OK ]; then
		echo "bench-scale-redis: FLUSHDB on $redis_url: $out" >&2
		return 1
	fi
}
name=bench-scale-redis
# shellcheck source=scripts/http-bench-lib.sh
. "$root/scripts/http-bench-lib.sh"
on_cleanup() { flush; }

echo "bench-scale-redis: building kinto and scalebench"
(cd "$root" && "$go" build -o "$work/kinto" ./cmd/kinto && "$go" build -o "$work/scalebench" ./scripts/scalebench)
flush

port=$(free_port)
env -i PATH="$PATH" \
	KINTO_STORAGE_BACKEND=redis "KINTO_STORAGE_URL=$redis_url" \
	KINTO_PERMISSION_BACKEND=redis "KINTO_PERMISSION_URL=$redis_url" \
	KINTO_CACHE_BACKEND=redis "KINTO_CACHE_URL=$redis_url" \
	"KINTO_STORAGE_POOL_SIZE=$clients" \
	KINTO_MULTIAUTH_POLICIES=basicauth KINTO_USERID_HMAC_SECRET=bench-secret \
	KINTO_LISTEN_HOST=127.0.0.1 KINTO_HTTP_PORT="$port" \
	"$work/kinto" serve >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
origin="http://127.0.0.1:$port"
wait_up "$origin/v1/__heartbeat__" "$server_pid" "$work/server.log"
echo "bench-scale-redis: server on $origin, Redis $redis_url"

echo "bench-scale-redis: creating $records records through POST /batch"
"$work/scalebench" -mode load -url "$origin/v1" -records "$records" -c 4
"$work/scalebench" -mode measure -url "$origin/v1" -depth "$depth" -walk "$walk" -n "$iterations" | tee "$work/measure.log"

echo
echo "bench-scale-redis: redis-benchmark -t get -c $clients (database $redis_db)"
requests=$((clients * 5000))
redis_get=$(redis-benchmark -h "$redis_host" -p "$redis_port" --dbnum "$redis_db" -t get -c "$clients" -n "$requests" --csv |
	awk -F'"' '$2 == "GET" { print $4 }')
echo "bench-scale-redis: service GET of one record, $clients clients, ${duration}s"
svc_get=$("$work/scalebench" -mode get -url "$origin/v1" -c "$clients" -d "${duration}s" | tee "$work/get.log" | sed -nE 's/^RESULT ([0-9.]+)$/\1/p')
cat "$work/get.log" | grep -v '^RESULT' >&2

rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status")
awk -v r="$redis_get" -v s="$svc_get" -v c="$clients" -v rss="$rss" -v cpus="$(nproc)" 'BEGIN {
	pct = (r > 0) ? 100 * s / r : 0
	printf "\nbench-scale-redis results (%d clients, %d CPUs shared by redis, the benchmark clients and kinto)\n", c, cpus
	printf "  redis-benchmark -t get          %10.0f req/s\n", r
	printf "  service GET of one record       %10.0f req/s\n", s
	printf "RATIO service GET / redis GET     %9.1f %%  (target >= 50 %%) %s\n", pct, (pct >= 50) ? "ok" : "BELOW target"
	printf "  server RSS                      %10s MB\n", rss
}'
