#!/usr/bin/env bash
# fuzz.sh runs every Fuzz target of the module for FUZZTIME (default 10s)
# each. Targets are found with `go test -list`, so new ones need no change
# here. (Their seed corpora also run in `make test`.)
set -euo pipefail

fuzztime=${FUZZTIME:-10s}
go=${GO:-go}

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
			"$go" test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$second"
			count=$((count + 1))
		done
		names=()
		;;
	esac
done <<<"$listing"
echo "fuzz: $count target(s) run"
