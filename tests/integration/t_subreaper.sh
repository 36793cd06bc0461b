# Not PID 1: otpd is a child subreaper, so orphans of its workers become its
# children and are reaped; no zombie is left.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker parent]
exec = /bin/sh -c "for i in 1 2 3 4 5; do (sleep 0.1 &); done; exec sleep 60"
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state parent running
# the five short sleeps were re-parented to otpd (not to the real init)
children=$(ps -o comm= --ppid "$OTPD_PID" | grep -c sleep)
[ "$children" -ge 2 ] && pass "orphans re-parented to otpd ($children sleeps)" || fail "children: $(ps -o pid,stat,comm --ppid $OTPD_PID)"
zombies() { ps -o stat= --ppid "$OTPD_PID" | grep -c '^Z'; }
wait_for sh -c "[ \$(ps -o comm= --ppid $OTPD_PID | grep -c sleep) -eq 1 ]" && pass "orphans ended" || fail "orphans linger"
expect_eq "no zombie left" "$(zombies)" 0
finish
