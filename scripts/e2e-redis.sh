#!/usr/bin/env bash
# e2e-redis.sh runs the end-to-end suite (scripts/e2e.sh) with the storage,
# permission and cache backends on Redis, all three in the one database of
# E2E_REDIS_URL (default redis://127.0.0.1:6379/11, a database kept for
# this suite). That database is emptied (FLUSHDB: that database only,
# never the others) before each test file and after the last, so that the
# files stay as independent as they are on the memory backend (the same
# user names recur across files). An unreachable server fails the run; it
# never skips.
#
# Environment: E2E_REDIS_URL, plus what scripts/e2e.sh reads.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
url=${E2E_REDIS_URL:-redis://127.0.0.1:6379/11}

if ! command -v redis-cli >/dev/null 2>&1; then
	echo "e2e-redis: redis-cli not found" >&2
	exit 1
fi

flush() {
	local out
	out=$(redis-cli -u "$url" FLUSHDB 2>&1) || true
	if [ "$out" != OK ]; then
		echo "e2e-redis: FLUSHDB on $url: $out" >&2
		return 1
	fi
}
trap 'flush || true' EXIT

mkdir -p bin
"${GO:-go}" build -o bin/kinto ./cmd/kinto
export KINTO_BIN="$root/bin/kinto"
export E2E_BACKEND_SETTINGS="{\"KINTO_STORAGE_BACKEND\":\"redis\",\"KINTO_STORAGE_URL\":\"$url\",\"KINTO_PERMISSION_BACKEND\":\"redis\",\"KINTO_PERMISSION_URL\":\"$url\",\"KINTO_CACHE_BACKEND\":\"redis\",\"KINTO_CACHE_URL\":\"$url\"}"

status=0
for file in test/e2e/*.test.mjs; do
	flush
	echo "e2e-redis: $(basename "$file") on $url"
	scripts/e2e.sh "$root/$file" || status=$?
done
exit "$status"
