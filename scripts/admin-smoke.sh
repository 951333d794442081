#!/usr/bin/env bash
# admin-smoke.sh [ADMIN_DIR] drives a real kinto-admin build against
# bin/kinto in headless Chromium (test/browser/admin-smoke.mjs): sign in,
# create a bucket, a collection and a record through the admin's forms,
# check them with HTTP GETs, save a screenshot. The project ships no
# kinto-admin build, so this runs only on purpose and fails when ADMIN_DIR
# holds none; it is not part of .ci/run.
#
# Environment: ADMIN_DIR (default bin/admin, where `make admin` installs),
# SCREENSHOT (default bin/admin-smoke.png), AUTH (basicauth, the default,
# or accounts), KINTO_BIN (built into bin/kinto when unset), CHROMIUM
# (default /usr/bin/chromium), ADMIN_SMOKE_TIMEOUT (seconds; default 120).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
admin_dir=${1:-${ADMIN_DIR:-bin/admin}}
if [ ! -f "$admin_dir/index.html" ]; then
	echo "admin-smoke: $admin_dir has no index.html: no kinto-admin build there." >&2
	echo "admin-smoke: install one with 'make admin ARCHIVE=path/to/kinto-admin-release.tar' or pass ADMIN_DIR=path/to/build" >&2
	exit 1
fi
export ADMIN_DIR
ADMIN_DIR=$(cd "$admin_dir" && pwd)
screenshot=${SCREENSHOT:-bin/admin-smoke.png}
mkdir -p "$(dirname "$screenshot")"
export SCREENSHOT
SCREENSHOT="$(cd "$(dirname "$screenshot")" && pwd)/$(basename "$screenshot")"

name=admin-smoke
# shellcheck source=scripts/browser-lib.sh
. "$root/scripts/browser-lib.sh"
browser_setup
echo "admin-smoke: kinto-admin $(cat "$ADMIN_DIR/VERSION" 2>/dev/null || echo '(no VERSION)') from $ADMIN_DIR"
timeout --kill-after=10 "${ADMIN_SMOKE_TIMEOUT:-120}" node admin-smoke.mjs
