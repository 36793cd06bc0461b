# otpd as PID 1 of a PID namespace of its own (what a container is to it):
# it mounts nothing over existing content (a /run that holds files stays
# visible, and no warning is printed for mounts it does not need), signals
# it does not act on go to the root's significant workers (else to every
# worker below the root), and poweroff is a plain shutdown whose status is
# the one otpd logs (no reboot(2)).
. "$(dirname "$0")/lib.sh"
SR=$BUILD/helpers/sigrec
S=$BUILD/static
[ -x "$SR" ] || { echo "no $SR: make helpers"; exit 77; }
unshare --pid --fork --kill-child --mount-proc true 2>/dev/null || { echo "cannot create PID namespaces here"; exit 77; }

# pid1_start: otpd -c $T/otp.conf as PID 1 of a new PID namespace, in the
# background; U is unshare's pid, P1 otpd's (host) pid.
pid1_start() {
	unshare --pid --fork --kill-child --mount-proc "$OTPD" -c "$T/otp.conf" > "$T/out" 2> "$T/err" &
	U=$!
	wait_for test -S "$SOCK" || fail "otpd did not start: $(cat $T/err)"
	P1=$(pgrep -P $U | head -1)
}
pid1_wait() { wait $U; RC=$?; }
lines() { grep -c "^$2\$" "$1" 2>/dev/null; }

# 1) a root whose /run holds a secret and is no mount point (a container's
#    image): the worker reads it; nothing was mounted on /run; no warning
if [ -x "$S/otpd" ] && BB=$(readlink -f /bin/busybox) && ! ldd "$BB" >/dev/null 2>&1; then
	R=$T/root
	mkdir -p "$R/bin" "$R/dev" "$R/proc" "$R/run/secrets" "$R/tmp"
	cp "$S/otpd" "$R/"; cp "$BB" "$R/bin/busybox"; ln -s busybox "$R/bin/sh"
	mknod -m 666 "$R/dev/null" c 1 3
	echo s3cret > "$R/run/secrets/token"
	cat > "$R/otp.conf" <<'EOF2'
[otpd]
cgroup = off
[supervisor root]
auto_shutdown = any_significant
[worker probe]
exec = /bin/busybox sh -c "/bin/busybox cat /run/secrets/token; /bin/busybox awk '$2 == \"/run\"' /proc/mounts | /bin/busybox wc -l"
restart = temporary
significant = true
EOF2
	timeout -s KILL 20 unshare --pid --fork --kill-child --mount-proc="$R/proc" \
		chroot "$R" /otpd -c /otp.conf > "$T/out" 2> "$T/err"
	expect_eq "the tree ran as PID 1 in the bare root" "$?" 0
	grep -q '^probe\[[0-9]*\]: s3cret$' "$T/out" && pass "the secret under /run is visible" ||
		fail "probe: $(cat $T/out)"
	grep -q '^probe\[[0-9]*\]: 0$' "$T/out" && pass "nothing mounted on /run" || fail "probe: $(cat $T/out)"
	grep -q "warning" "$T/err" && fail "warnings: $(cat $T/err)" || pass "no warning about mounts"
	grep -q "in a container (a PID namespace of its own)" "$T/err" && pass "says it is in a container" ||
		fail "$(cat $T/err)"
else
	echo "skipping the bare root: no static build or static busybox"
fi

# 2) signals otpd does not act on go to the significant workers below root
conf <<EOF2
[supervisor root]
auto_shutdown = any_significant
[worker app]
exec = $SR $T/app
restart = transient
significant = true
[worker side]
exec = $SR $T/side
EOF2
pid1_start
wait_for grep -qs ready "$T/app"; wait_for grep -qs ready "$T/side" || fail "workers did not start"
sent="USR1 USR2 PWR QUIT WINCH ALRM URG"
got=0
for s in $sent; do
	kill -s "$s" "$P1"
	wait_for grep -qx "$s" "$T/app" && got=$((got + 1)) || fail "app did not get SIG$s"
done
[ $got -eq $(echo $sent | wc -w) ] && pass "the significant worker got $sent"
expect_eq "the other worker got none" "$(grep -vc ready $T/side)" 0
expect_eq "otpd is still running the tree" "$(ctl status app --json >/dev/null && echo up)" up
grep -q "go to the significant workers below root: app" "$T/err" && pass "said where they go" ||
	fail "$(cat $T/err)"
kill -HUP "$P1"
wait_for grep -q "SIGHUP: reopening output files, reloading" "$T/err" && pass "SIGHUP is a reload, logged" || fail "$(cat $T/err)"
kill -TERM "$P1"; pid1_wait
expect_eq "SIGTERM: orderly shutdown, exit 0" "$RC" 0
grep -q "SIGTERM: shutting down" "$T/err" && pass "SIGTERM logged by name" || fail "$(cat $T/err)"
expect_eq "app stopped once" "$(lines $T/app TERM)" 1

# 3) none significant: every worker below root gets them, not those deeper
rm -f "$T/app" "$T/side" "$T/deep"
conf <<EOF2
[worker app]
exec = $SR $T/app
[worker side]
exec = $SR $T/side
[supervisor sub]
[worker deep]
parent = sub
exec = $SR $T/deep
EOF2
pid1_start
for f in app side deep; do wait_for grep -qs ready "$T/$f" || fail "$f did not start"; done
kill -USR2 "$P1"
wait_for grep -qx USR2 "$T/app" && wait_for grep -qx USR2 "$T/side" &&
	pass "both workers below root got USR2" || fail "app: $(cat $T/app) side: $(cat $T/side)"
grep -qx USR2 "$T/deep" && fail "a worker below sub got it" || pass "not a worker below sub"

# 4) poweroff in a container: a shutdown; otpd exits with the status it logs
ctl poweroff >/dev/null || fail "otpctl poweroff refused"
pid1_wait
expect_eq "poweroff ends otpd with status 0 (no reboot(2))" "$RC" 0
grep -q "exit status 0 (poweroff asked for" "$T/err" && pass "the status is logged" || fail "$(cat $T/err)"
finish
