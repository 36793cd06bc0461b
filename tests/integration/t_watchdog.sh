# watchdog: a worker that stops sending WATCHDOG=1 is killed and restarted
# with reason "watchdog"; one that keeps pinging stays up.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
intensity = 100
period = 60s
[worker silent]
exec = $TW --notify-ready 0
ready = notify
watchdog = 300ms
[worker pinger]
exec = $TW --notify-ready 0 --watchdog-ping 50
ready = notify
watchdog = 1s
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state pinger running
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status silent --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"last_exit\"])')\" = watchdog ]" \
	&& pass "silent worker killed by the watchdog" || fail "silent: $(ctl status silent)"
wait_state silent running && pass "and restarted" || fail "not restarted"
[ "$(json silent restarts)" -ge 1 ] && pass "restart counted" || fail "restarts $(json silent restarts)"
p=$(json pinger pid)
sleep 1.5
expect_eq "pinging worker kept its pid" "$(json pinger pid)" "$p"
expect_eq "pinging worker never restarted" "$(json pinger restarts)" 0
finish
