# ready = notify: the next child starts only after READY=1; STATUS= shown.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker slow]
exec = $TW --notify-ready 300 --stamp $T/stamps
ready = notify
ready_timeout = 5s
[worker next]
exec = $TW --stamp $T/stamps
[worker fdready]
exec = $TW --ready-fd 5
ready = fd:5
[worker fd3]
exec = $TW --ready-fd 3 --hygiene
ready = fd:3
ready_timeout = 5s
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state slow running; wait_state next running; wait_state fdready running
wait_state fd3 running && pass "fd:3 readiness" || fail "fd:3 readiness"
ctl logs fd3 | grep -q 'hygiene: fds=0,1,2,3,$' && pass "fd:3 is the only extra fd" || fail "fd3: $(ctl logs fd3 | grep fds)"

expect_eq "slow status text" "$(json slow status)" "serving"
wait_for sh -c "[ \$(grep -c '^start' $T/stamps) -ge 2 ]"
got=$(awk '{print $1}' "$T/stamps" | tr '\n' ' ')
expect_eq "next starts only after slow's READY=1" "$got" "start ready start "
expect_eq "the first start is slow" "$(awk 'NR==1{print $2}' "$T/stamps")" "$(json slow pid)"
finish
