# Hostile input (issue 18): requests and configs that once crashed or
# misled otpd.  Each case keeps otpd alive and answering.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
intensity = 10
period = 60s
[worker w]
exec = $TW
[worker stubborn]
exec = $TW --ignore-term
shutdown = 9223372036854775807ms
[worker late]
exec = $TW --exit-after 200 3
restart_delay = 9223372036854775807ms
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state w running

# 18.1: start-child aimed at a worker (or a static supervisor) is refused.
ctl start-child w >/dev/null 2>&1; expect_eq "start-child on a running worker -> 1" $? 1
ctl start-child w --name x -- a b >/dev/null 2>&1; expect_eq "start-child on a worker with args -> 1" $? 1
ctl start-child root >/dev/null 2>&1; expect_eq "start-child on a static supervisor -> 1" $? 1
kill -0 "$OTPD_PID" 2>/dev/null && pass "otpd survives start-child on a worker" || fail "otpd died"
expect_eq "worker untouched" "$(json w state)" running

# 18.3: a huge restart_delay is "practically never", not "at once".
wait_state late restarting 5s; expect_eq "late waits for its restart" $? 0
sleep 0.5
expect_eq "late still restarting (no wrap-around)" "$(json late state)" restarting
# ... and a huge shutdown is "practically never" too: no SIGKILL at once.
ctl stop stubborn >/dev/null & stopper=$!
wait_state stubborn stopping 5s; expect_eq "stubborn stopping" $? 0
sleep 0.5
expect_eq "stubborn not killed at once" "$(json stubborn state)" stopping
ctl kill stubborn KILL >/dev/null
wait $stopper; expect_eq "stop ends once it is gone" $? 0

ctl shutdown >/dev/null
otpd_wait; expect_eq "otpd exit after shutdown" "$RC" 0
finish
