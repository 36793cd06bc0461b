# Out of file descriptors while booting (a running worker's stdout and
# stderr pipes cost otpd their read ends, a start both ends and a pidfd
# for a moment): the start failure names EMFILE,
# the limit that was hit, never ENOMEM.  otpd raises its soft
# RLIMIT_NOFILE to the hard one; here both are 40, then 41, so that one of
# the two runs out at the pipe and the other at the pidfd.
. "$(dirname "$0")/lib.sh"
OTPD_KEYS="cgroup = off"
for i in $(seq 40); do
	printf '[worker w%d]\nexec = %s --stamp %s/stamps\n' "$i" "$TW" "$T"
done | conf
for n in 40 41; do
	(ulimit -n "$n" && exec "$OTPD" -c "$T/otp.conf") > "$T/out" 2> "$T/err" &
	OTPD_PID=$!
	otpd_wait; rc=$RC
	expect_eq "limit $n: exit code" "$rc" 1
	grep -q "start_failed:spawn:Too many open files" "$T/err" &&
		pass "limit $n: the start failure says EMFILE" ||
		fail "limit $n: no EMFILE: $(grep error: "$T/err")"
done
finish
