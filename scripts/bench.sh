#!/usr/bin/env bash
# bench.sh runs the benchmarks of the performance requirements of issues 4
# (record protocol: memory storage and HTTP handler) and 5 (permission
# filtering through the Kinto wiring) and 15 (allocations per request at
# the HTTP edge), briefly, then prints the ratios the
# issues ask for: page 100 against page 1, and the cost with many objects
# the caller cannot see against the cost with few. Each ratio should be
# about 1; on a busy machine expect noise of a few tens of percent.
#
# Environment: BENCHTIME (per benchmark; default 300ms), GO (go command),
# BENCH_MAX_RATIO (when set, exit 1 if a ratio is above it, e.g. 3).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
benchtime=${BENCHTIME:-300ms}
go=${GO:-go}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() { # package, benchmark regexp
	echo "bench: $1 -bench '$2' -benchtime $benchtime" >&2
	"$go" test -run '^$' -bench "$2" -benchmem -benchtime "$benchtime" -count 1 "$1" | tee -a "$out"
}

run ./internal/adapters/memory/ '.'
run ./internal/adapters/http/ '^BenchmarkHTTP'
run ./cmd/kinto/ '^Benchmark(Kinto|Edge)'

echo
echo "edge cost per request, JSON logs on (issue 15; targets: GET record <= 50 allocs and 6 KB, POST <= 100 allocs; hello as low as it goes):"
awk '/^BenchmarkEdge\// {
	name = $1; sub(/-[0-9]+$/, "", name); sub(/^BenchmarkEdge\//, "", name)
	for (i = 2; i < NF; i++) {
		if ($(i + 1) == "ns/op") { ns = $i }
		if ($(i + 1) == "B/op") { by = $i }
		if ($(i + 1) == "allocs/op") { al = $i }
	}
	verdict = ""
	if (name == "get-record") { verdict = (al <= 50 && by <= 6144) ? "within target" : "OVER TARGET" }
	if (name == "post-record") { verdict = (al <= 100) ? "within target" : "OVER TARGET" }
	printf "  %-14s %6s allocs %8s B %10s ns  %s\n", name, al, by, ns, verdict
}' "$out"

echo
echo "ratios (want about 1):"
awk -v max="${BENCH_MAX_RATIO:-}" '
	/^Benchmark/ {
		name = $1
		sub(/-[0-9]+$/, "", name) # the GOMAXPROCS suffix
		for (i = 2; i < NF; i++) {
			if ($(i + 1) == "ns/op") { ns[name] = $i }
		}
	}
	function ratio(label, num, den,   r) {
		if (!(num in ns) || !(den in ns)) {
			printf "  %-58s missing (%s or %s)\n", label, num, den
			failed = 1
			return
		}
		r = ns[num] / ns[den]
		printf "  %-58s %8.2f  (%s / %s ns)\n", label, r, ns[num], ns[den]
		if (max != "" && r > max + 0) { failed = 1 }
	}
	END {
		ratio("memory: page 100 / page 1, default sort", "BenchmarkListPageDepth/default-sort/page-100", "BenchmarkListPageDepth/default-sort/page-1")
		ratio("memory: page 100 / page 1, sort by title", "BenchmarkListPageDepth/sort-by-title/page-100", "BenchmarkListPageDepth/sort-by-title/page-1")
		ratio("memory: id in, 10 of 100k / 10 of 100", "BenchmarkListIDIn/10-of-100000/list", "BenchmarkListIDIn/10-of-100/list")
		ratio("http: page 100 / page 1, default sort (_token)", "BenchmarkHTTPPageDepth/default-sort/page-100", "BenchmarkHTTPPageDepth/default-sort/page-1")
		ratio("http: page 100 / page 1, _sort=title (_token)", "BenchmarkHTTPPageDepth/sort-title/page-100", "BenchmarkHTTPPageDepth/sort-title/page-1")
		ratio("kinto: GET /v1/permissions, 100 of 100k / 100 of 1k", "BenchmarkKintoPermissions/100-of-100000", "BenchmarkKintoPermissions/100-of-1000")
		ratio("kinto: GET records, 10 readable of 100k / of 100", "BenchmarkKintoRecordsList/10-of-100000", "BenchmarkKintoRecordsList/10-of-100")
		exit failed
	}
' "$out"
