#!/bin/sh
# make bench: benchmarks, never part of make check.  Prints a table and
# writes machine-readable lines ("metric NAME SYSTEM VALUE UNIT") to
# build/bench/results.txt.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
mkdir -p "$B/bench"
"$B/bench/core_bench" | tee "$B/bench/core.txt" | grep -v '^metric'
BUILD=$B python3 bench/proc_bench.py | tee "$B/bench/proc.txt" | grep -v '^metric'
cat "$B/bench/core.txt" "$B/bench/proc.txt" | grep '^metric' | sed 's/^metric //' \
	> "$B/bench/results.txt"
echo "results: $B/bench/results.txt"
