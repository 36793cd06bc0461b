#!/bin/bash
# run.sh SECONDS TARGET...: run each libFuzzer target of tests/fuzz/ for
# SECONDS, one after the other, and fail if any of them found something.
#
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET, read
# only) plus a working corpus kept between runs in
# $FUZZ_BUILD/corpus/TARGET; crashes, leaks, timeouts and broken
# invariants are saved in $FUZZ_BUILD/artifacts/TARGET/ and the path of the
# reproducer is printed (rerun it with: $FUZZ_BUILD/fuzz/fuzz_TARGET FILE).
# TARGET.options, when present, holds more libFuzzer flags for it.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
FUZZ_BUILD=${FUZZ_BUILD:-build/fuzz}
secs=$1; shift
failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Sockets and files of the targets (fuzz_mailbox): in the build, not /tmp.
export TMPDIR=$FUZZ_BUILD/tmp
mkdir -p "$TMPDIR"
for t in "$@"; do
	bin=$FUZZ_BUILD/fuzz/fuzz_$t
	work=$FUZZ_BUILD/corpus/$t
	art=$FUZZ_BUILD/artifacts/$t
	log=$FUZZ_BUILD/logs/$t.log
	mkdir -p "$work" "$art" "$(dirname "$log")"
	opts=()
	[ -f "$HERE/$t.dict" ] && opts+=("-dict=$HERE/$t.dict")
	[ -f "$HERE/$t.options" ] && read -r -a more < "$HERE/$t.options" && opts+=("${more[@]}")
	before=$(ls "$art" | wc -l)
	# libFuzzer's own -max_total_time, and a hard stop well after it.
	timeout -s KILL $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$art/" "${opts[@]}" \
		"$work" "$HERE/corpus/$t" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	new=$(ls -t "$art" | head -n $(( $(ls "$art" | wc -l) - before )))
	if [ $rc -ne 0 ] || [ -n "$new" ]; then
		failed=1
		echo "FUZZ FAIL $t (rc $rc, ${execs:-?} executions)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: invariant|.*runtime error)' "$log" | head -5 | sed 's/^/    /'
		for a in $new; do echo "    reproducer: $art/$a"; done
		echo "    log: $log"
	else
		echo "fuzz $t: ${execs:-?} executions in ${secs}s, ${cov:-cov ?}, nothing found"
	fi
done
exit $failed
