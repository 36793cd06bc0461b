#!/bin/sh
# make bench: benchmarks, never part of make check.  Prints a table and
# writes machine-readable lines ("metric NAME SYSTEM VALUE UNIT") to
# build/bench/results.txt.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
mkdir -p "$B/bench"
"$B/bench/core_bench" | tee "$B/bench/core.txt" | grep -v '^metric'
grep '^metric' "$B/bench/core.txt" | sed 's/^metric //' > "$B/bench/results.txt"
echo "results: $B/bench/results.txt"
