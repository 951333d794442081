#!/usr/bin/env bash
# fuzz.sh runs every Fuzz target of the module for FUZZTIME (default 10s)
# each. Targets are found with `go test -list`, so new ones need no change
# here. (Their seed corpora also run in `make test`.)
set -euo pipefail

fuzztime=${FUZZTIME:-10s}
go=${GO:-go}

# run_target PACKAGE TARGET fuzzes one target, without minimizing inputs
# (a failing input is written as found), so that a run ends at FUZZTIME.
# Go's fuzzing engine can still end a run with "context deadline exceeded"
# when a worker is slow to stop at the deadline on a busy machine, without
# any failing input: such a run is retried, twice at most. A real failure
# writes its input under testdata/fuzz and fails at once.
run_target() {
	local out status attempt
	out=$(mktemp)
	for attempt in 1 2 3; do
		status=0
		"$go" test -run '^$' -fuzz "^${2}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 "$1" 2>&1 | tee "$out" || status=$?
		if [ "$status" -eq 0 ] || ! grep -q 'context deadline exceeded' "$out" || grep -q 'Failing input written' "$out"; then
			break
		fi
		echo "fuzz: $2 stopped late without a failing input (attempt $attempt)"
	done
	rm -f "$out"
	return "$status"
}

# `go test -list` prints each package's matching names, then its
# "ok <package> <time>" line.
listing=$("$go" test -list '^Fuzz' ./...)
count=0
names=()
while read -r first second _; do
	case "$first" in
	Fuzz*) names+=("$first") ;;
	ok)
		for target in "${names[@]}"; do
			echo "fuzz: $second $target ($fuzztime)"
			run_target "$second" "$target"
			count=$((count + 1))
		done
		names=()
		;;
	esac
done <<<"$listing"
echo "fuzz: $count target(s) run"
