# one_for_all: a crash restarts every child; a temporary bystander is removed.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
strategy = one_for_all
intensity = 5
period = 60s
[worker c1]
exec = $TW
[worker c2]
exec = $TW
[worker tmp]
exec = $TW
restart = temporary
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for c in c1 c2 tmp; do wait_state $c running; done
p2=$(json c2 pid)
ctl kill c1 KILL >/dev/null
wait_for sh -c "! $OTPCTL -s $SOCK status tmp >/dev/null 2>&1" || fail "temporary bystander not removed"
wait_state c1 running; wait_state c2 running
[ "$(json c2 pid)" != "$p2" ] && pass "c2 restarted too" || fail "c2 kept pid $p2"
ctl status tmp >/dev/null 2>&1; expect_eq "tmp gone (not_found exit 1)" "$?" 1
finish
