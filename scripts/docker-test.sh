#!/usr/bin/env bash
# docker-test.sh IMAGE [SERVICE] runs the image of SERVICE (kinto, the
# default, or readinglist: the command in the image, its project name and
# the prefix of its variables) on a free port of the host network, waits
# for __heartbeat__, checks the hello view and the healthcheck command, and
# always removes the container. CONTAINER_ENGINE picks podman or docker
# (default: podman when present).
set -euo pipefail

image=${1:?usage: docker-test.sh IMAGE [SERVICE]}
service=${2:-kinto}
case "$service" in
*[!a-z0-9_-]* | "") echo "docker-test: bad service name '$service'" >&2; exit 2 ;;
esac
prefix=$(printf '%s' "$service" | tr '[:lower:]-' '[:upper:]_')
here=$(cd "$(dirname "$0")" && pwd)
engine=${CONTAINER_ENGINE:-$(command -v podman >/dev/null 2>&1 && echo podman || echo docker)}
ctr() { "$here/container.sh" "$engine" "$@"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 50); do
	candidate=$((20000 + RANDOM % 40000))
	if port_free "$candidate"; then
		port=$candidate
		break
	fi
done
[ -n "$port" ] || { echo "docker-test: no free port found" >&2; exit 1; }

name="cliquet-docker-test-$$"
cleanup() {
	ctr rm -f "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail() {
	echo "docker-test: FAIL: $*" >&2
	echo "--- container logs ---" >&2
	ctr logs "$name" >&2 || true
	exit 1
}

run_flags=()
if [ "$(basename "$engine")" = podman ]; then
	# podman schedules HEALTHCHECKs with systemd timers, absent here; the
	# check is run once by hand below instead.
	run_flags=(--health-interval=disable)
fi

echo "docker-test: running $image ($service) with $engine on 127.0.0.1:$port"
if ! out=$(ctr run -d --name "$name" --network host "${run_flags[@]}" -e "${prefix}_HTTP_PORT=$port" "$image" 2>&1); then
	fail "run: $out"
fi
# Drop the container id and podman's complaint that it has no systemd to
# schedule health checks with; keep anything else.
grep -v -e '^[0-9a-f]\{64\}$' -e 'systemd connection' <<<"$out" >&2 || true

base="http://127.0.0.1:$port/v1"
ok=""
for _ in $(seq 60); do
	if beat=$(curl -fsS "$base/__heartbeat__" 2>/dev/null); then
		ok=1
		break
	fi
	state=$(ctr inspect --format '{{.State.Status}}' "$name" 2>/dev/null || echo gone)
	case "$state" in running | created) ;; *) fail "container is $state" ;; esac
	sleep 0.5
done
[ -n "$ok" ] || fail "__heartbeat__ did not answer 200 within 30s"
echo "docker-test: __heartbeat__ $beat"
# Kinto checks its three backends; the readinglist example keeps no cache
# or permissions of its own and checks its storage only.
case "$service" in
kinto) backends="storage cache permission" ;;
*) backends="storage" ;;
esac
for backend in $backends; do
	grep -q "\"$backend\":true" <<<"$beat" || fail "__heartbeat__ lacks $backend:true: $beat"
done
grep -q ':false' <<<"$beat" && fail "__heartbeat__ reports a failing check: $beat"

hello=$(curl -fsS "$base/") || fail "GET /v1/ failed"
echo "docker-test: hello $hello"
for want in "\"project_name\":\"$service\"" '"http_api_version":"1.23"' "\"url\":\"$base/\"" '"batch_max_requests":25'; do
	grep -qF "$want" <<<"$hello" || fail "hello lacks $want"
done

version=$(curl -fsS "$base/__version__") || fail "GET /v1/__version__ failed"
grep -q '"version"' <<<"$version" || fail "__version__ lacks version: $version"
grep -qF "\"name\":\"$service\"" <<<"$version" || fail "__version__ lacks name $service: $version"

ctr exec "$name" "/$service" healthcheck >/dev/null || fail "healthcheck command failed inside the container"
if [ "$(basename "$engine")" = podman ]; then
	check=$(ctr image inspect --format '{{json .HealthCheck.Test}}' "$image")
	ctr healthcheck run "$name" || fail "podman healthcheck run: unhealthy"
else
	check=$(ctr image inspect --format '{{json .Config.Healthcheck.Test}}' "$image")
fi
[ "$check" = "[\"CMD\",\"/$service\",\"healthcheck\"]" ] || fail "image HEALTHCHECK is $check"

user=$(ctr inspect --format '{{.Config.User}}' "$image")
[ "$user" = "10001:10001" ] || fail "image user is '$user', want 10001:10001"

echo "docker-test: PASS"
