#!/usr/bin/env bash
# browser.sh runs the browser suite in test/browser: headless Chromium
# (Debian's chromium package, driven by the pinned npm playwright-core)
# against bin/kinto on 127.0.0.1. It builds the server unless KINTO_BIN is
# set, installs the npm packages when the lock file changed, and runs
# `node --test` under a hard time limit.
#
# Environment: KINTO_BIN, CHROMIUM (default /usr/bin/chromium; install it
# with `apt-get install chromium`), BROWSER_TIMEOUT (seconds; default 120).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "browser: no Chromium at $chromium; install Debian's chromium package or set CHROMIUM" >&2
	exit 1
fi
export CHROMIUM=$chromium
if [ -z "${KINTO_BIN:-}" ]; then
	mkdir -p bin
	"${GO:-go}" build -o bin/kinto ./cmd/kinto
	KINTO_BIN="$root/bin/kinto"
fi
export KINTO_BIN

cd test/browser
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.browser-lock-sha256
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
	echo "browser: npm ci"
	npm ci --no-audit --no-fund
	echo "$lock_hash" >"$stamp"
fi
timeout --kill-after=10 "${BROWSER_TIMEOUT:-120}" node --test --test-concurrency=1 --test-timeout=60000
