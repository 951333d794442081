#!/usr/bin/env bash
# e2e-postgres.sh runs the end-to-end suite (scripts/e2e.sh) with the
# storage, permission and cache backends on PostgreSQL. Each test file gets a
# database of its own on the server of CLIQUET_TEST_POSTGRES_URL, prepared
# with `kinto migrate` and dropped afterwards whatever happens, so that the
# files stay as independent as they are on the memory backend (the same
# user names recur across files). An unreachable server fails the run; it
# never skips.
#
# Environment: CLIQUET_TEST_POSTGRES_URL (default the local test server),
# plus what scripts/e2e.sh reads.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
admin_url=${CLIQUET_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

mkdir -p bin
"${GO:-go}" build -o bin/kinto ./cmd/kinto
export KINTO_BIN="$root/bin/kinto"

current=""
drop_current() {
	if [ -n "$current" ]; then
		psql "$admin_url" -qc "DROP DATABASE IF EXISTS $current WITH (FORCE)" >/dev/null || true
	fi
}
trap drop_current EXIT

status=0
for file in test/e2e/*.test.mjs; do
	current="e2e_$(date +%s)_$$"
	# The file's database: the admin URL with the database name replaced.
	db_url=$(printf '%s' "$admin_url" | sed -E "s#^(postgres(ql)?://[^/]+/)[^?]*#\1$current#")
	psql "$admin_url" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $current"
	KINTO_STORAGE_BACKEND=postgresql KINTO_STORAGE_URL="$db_url" \
		KINTO_PERMISSION_BACKEND=postgresql KINTO_PERMISSION_URL="$db_url" \
		KINTO_CACHE_BACKEND=postgresql KINTO_CACHE_URL="$db_url" \
		"$KINTO_BIN" migrate >/dev/null
	export E2E_BACKEND_SETTINGS="{\"KINTO_STORAGE_BACKEND\":\"postgresql\",\"KINTO_STORAGE_URL\":\"$db_url\",\"KINTO_PERMISSION_BACKEND\":\"postgresql\",\"KINTO_PERMISSION_URL\":\"$db_url\",\"KINTO_CACHE_BACKEND\":\"postgresql\",\"KINTO_CACHE_URL\":\"$db_url\"}"
	echo "e2e-postgres: $(basename "$file") on database $current"
	scripts/e2e.sh "$root/$file" || status=$?
	drop_current
	current=""
done
exit "$status"
