# Not PID 1: otpd is a child subreaper, so orphans of its workers become its
# children and are reaped; no zombie is left.  The orphans live until the
# test says so (a file), so nothing here depends on timing.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker parent]
exec = /bin/sh -c "for i in 1 2 3 4 5; do (while [ ! -e $T/go ]; do sleep 0.02; done &); done; touch $T/spawned; exec sleep 60"
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state parent running
wait_for test -e "$T/spawned" || fail "the worker did not spawn its orphans"
# the five orphans were re-parented to otpd (not to the real init): each is
# a shell (looping) whose parent is now otpd
orphans() { ps -o comm= --ppid "$OTPD_PID" | grep -c '^sh$'; }
expect_eq "orphans re-parented to otpd" "$(orphans)" 5
touch "$T/go"
zombies() { ps -o stat= --ppid "$OTPD_PID" | grep -c '^Z'; }
wait_for sh -c "[ \$(ps -o comm= --ppid $OTPD_PID | grep -c '^sh\$') -eq 0 ]" && pass "orphans ended" || fail "orphans linger"
wait_for sh -c "[ \$(ps -o stat= --ppid $OTPD_PID | grep -c '^Z') -eq 0 ]"
expect_eq "no zombie left" "$(zombies)" 0
finish
