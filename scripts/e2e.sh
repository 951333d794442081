#!/usr/bin/env bash
# e2e.sh runs the end-to-end suite in test/e2e: the published Kinto
# JavaScript clients (npm kinto, kinto-http), unmodified, against a freshly
# built bin/kinto. It builds the server, installs the pinned npm packages
# from test/e2e/package-lock.json when node_modules is missing or stale,
# and runs `node --test` under a hard time limit; the exit code is the
# suite's (124 when the limit is hit).
#
# Arguments: test files to run (default: all of test/e2e).
# Environment: KINTO_BIN (server binary; default bin/kinto, built here),
# E2E_TIMEOUT (seconds for the whole suite; default 180), GO (go command),
# E2E_APICHECK (default 1; 0 runs the clients against the server directly).
#
# Unless E2E_APICHECK=0, every server the suite starts sits behind
# test/apicheck, a reverse proxy that validates each request and answer
# against the OpenAPI document the server serves on /v1/__api__; the suite
# fails when any exchange does not validate, even if every test passed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
e2e="$root/test/e2e"
cd "$root"

for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e: $tool not found; Node.js 20 or later is required" >&2
		exit 1
	fi
done
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
	echo "e2e: Node.js $(node --version) is too old; 20 or later is required" >&2
	exit 1
fi

if [ -z "${KINTO_BIN:-}" ]; then
	echo "e2e: building bin/kinto"
	mkdir -p bin
	"${GO:-go}" build -o bin/kinto ./cmd/kinto
	KINTO_BIN="$root/bin/kinto"
fi

apicheck_report=""
if [ "${E2E_APICHECK:-1}" != 0 ]; then
	echo "e2e: building bin/apicheck (validates every exchange against /v1/__api__)"
	mkdir -p "$root/bin"
	"${GO:-go}" build -o "$root/bin/apicheck" ./test/apicheck
	apicheck_report=$(mktemp "${TMPDIR:-/tmp}/e2e-apicheck.XXXXXX")
	trap 'rm -f "$apicheck_report"' EXIT
	# Resolved as test/e2e/server.mjs resolves KINTO_BIN: from test/e2e.
	APICHECK_KINTO=$(cd "$e2e" && realpath -m "$KINTO_BIN")
	export APICHECK_KINTO APICHECK_REPORT="$apicheck_report"
	KINTO_BIN="$root/bin/apicheck"
fi
export KINTO_BIN

# npm ci wipes node_modules, so it runs only when the lock file differs
# from the one the current node_modules was installed from.
cd "$e2e"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.e2e-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
	echo "e2e: npm ci"
	npm ci --no-audit --no-fund
	echo "$lock_hash" >"$stamp"
fi

echo "e2e: node --test with KINTO_BIN=$KINTO_BIN"
# timeout signals its whole process group, test files included; each test
# file then stops its server (see test/e2e/server.mjs).
status=0
timeout --kill-after=10 "${E2E_TIMEOUT:-180}" \
	node --test --test-concurrency=1 --test-timeout=60000 "$@" || status=$?
if [ "$status" -eq 124 ]; then
	echo "e2e: suite exceeded ${E2E_TIMEOUT:-180}s" >&2
fi
if [ -n "$apicheck_report" ] && [ -s "$apicheck_report" ]; then
	echo "e2e: $(wc -l <"$apicheck_report") exchange(s) do not match the OpenAPI document (test/apicheck):" >&2
	cat "$apicheck_report" >&2
	if [ "$status" -eq 0 ]; then
		status=1
	fi
fi
exit "$status"
