# forward_signals: otpd passes claimed signals to the workers that claimed
# them (dynamic children of a claiming template too) instead of acting on
# them; unclaimed ones are otpd's own.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker web]
exec = $TW --stamp $T/web
forward_signals = HUP USR1
[worker other]
exec = $TW --stamp $T/other
[supervisor pool]
strategy = simple_one_for_one
[worker job]
parent = pool
exec = $TW --stamp $T/job
forward_signals = HUP
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state web running; wait_state other running
ctl start-child pool >/dev/null || fail "start-child"
wait_for grep -q start "$T/job" || fail "job did not start"
wait_for grep -q start "$T/web"
kill -HUP "$OTPD_PID"
wait_for grep -q hup "$T/web" && pass "web got HUP" || fail "web: $(cat $T/web)"
wait_for grep -q hup "$T/job" && pass "dynamic child got HUP" || fail "job: $(cat $T/job)"
kill -USR1 "$OTPD_PID"
wait_for grep -q usr1 "$T/web" && pass "web got USR1" || fail "web: $(cat $T/web)"
expect_eq "HUP forwarded exactly once" "$(grep -c hup $T/web)" 1
grep -q "hup\|usr1" "$T/other" && fail "unclaiming worker got a signal" || pass "other untouched"
grep -q "reload" "$T/err" && fail "otpd acted on a claimed HUP" || pass "otpd did not act on HUP"
expect_eq "otpd still running" "$(ctl status web --json >/dev/null && echo up)" up
finish
