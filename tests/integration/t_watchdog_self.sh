# Under systemd with WatchdogSec=: otpd sends WATCHDOG=1 to its own
# $NOTIFY_SOCKET at half of $WATCHDOG_USEC, and only when WATCHDOG_PID is
# unset or its own pid (sd_watchdog_enabled(3)); its workers never see
# WATCHDOG_USEC.  (Under a real systemd: tests/vm/cases/systemd.)
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker w]
exec = $TW
EOF2
# listen SOCK LOG SECONDS: record every datagram, one line each.
listen() {
	python3 - "$1" "$2" "$3" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
end = time.monotonic() + float(sys.argv[3])
with open(sys.argv[2], "a", buffering=1) as log:
    while time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            log.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
        except socket.timeout:
            pass
PY
	LISTENER=$!
	wait_for test -S "$1" || fail "listener on $1"
}
pings() { grep -c "WATCHDOG=1" "$1" 2>/dev/null; }

# 1. WATCHDOG_USEC=200000, no WATCHDOG_PID: a ping every 100 ms.
listen "$T/sd1.sock" "$T/sd1.log" 1.5
NOTIFY_SOCKET="$T/sd1.sock" WATCHDOG_USEC=200000 start_otpd || { fail "otpd did not start"; finish; }
wait_state w running
wpid=$(json w pid)
wait $LISTENER
n=$(pings "$T/sd1.log")
[ "$n" -ge 5 ] && pass "$n WATCHDOG=1 in 1.5 s at a 200 ms interval" ||
	fail "only ${n:-0} WATCHDOG=1 in 1.5 s: $(cat "$T/sd1.log")"
tr '\0' '\n' < /proc/$wpid/environ | grep -q '^WATCHDOG_' &&
	fail "the worker sees otpd's WATCHDOG_*" || pass "the worker does not see otpd's WATCHDOG_*"
ctl shutdown > /dev/null; otpd_wait
expect_eq "otpd exits 0" "$RC" 0

# 2. WATCHDOG_PID names another process: the watchdog is not ours.
listen "$T/sd2.sock" "$T/sd2.log" 1
NOTIFY_SOCKET="$T/sd2.sock" WATCHDOG_USEC=100000 WATCHDOG_PID=1 start_otpd ||
	{ fail "otpd did not start"; finish; }
wait $LISTENER
grep -q "READY=1" "$T/sd2.log" || fail "no READY=1 at all: $(cat "$T/sd2.log")"
expect_eq "no WATCHDOG=1 when WATCHDOG_PID is another pid" "$(pings "$T/sd2.log")" 0
ctl shutdown > /dev/null; otpd_wait

# 3. No WATCHDOG_USEC: no pings (and no timer: the idle loop sleeps).
listen "$T/sd3.sock" "$T/sd3.log" 1
NOTIFY_SOCKET="$T/sd3.sock" start_otpd || { fail "otpd did not start"; finish; }
wait $LISTENER
expect_eq "no WATCHDOG=1 without WATCHDOG_USEC" "$(pings "$T/sd3.log")" 0
ctl shutdown > /dev/null; otpd_wait
finish
