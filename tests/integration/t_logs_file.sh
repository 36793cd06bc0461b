# stdout = file:PATH is written by otpd: time-stamped lines, size-based
# rotation with log_keep old files and no line lost below the limit,
# reopening (otpctl logs --reopen, SIGHUP), and a full disk (a 64 KiB
# tmpfs in otpd's own mount namespace) that drops and counts lines
# without ever stalling otpd.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (a tmpfs in a private mount namespace)"; exit 77; }
command -v unshare > /dev/null || { echo "no unshare"; exit 77; }
F=$T/full     # the tmpfs, seen from otpd's namespace only
mkdir -p "$T/logs" "$F"
# 300 lines of 100 bytes ("line NNN" padded) in the file (with the
# prefix: 2024-..Z rot[PID] stdout: = ~45 bytes) -> ~44 KiB, below 4 x 16K.
conf <<EOF2
[worker rot]
exec = /bin/sh -c 'i=0; while [ \$i -lt 300 ]; do printf "line %03d %091d\n" \$i 0; i=\$((i + 1)); done; exec sleep 60'
stdout = file:$T/logs/rot.log
log_max_size = 16K
log_keep = 3
[worker moved]
exec = /bin/sh -c 'echo first; while :; do if read x < $T/go; then echo "got \$x"; fi; done'
stdout = file:$T/logs/moved.log
[worker filler]
exec = /bin/sh -c 'while :; do echo "a line to fill the disk with, and then some more bytes"; sleep 0.002; done'
stdout = file:$F/fill.log
log_max_size = infinity
EOF2
mkfifo "$T/go"
# A FIFO: a reader that opens it again before the last writer closed it
# reads EOF (moved then just opens it again); a write waits for a reader,
# so it is bounded.
say() { timeout 10 sh -c "echo $1 > $T/go" || fail "nobody reads $T/go"; }
# otpd (the same pid: unshare and sh exec) in a mount namespace of its
# own, with a 64 KiB tmpfs at $F.
cat > "$T/otpd-in-ns" <<EOF2
#!/bin/sh
exec unshare -m --propagation private /bin/sh -c 'mount -t tmpfs -o size=64k tmpfs "$F" && exec "\$0" "\$@"' "$OTPD" "\$@"
EOF2
chmod +x "$T/otpd-in-ns"
OTPD=$T/otpd-in-ns
start_otpd || { fail "otpd did not start"; finish; }
NSROOT=/proc/$OTPD_PID/root

# Rotation: every file at most 16K, 3 old ones, all 300 lines in order.
wait_state rot running
wait_for sh -c "[ \$(cat \$(ls $T/logs/rot.log*) | grep -c ' stdout: line ') -ge 300 ]"
pid=$(json rot pid)
ls "$T/logs" | grep '^rot' | sort | tr '\n' ' ' > "$T/rotfiles"
expect_eq "rotated files: PATH, PATH.1, PATH.2" "$(cat "$T/rotfiles")" "rot.log rot.log.1 rot.log.2 "
big=$(find "$T/logs" -name 'rot.log*' -size +16k | wc -l)
expect_eq "no file above log_max_size" "$big" 0
cat "$T/logs/rot.log.2" "$T/logs/rot.log.1" "$T/logs/rot.log" | awk -v pid="$pid" '
	$2 != "rot[" pid "]" || $3 != "stdout:" || $4 != "line" || $5 != sprintf("%03d", n) { bad++ }
	$1 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]Z$/ { bad++ }
	{ n++ } END { print (n == 300 && bad == 0) ? "ok" : n " lines, " bad + 0 " bad" }' > "$T/rotcheck"
expect_eq "every line kept, in order, as 'TIME name[pid] stdout: line'" "$(cat "$T/rotcheck")" ok
# The ring has them too, and nothing went to otpd's stdout.
expect_eq "the ring keeps file: lines" "$(ctl logs rot | grep -c '^line ')" 300
grep -q '^rot\[' "$T/out" && fail "file: lines on otpd's stdout"

# Reopen: the file was moved away (as logrotate does): the next line
# after `logs --reopen` goes to a new file at PATH; SIGHUP the same.
wait_for grep -q first "$T/logs/moved.log"
mv "$T/logs/moved.log" "$T/logs/moved.log.old"
say one
wait_for grep -q "got one" "$T/logs/moved.log.old" && pass "lines go to the moved file until reopened" || fail "before reopen"
expect_eq "logs --reopen NAME" "$(ctl logs --reopen moved)" ok
say two
wait_for grep -q "got two" "$T/logs/moved.log" && pass "after --reopen: a new file at PATH" || fail "after --reopen: $(ls "$T/logs")"
mv "$T/logs/moved.log" "$T/logs/moved.log.old2"
kill -HUP "$OTPD_PID"
wait_for grep -q "SIGHUP" "$T/err"
say three
wait_for grep -q "got three" "$T/logs/moved.log" && pass "after SIGHUP: a new file at PATH" || fail "after SIGHUP: $(ls "$T/logs")"

# A full disk: lines are dropped and counted, otpd keeps answering, and
# once there is room again the file says how many were lost.
wait_for test -s "$NSROOT$F/fill.log" || fail "filler writes nothing"
dd if=/dev/zero of="$NSROOT$F/ballast" bs=4k count=100 2>/dev/null   # fills the rest
wait_for grep -q "fill.log: writing: No space left on device, dropping lines" "$T/err" \
	&& pass "a full disk is logged" || fail "no ENOSPC: $(tail -3 "$T/err")"
# A stall would be for good (otpd waiting on the disk): the 20 s bound only
# catches that, it is no speed target (make bench has those).
ok=0
for _ in 1 2 3 4 5; do timeout 20 "$OTPCTL" -s "$SOCK" status > /dev/null && ok=$((ok + 1)); done
expect_eq "status answers while the disk is full" "$ok" 5
expect_eq "the filler still runs" "$(json filler state)" running
rm -f "$NSROOT$F/ballast"
wait_for grep -q "otpd: [0-9]* lines dropped" "$NSROOT$F/fill.log" \
	&& pass "the file says 'N lines dropped' once it can write again" || fail "no marker in the file"
grep -q "fill.log: writing again, [0-9]* lines dropped" "$T/err" && pass "otpd logs the recovery" || fail "no recovery line"
n=$(grep -o "otpd: [0-9]* lines dropped" "$NSROOT$F/fill.log" | head -1 | awk '{print $2}')
[ "${n:-0}" -gt 0 ] && pass "$n lines counted" || fail "count: $n"
finish
