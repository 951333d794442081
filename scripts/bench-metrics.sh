#!/usr/bin/env bash
# bench-metrics.sh measures what metrics cost a request's throughput
# (observability issue): two `kinto serve` on memory backends with JSON
# request logs on, one without metrics and one with StatsD (to a local UDP
# socket nobody reads: the client pays every send, the kernel drops the
# packets) and the Prometheus plugin together, driven in turns by
# scripts/loadgen (GET of one record, Basic auth) on 127.0.0.1; prints
# each round and the overhead of the medians (target < 5 %). Only one
# server is driven at a time; the other is idle.
#
# Environment: GO (go command), BENCH_DURATION (seconds per measure;
# default 5), BENCH_ROUNDS (default 3), BENCH_CLIENTS (connections;
# default 32), BENCH_START_TIMEOUT (seconds for a server to answer;
# default 20).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
duration=${BENCH_DURATION:-5}
rounds=${BENCH_ROUNDS:-3}
clients=${BENCH_CLIENTS:-32}
limit=${BENCH_START_TIMEOUT:-20}
work=$(mktemp -d)
name=bench-metrics
# shellcheck source=scripts/http-bench-lib.sh
. "$root/scripts/http-bench-lib.sh"

echo "bench-metrics: building kinto and loadgen"
(cd "$root" && "$go" build -o "$work/kinto" ./cmd/kinto && "$go" build -o "$work/loadgen" ./scripts/loadgen)

# A UDP socket bound and never read: the StatsD daemon.
statsd_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1',$statsd_port)); time.sleep(3600)" &
pids+=($!)

# start NAME EXTRA_ENV... starts a server and prints its port.
start() {
	local name=$1 port
	shift
	port=$(free_port)
	env -i PATH="$PATH" KINTO_STORAGE_BACKEND=memory KINTO_PERMISSION_BACKEND=memory KINTO_CACHE_BACKEND=memory \
		KINTO_MULTIAUTH_POLICIES=basicauth KINTO_USERID_HMAC_SECRET=bench-secret \
		KINTO_LOG_FORMAT=json KINTO_LOG_LEVEL=info \
		KINTO_LISTEN_HOST=127.0.0.1 KINTO_HTTP_PORT="$port" "$@" \
		"$work/kinto" serve >"$work/$name.log" 2>&1 &
	pids+=($!)
	echo "$port"
}
off_port=$(start off)
on_port=$(start on KINTO_STATSD_URL="udp://127.0.0.1:$statsd_port" \
	KINTO_INCLUDES="kinto.plugins.default_bucket kinto.plugins.prometheus")
wait_up "http://127.0.0.1:$off_port/v1/__heartbeat__"
wait_up "http://127.0.0.1:$on_port/v1/__heartbeat__"
curl -fsS -o /dev/null "http://127.0.0.1:$on_port/v1/__metrics__" || {
	echo "bench-metrics: the server with metrics serves no /v1/__metrics__" >&2
	exit 1
}

measure() {
	"$work/loadgen" -url "http://127.0.0.1:$2/v1" -user bench:bench -mode get -c "$clients" -d "${duration}s" >"$work/loadgen-$1.log"
	sed -nE 's/^RESULT ([0-9.]+)$/\1/p' "$work/loadgen-$1.log"
}
offs=() ons=()
for r in $(seq "$rounds"); do
	off=$(measure "off-$r" "$off_port")
	on=$(measure "on-$r" "$on_port")
	offs+=("$off") ons+=("$on")
	echo "bench-metrics: round $r: off $off req/s, statsd+prometheus $on req/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
off_m=$(median "${offs[@]}")
on_m=$(median "${ons[@]}")
samples=$(curl -fsS "http://127.0.0.1:$on_port/v1/__metrics__")
grep -q 'request_duration_seconds' <<<"$samples" || {
	echo "bench-metrics: /v1/__metrics__ has no request_duration_seconds after the run" >&2
	exit 1
}
awk -v off="$off_m" -v on="$on_m" -v c="$clients" -v d="$duration" -v n="$rounds" -v cpus="$(nproc)" 'BEGIN {
	o = (off > 0) ? 100 * (off - on) / off : 0
	printf "\nbench-metrics results (GET one record, %d connections, %d rounds of %ds, %d CPUs shared by loadgen and the servers)\n", c, n, d, cpus
	printf "  metrics off               %10.0f req/s (median)\n", off
	printf "  statsd + prometheus on    %10.0f req/s (median)\n", on
	printf "OVERHEAD                    %9.1f %%  (target < 5 %%) %s\n", o, (o < 5) ? "ok" : "ABOVE target"
}'
