# SIGTERM: orderly stop in reverse start order; a child ignoring TERM is
# killed at its shutdown deadline; otpd exits 0.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker a]
exec = $TW --stamp $T/stamps
[worker stubborn]
exec = $TW --ignore-term --stamp $T/stub
shutdown = 300ms
[worker c]
exec = $TW --stamp $T/stamps
[worker brutal]
exec = $TW --stamp $T/stamps
shutdown = brutal_kill
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for c in a stubborn c brutal; do wait_state $c running; done
# running is exec'd; a "start" stamp is the signal handling in place
wait_for sh -c "[ \$(grep -c '^start' $T/stamps) -eq 3 ] && grep -q '^start' $T/stub" ||
	fail "start stamps"
pa=$(json a pid); pc=$(json c pid); pb=$(json brutal pid)
: > "$T/stamps"
kill -TERM "$OTPD_PID"
otpd_wait; rc=$RC
expect_eq "exit code" "$rc" 0
got=$(cat "$T/stamps" | tr '\n' ' ')
expect_eq "c then a got TERM, brutal none" "$got" "term $pc term $pa "
grep -q "stubborn stopped: killed" "$T/err" && pass "stubborn killed after timeout" || fail "stubborn: $(grep stubborn $T/err)"
grep -q "brutal stopped: killed" "$T/err" && pass "brutal_kill" || fail "brutal: $(grep brutal $T/err)"
finish
