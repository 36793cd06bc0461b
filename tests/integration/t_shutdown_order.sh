# shutdown_order (issue 19): with parallel, every child gets its stop at
# once; with reverse (OTP's rule, the default), one at a time from the last.
# Proven from the workers' own stamps, not from wall-clock time: under
# parallel each worker waits, after its TERM, until all ten have had theirs
# (--term-wait 10), then takes 100 ms to exit; one at a time, the first
# would wait in vain and be killed at its 1 s deadline.
. "$(dirname "$0")/lib.sh"

{
	printf '[supervisor root]\nshutdown_order = parallel\n'
	for i in 0 1 2 3 4 5 6 7 8 9; do
		printf '[worker w%s]\nexec = %s --stamp %s/stamps --term-wait 10 --term-exit 100\nshutdown = 1s\n' \
			"$i" "$TW" "$T"
	done
} | conf
start_otpd || { fail "otpd did not start"; finish; }
for i in 0 1 2 3 4 5 6 7 8 9; do wait_state w$i running; done
# running is exec'd; a "start" stamp is the TERM handler in place
wait_for sh -c "[ \$(grep -c '^start' $T/stamps) -eq 10 ]" || fail "ten start stamps"
: > "$T/stamps"
kill -TERM "$OTPD_PID"
otpd_wait
expect_eq "parallel: exit code" "$RC" 0
expect_eq "parallel: ten TERMs" "$(grep -c '^term' "$T/stamps")" 10
expect_eq "parallel: ten exits, none killed" "$(grep -c '^exit' "$T/stamps")" 10
last_term=$(grep -n '^term' "$T/stamps" | tail -1 | cut -d: -f1)
first_exit=$(grep -n '^exit' "$T/stamps" | head -1 | cut -d: -f1)
[ -n "$first_exit" ] && [ "$last_term" -lt "$first_exit" ] &&
	pass "parallel: every worker had its TERM before any had gone" ||
	fail "parallel: stamps interleave: $(tr '\n' ' ' < "$T/stamps")"
grep -q 'stopped: killed' "$T/err" && fail "parallel: a worker was killed: $(grep killed "$T/err")" ||
	pass "parallel: no worker killed"

# reverse: c, then b, then a, each only once the one before has exited.
conf <<EOF2
[worker a]
exec = $TW --stamp $T/stamps --term-exit 100
[worker b]
exec = $TW --stamp $T/stamps --term-exit 100
[worker c]
exec = $TW --stamp $T/stamps --term-exit 100
EOF2
start_otpd || { fail "otpd did not start again"; finish; }
for c in a b c; do wait_state $c running; done
wait_for sh -c "[ \$(grep -c '^start' $T/stamps) -eq 3 ]" || fail "three start stamps"
pa=$(json a pid); pb=$(json b pid); pc=$(json c pid)
: > "$T/stamps"
kill -TERM "$OTPD_PID"
otpd_wait
expect_eq "reverse: exit code" "$RC" 0
expect_eq "reverse: one at a time, last first" "$(tr '\n' ' ' < "$T/stamps")" \
	"term $pc exit $pc term $pb exit $pb term $pa exit $pa "

# otpd --check says when reverse may outlast a container engine's 10 s.
printf '[worker a]\nexec = /bin/true\nshutdown = 6s\n[worker b]\nexec = /bin/true\nshutdown = 6s\n' > "$T/slow.conf"
"$OTPD" --check -c "$T/slow.conf" > "$T/check.out" 2> "$T/check.err"
expect_eq "--check with a warning exits 0" "$?" 0
grep -q 'warning: \[supervisor root\]:.*may take 12s.*shutdown_order = parallel' "$T/check.err" &&
	pass "--check names shutdown_order = parallel" || fail "--check: $(cat "$T/check.err")"
printf '[supervisor root]\nshutdown_order = parallel\n' >> "$T/slow.conf"
"$OTPD" --check -c "$T/slow.conf" > "$T/check.out" 2> "$T/check.err"
expect_eq "--check: parallel, no warning" "$?:$(cat "$T/check.err")" "0:"
finish
