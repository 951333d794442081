# pg-bench-lib.sh — shared by scripts/bench-pg.sh and
# scripts/count-statements.sh (sourced, not run): building the binaries,
# recreating the dedicated database, and running `kinto serve` on it on
# 127.0.0.1. Every wait is bounded.
#
# Environment read: BENCH_PG_ADMIN_URL (a URL of the PostgreSQL server, used
# to create the database; default the local server's postgres database),
# GO (go command), BENCH_START_TIMEOUT (seconds for the server to answer;
# default 20).

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
admin_url=${BENCH_PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
work=$(mktemp -d)
server_pid=""

bench_cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}

# db_url NAME prints admin_url with its database replaced by NAME.
db_url() {
	printf '%s' "$admin_url" | sed -E "s#^(postgres(ql)?://[^/]+/)[^?]*#\1$1#"
}

# build_binaries builds kinto and loadgen into $work.
build_binaries() {
	(cd "$root" && "${GO:-go}" build -o "$work/kinto" ./cmd/kinto && "${GO:-go}" build -o "$work/loadgen" ./scripts/loadgen)
}

# recreate_db NAME drops and creates database NAME (it is the script's
# own: whatever it held is lost).
recreate_db() {
	psql "$admin_url" -v ON_ERROR_STOP=1 -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null
	psql "$admin_url" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $1" >/dev/null
}

# kinto_env URL POOL prints the settings of a server on URL with a
# storage pool of POOL connections (permission shares it: same URL).
kinto_env() {
	printf '%s\n' \
		KINTO_STORAGE_BACKEND=postgresql "KINTO_STORAGE_URL=$1" \
		KINTO_PERMISSION_BACKEND=postgresql "KINTO_PERMISSION_URL=$1" \
		KINTO_CACHE_BACKEND=memory \
		"KINTO_STORAGE_POOL_SIZE=$2" KINTO_STORAGE_MAX_OVERFLOW=0 \
		KINTO_MULTIAUTH_POLICIES=basicauth KINTO_USERID_HMAC_SECRET=bench-secret \
		KINTO_LISTEN_HOST=127.0.0.1 KINTO_HTTP_PORT=0
}

# start_server URL POOL migrates the database and starts kinto on a port
# the kernel picks; it sets server_pid and origin (http://127.0.0.1:port).
start_server() {
	local -a env
	mapfile -t env < <(kinto_env "$1" "$2")
	env -i PATH="$PATH" "${env[@]}" "$work/kinto" migrate >/dev/null
	env -i PATH="$PATH" "${env[@]}" "$work/kinto" serve >"$work/server.log" 2>&1 &
	server_pid=$!
	local limit=${BENCH_START_TIMEOUT:-20} addr=""
	for _ in $(seq $((limit * 10))); do
		if ! kill -0 "$server_pid" 2>/dev/null; then
			echo "kinto serve exited:" >&2
			cat "$work/server.log" >&2
			return 1
		fi
		addr=$(sed -nE 's/.*addr="?(127\.0\.0\.1:[0-9]+)"?.*/\1/p' "$work/server.log" | head -1)
		if [ -n "$addr" ] && curl -fsS --max-time 1 -o /dev/null "http://$addr/v1/__heartbeat__"; then
			origin="http://$addr"
			return 0
		fi
		sleep 0.1
	done
	echo "kinto serve did not answer within ${limit}s:" >&2
	cat "$work/server.log" >&2
	return 1
}
