# http-bench-lib.sh: what the HTTP benchmark scripts share (bench-http.sh,
# bench-metrics.sh, bench-scale-memory.sh, bench-scale-redis.sh). Source it
# after setting work (a temporary folder), limit (seconds a server has to
# answer) and name (the script's name, for messages). On exit it kills the
# processes listed in pids, runs on_cleanup when the script defines one,
# and removes work.

pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	if declare -F on_cleanup >/dev/null; then on_cleanup || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# free_port prints a port the kernel considers free on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_up URL [PID LOG] waits, bounded, until URL answers; with PID, it
# gives up at once, printing LOG, when that process has died.
wait_up() {
	for _ in $(seq $((limit * 10))); do
		curl -fsS --max-time 1 -o /dev/null "$1" 2>/dev/null && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
			cat "${3:-/dev/null}" >&2
			echo "$name: the server exited before $1 answered" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$name: $1 did not answer within ${limit}s" >&2
	return 1
}
