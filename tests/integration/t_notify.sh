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
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state slow running; wait_state next running; wait_state fdready running
expect_eq "slow status text" "$(json slow status)" "serving"
got=$(awk '{print $1}' "$T/stamps" | tr '\n' ' ')
expect_eq "next starts only after slow's READY=1" "$got" "start ready start "
expect_eq "the first start is slow" "$(awk 'NR==1{print $2}' "$T/stamps")" "$(json slow pid)"
finish
