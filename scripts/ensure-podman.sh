#!/usr/bin/env bash
# ensure-podman.sh installs podman and runc from Debian's packages when no
# podman is installed, and sets the containers.conf that lets runc start
# containers in a sandbox that refuses setrlimit (default_ulimits = []).
# Needs root for the install.
set -euo pipefail

conf=/etc/containers/containers.conf
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
	echo "ensure-podman: installing podman and runc"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq podman runc >/dev/null
fi
if ! grep -qs '^default_ulimits *= *\[\]' "$conf"; then
	# Without it crun/runc fail on setrlimit in this sandbox.
	mkdir -p "$(dirname "$conf")"
	if [ -s "$conf" ]; then
		echo "ensure-podman: $conf exists without default_ulimits = []; leaving it alone" >&2
	else
		printf '[containers]\ndefault_ulimits = []\n' >"$conf"
	fi
fi
podman --version
