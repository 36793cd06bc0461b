# otpd as PID 1 in a PID namespace: orphans reaped, SIGTERM -> exit 0, the
# significant child's exit code propagated.
. "$(dirname "$0")/lib.sh"
command -v unshare >/dev/null || { echo "unshare missing"; exit 77; }
unshare --pid --fork --kill-child --mount-proc true 2>/dev/null || { echo "cannot create PID namespaces here"; exit 77; }
# pid1_run: run otpd as PID 1 of a new PID namespace ($T/otp.conf).
pid1_run() {
	timeout -s KILL 20 unshare --pid --fork --kill-child --mount-proc "$OTPD" -c "$T/otp.conf" \
		> "$T/out" 2> "$T/err"
}
# pid1_term_when STAMPFILE: as pid1_run, but send SIGTERM to PID 1 (by its
# host pid) once STAMPFILE is not empty; RC gets the exit status.
pid1_term_when() {
	local u inner
	unshare --pid --fork --kill-child --mount-proc "$OTPD" -c "$T/otp.conf" > "$T/out" 2> "$T/err" &
	u=$!
	wait_for test -s "$1" || fail "worker did not start in the namespace"
	inner=$(pgrep -P $u | head -1)
	kill -TERM "$inner"
	wait $u; RC=$?
}
# 1) 100 orphans, then significant exit code
cat > "$T/orphans.sh" <<'SH'
#!/bin/sh
for i in $(seq 100); do ( sleep 0.05 & ) ; done
sleep 0.5
ps -eo stat= | grep -c '^Z' > "$1"
exit 0
SH
chmod +x "$T/orphans.sh"
conf <<EOF2
[supervisor root]
auto_shutdown = any_significant
[worker maker]
exec = $T/orphans.sh $T/zombies
restart = transient
significant = true
success_exit = 0
EOF2
pid1_run
rc=$?
expect_eq "significant clean exit -> 0" "$rc" 0
expect_eq "zombies seen by the worker" "$(head -1 $T/zombies)" 0
# 2) significant temporary child exits 7 -> otpd exits 7
conf <<EOF2
[supervisor root]
auto_shutdown = any_significant
[worker job]
exec = $TW --exit-after 100 7
restart = temporary
significant = true
EOF2
pid1_run
expect_eq "significant exit code" "$?" 7
# 3) SIGTERM -> orderly stop, exit 0 (signal PID 1 by its host pid)
conf <<EOF2
[worker a]
exec = $TW --stamp $T/stamps
EOF2
: > "$T/stamps"
pid1_term_when "$T/stamps"
expect_eq "exit 0 after SIGTERM" "$RC" 0
grep -q '^term' "$T/stamps" && pass "worker got TERM" || fail "worker not stopped in order"
# 4) a significant child killed by a signal: otpd exits 128+signal
conf <<EOF2
[supervisor root]
auto_shutdown = any_significant
[worker job]
exec = /bin/sh -c "kill -SEGV \$\$"
restart = temporary
significant = true
EOF2
pid1_run
expect_eq "128+SIGSEGV" "$?" 139
# 5) at the end of a shutdown, an orphan ignoring TERM is killed at shutdown_grace
# (cgroup = off: with cgroups the worker's own stop kills it, see t_cgroup.sh)
OTPD_KEYS="shutdown_grace = 300ms
cgroup = off"
conf <<EOF2
[worker w]
exec = /bin/sh -c "(trap '' TERM; exec sleep 100) & echo started >> $T/stamps2; exec sleep 100"
EOF2
: > "$T/stamps2"
pid1_term_when "$T/stamps2"
expect_eq "exit 0 after killing the stubborn orphan" "$RC" 0
grep -q "stopping leftover processes" "$T/err" && pass "orphans got TERM" || fail "$(cat $T/err)"
grep -q "leftover processes after 300 ms: killing them" "$T/err" && pass "KILL at the grace deadline" || fail "$(cat $T/err)"
finish
