# one_for_one end to end: killing a child restarts only that child.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
strategy = one_for_one
intensity = 5
period = 60s
[worker a]
exec = $TW
[worker b]
exec = $TW
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state a running; wait_state b running
a1=$(json a pid); b1=$(json b pid)
ctl kill a KILL >/dev/null || fail "kill a"
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status a --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pid\"])')\" != $a1 ]" || fail "a not restarted"
wait_state a running
a2=$(json a pid); b2=$(json b pid)
[ "$a2" != "$a1" ] && [ "$a2" != null ] && pass "a has a new pid" || fail "a pid $a1 -> $a2"
expect_eq "b untouched" "$b2" "$b1"
expect_eq "a restarts" "$(json a restarts)" 1
expect_eq "a last_exit" "$(json a last_exit)" "signal:SIGKILL"
finish
