#!/usr/bin/env bash
# bench-http.sh measures the HTTP edge (issue 15): in one run, a bare
# net/http handler answering a fixed small JSON (scripts/loadgen -bare) and
# `kinto serve` on memory backends with JSON request logs on (written to a
# file), both driven by scripts/loadgen on 127.0.0.1, then prints the
# service's rates as a share of the bare handler's: GET of one record
# (target >= 50 %) and the hello view (target >= 60 %).
#
# Environment: GO (go command), BENCH_DURATION (seconds per measure;
# default 10), BENCH_CLIENTS (connections; default 32), BENCH_START_TIMEOUT
# (seconds for a server to answer; default 20).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
go=${GO:-go}
duration=${BENCH_DURATION:-10}
clients=${BENCH_CLIENTS:-32}
limit=${BENCH_START_TIMEOUT:-20}
work=$(mktemp -d)
name=bench-http
# shellcheck source=scripts/http-bench-lib.sh
. "$root/scripts/http-bench-lib.sh"

echo "bench-http: building kinto and loadgen"
(cd "$root" && "$go" build -o "$work/kinto" ./cmd/kinto && "$go" build -o "$work/loadgen" ./scripts/loadgen)

bare_port=$(free_port)
"$work/loadgen" -bare "127.0.0.1:$bare_port" >"$work/bare.log" 2>&1 &
pids+=($!)
kinto_port=$(free_port)
env -i PATH="$PATH" KINTO_STORAGE_BACKEND=memory KINTO_PERMISSION_BACKEND=memory KINTO_CACHE_BACKEND=memory \
	KINTO_MULTIAUTH_POLICIES=basicauth KINTO_USERID_HMAC_SECRET=bench-secret \
	KINTO_LOG_FORMAT=json KINTO_LOG_LEVEL=info \
	KINTO_LISTEN_HOST=127.0.0.1 KINTO_HTTP_PORT="$kinto_port" \
	"$work/kinto" serve >"$work/server.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$bare_port/"
wait_up "http://127.0.0.1:$kinto_port/v1/__heartbeat__"

# measure NAME URL MODE prints the rate of one loadgen run.
measure() {
	"$work/loadgen" -url "$2" -user bench:bench -mode "$3" -c "$clients" -d "${duration}s" | tee "$work/loadgen-$1.log" >&2
	sed -nE 's/^RESULT ([0-9.]+)$/\1/p' "$work/loadgen-$1.log"
}
echo "bench-http: bare net/http, $clients connections, ${duration}s"
bare=$(measure bare "http://127.0.0.1:$bare_port/" raw)
echo "bench-http: service GET one record"
get=$(measure get "http://127.0.0.1:$kinto_port/v1" get)
echo "bench-http: service hello (GET /v1/)"
hello=$(measure hello "http://127.0.0.1:$kinto_port/v1/" raw)
summaries=$(grep -c '"Type":"request.summary"' "$work/server.log" || true)
if [ "${summaries:-0}" -eq 0 ]; then
	echo "bench-http: the service wrote no JSON request.summary line; logs are not on" >&2
	exit 1
fi

pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? 100 * a / b : 0 }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 >= t + 0) ? "ok" : "BELOW target" }'; }
get_pct=$(pct "$get" "$bare")
hello_pct=$(pct "$hello" "$bare")
cat <<OUT

bench-http results (${duration}s each, $clients connections, $(nproc) CPUs shared by loadgen and the servers; $summaries JSON summary lines logged)
  bare net/http JSON       $bare req/s
  service GET record       $get req/s
  service hello            $hello req/s

  GET record / bare   $get_pct %  (target >= 50 %)  $(verdict "$get_pct" 50)
  hello / bare        $hello_pct %  (target >= 60 %)  $(verdict "$hello_pct" 60)
OUT
