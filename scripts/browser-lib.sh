# browser-lib.sh: what the headless Chromium scripts share (browser.sh,
# admin-smoke.sh). Source it from the repository's root with name set (the
# script's name, for messages), then call browser_setup: it checks
# Chromium (CHROMIUM, default /usr/bin/chromium), builds bin/kinto unless
# KINTO_BIN is set, exports both, moves into test/browser and installs its
# npm packages when the lock file changed.

browser_setup() {
	local chromium=${CHROMIUM:-/usr/bin/chromium}
	if [ ! -x "$chromium" ]; then
		echo "$name: no Chromium at $chromium; install Debian's chromium package or set CHROMIUM" >&2
		exit 1
	fi
	export CHROMIUM=$chromium
	if [ -z "${KINTO_BIN:-}" ]; then
		mkdir -p bin
		"${GO:-go}" build -o bin/kinto ./cmd/kinto
		KINTO_BIN="$PWD/bin/kinto"
	fi
	export KINTO_BIN

	cd test/browser
	local lock_hash stamp=node_modules/.browser-lock-sha256
	lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
		echo "$name: npm ci"
		npm ci --no-audit --no-fund
		echo "$lock_hash" >"$stamp"
	fi
}
