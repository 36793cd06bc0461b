#!/bin/sh
# make bench: otpd side by side with s6, runit, supervisord, tini, dumb-init
# and catatonit (installed by bench/setup.sh), never part of make check.
# Prints one table and otpd's targets; writes $BUILD/bench/results.txt
# ("metric system value unit" per line) and $BUILD/bench/table.md.
# Arguments go to bench/bench.py (--quick, --only SCENARIO,...).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
bench/setup.sh
exec python3 bench/bench.py "$@"
