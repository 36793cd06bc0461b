# Out of file descriptors while booting (a running worker's stdout and
# stderr pipes cost otpd their read ends, a start both ends and a pidfd
# for a moment): the start failure names EMFILE, the limit that was hit,
# never ENOMEM.  Without CAP_SYS_RESOURCE otpd can only raise its soft
# RLIMIT_NOFILE to the hard one; here both are 40, then 41, so that one of
# the two runs out at the pipe and the other at the pidfd.  With it, otpd
# raises its hard limit too (as systemd does), and the same 40 workers
# start, each with the limit otpd was given.
. "$(dirname "$0")/lib.sh"
OTPD_KEYS="cgroup = off"
for i in $(seq 40); do
	printf '[worker w%d]\nexec = %s --stamp %s/stamps\n' "$i" "$TW" "$T"
done | conf
for n in 40 41; do
	(ulimit -n "$n" && exec setpriv --bounding-set -sys_resource "$OTPD" -c "$T/otp.conf") \
		> "$T/out" 2> "$T/err" &
	OTPD_PID=$!
	otpd_wait; rc=$RC
	expect_eq "limit $n: exit code" "$rc" 1
	grep -q "start_failed:spawn:Too many open files" "$T/err" &&
		pass "limit $n: the start failure says EMFILE" ||
		fail "limit $n: no EMFILE: $(grep error: "$T/err")"
	grep -q "warning: the workers' output pipes need about 105 open files, the limit is $n" "$T/err" &&
		pass "limit $n: said at the start, with what to do" || fail "limit $n: no warning: $(head -3 "$T/err")"
done

# CAP_SYS_RESOURCE is bit 24 of CapEff (some sandboxes' root lacks it).
if [ $(( 0x$(awk '/^CapEff/{print $2}' /proc/self/status) >> 24 & 1 )) = 1 ]; then
	(ulimit -n 40 && exec "$OTPD" -c "$T/otp.conf") > "$T/out" 2> "$T/err" &
	OTPD_PID=$!
	# The boot ends with every child started (one failed start fails it).
	wait_state root running 20s && wait_state w40 running ||
		fail "privileged, limit 40: the boot did not end: $(grep error: "$T/err")"
	own=$(awk '/^Max open files/{print $4, $5}' /proc/$OTPD_PID/limits)
	[ "${own%% *}" -gt 40 ] && pass "privileged: otpd raised its own limit ($own)" || fail "otpd's limit: $own"
	w=$(json w7 pid)
	expect_eq "the worker has the limit otpd was given" "$(awk '/^Max open files/{print $4, $5}' /proc/$w/limits)" "40 40"
else
	echo "skip: no CAP_SYS_RESOURCE here: the raise of the hard limit is not tested"
fi
finish
