#!/usr/bin/env bash
# container.sh ENGINE ARGS... runs a podman or docker command with the
# options this project needs on each engine:
# - podman builds in Docker's image format, since the OCI format has no
#   HEALTHCHECK;
# - podman runs with runc and cgroupfs when runc is installed (crun fails on
#   hybrid cgroups, as on the CI machine).
#   PODMAN_FLAGS replaces those global options ("" for none).
set -euo pipefail

engine=${1:?usage: container.sh ENGINE ARGS...}
shift
case "$(basename "$engine")" in
podman)
	flags=()
	if [ -n "${PODMAN_FLAGS+set}" ]; then
		read -r -a flags <<<"$PODMAN_FLAGS"
	elif command -v runc >/dev/null 2>&1; then
		flags=(--runtime runc --cgroup-manager=cgroupfs)
	fi
	if [ "${1:-}" = build ]; then
		shift
		set -- build --format docker "$@"
	fi
	exec "$engine" "${flags[@]}" "$@"
	;;
*)
	exec "$engine" "$@"
	;;
esac
