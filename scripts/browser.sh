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
name=browser
# shellcheck source=scripts/browser-lib.sh
. "$root/scripts/browser-lib.sh"
browser_setup
timeout --kill-after=10 "${BROWSER_TIMEOUT:-120}" node --test --test-concurrency=1 --test-timeout=60000
