#!/usr/bin/env bash
# bench-scale-memory.sh — what the memory backend holds and gives back, in
# one run of `kinto serve` on memory backends (127.0.0.1, its own port):
#
#   RSS at start; after RECORDS (default 100,000) records of about SIZE
#   (default 1024) bytes created through POST /batch; right after deleting
#   them all (DELETE of the list, repeated until empty: they become
#   tombstones); then every 5 s for IDLE (default 30) seconds without any
#   request. Memory must go back to the OS without traffic; what stays is
#   the tombstones' cost, printed per tombstone (an upper bound: the Go
#   runtime's own pages are counted too). The exact heap cost of a
#   tombstone is held under 200 bytes by TestTombstoneFootprint
#   (internal/adapters/memory).
#
# Environment: RECORDS, SIZE, IDLE, BENCH_CLIENTS (batch requests at a
# time; default 4), GO, BENCH_START_TIMEOUT, and the server's own KINTO_*
# settings through KINTO_EXTRA (e.g. KINTO_EXTRA="GOGC=50").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
records=${RECORDS:-100000}
size=${SIZE:-1024}
idle=${IDLE:-30}
clients=${BENCH_CLIENTS:-4}
limit=${BENCH_START_TIMEOUT:-20}
work=$(mktemp -d)
name=bench-scale-memory
# shellcheck source=scripts/http-bench-lib.sh
. "$root/scripts/http-bench-lib.sh"

echo "bench-scale-memory: building kinto and scalebench"
(cd "$root" && "$go" build -o "$work/kinto" ./cmd/kinto && "$go" build -o "$work/scalebench" ./scripts/scalebench)

port=$(free_port)
read -r -a extra <<<"${KINTO_EXTRA:-}"
env -i PATH="$PATH" KINTO_STORAGE_BACKEND=memory KINTO_PERMISSION_BACKEND=memory KINTO_CACHE_BACKEND=memory \
	KINTO_MULTIAUTH_POLICIES=basicauth KINTO_USERID_HMAC_SECRET=bench-secret \
	KINTO_LISTEN_HOST=127.0.0.1 KINTO_HTTP_PORT="$port" "${extra[@]}" \
	"$work/kinto" serve >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
origin="http://127.0.0.1:$port"
wait_up "$origin/v1/__heartbeat__" "$server_pid" "$work/server.log"

# rss prints the server's resident set in MB.
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }
rows=()
note() { rows+=("$(printf '  %-40s %8s MB' "$1" "$(rss)")"); echo "bench-scale-memory: $1: $(rss) MB"; }

note "at start"
base=$(rss)
# The record's other fields take about 60 bytes of its JSON.
"$work/scalebench" -mode load -url "$origin/v1" -records "$records" -size $((size > 60 ? size - 60 : 0)) -c "$clients"
note "after $records records of ~$size B"
"$work/scalebench" -mode delete -url "$origin/v1"
note "right after deleting them"
for ((t = 5; t <= idle; t += 5)); do
	sleep 5
	note "idle ${t} s later"
done
last=$(rss)
live=$(curl -fsS -I -u bench:bench "$origin/v1/buckets/scale/collections/records/records" | tr -d '\r' | sed -n 's/^Total-Objects: //Ip')

echo
echo "bench-scale-memory results (RSS of kinto serve on memory backends)"
printf '%s\n' "${rows[@]}"
awk -v b="$base" -v l="$last" -v n="$records" 'BEGIN {
	printf "  RSS over the start, per tombstone     %8.0f B (upper bound; %d tombstones, %s live records)\n", (l - b) * 1048576 / n, n, "'"$live"'"
}'
