#!/bin/bash
# Runs every tests/integration/t_*.sh against the built binaries, each with a
# time limit (150 s: a hang, never a speed target), and prints "N passed, N failed".
cd "$(dirname "$0")" || exit 2
passed=0 failed=0 skipped=0 failed_names=""
for t in t_*.sh; do
	out=$(timeout -s KILL 150 bash "$t" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS $t"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); echo "SKIP $t: $(echo "$out" | tail -1)"
	else
		failed=$((failed + 1)); failed_names="$failed_names $t"
		echo "FAIL $t (rc $rc)"
		# The failed checks first: otpd's stderr, printed after them, can
		# be long enough to push them out of the tail.
		echo "$out" | grep '^FAIL: ' | sed 's/^/    /'
		echo "$out" | sed 's/^/    /' | tail -40
	fi
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
