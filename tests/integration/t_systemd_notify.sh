# Under systemd (Type=notify): otpd sends READY=1 once the root is up,
# STATUS= updates that follow the tree (at most one datagram per batch of
# the core, and only when the line changed) and STOPPING=1, from its own pid, to a
# path or an abstract ("@") $NOTIFY_SOCKET; its workers never see that
# socket (a ready=notify worker gets otpd's own).  otpd writes the datagrams
# itself: it does not link libsystemd (the test helper tworker does, as a
# real sd_notify(3) sender).
. "$(dirname "$0")/lib.sh"

if ldd "$OTPD" | grep -q 'libsystemd'; then
	fail "otpd links libsystemd: $(ldd "$OTPD" | grep libsystemd)"
else
	pass "ldd otpd: no libsystemd"
fi
ldd "$TW" | grep -q 'libsystemd' && pass "tworker sends with libsystemd's sd_notify" ||
	fail "tworker does not link libsystemd"

conf <<EOF2
[worker w]
exec = $TW
[worker n]
exec = $TW --notify-ready 0
ready = notify
EOF2

LISTENER=
trap '[ -n "$LISTENER" ] && kill "$LISTENER" 2>/dev/null; cleanup' EXIT

# listen ADDR LOG: a systemd stand-in on ADDR (a path, or @name for an
# abstract socket), logging "SENDER_PID MESSAGE" per datagram (newlines as
# " | ", the pid from SCM_CREDENTIALS) until otpd says it stopped.
listen() {
	rm -f "$T/bound"
	python3 - "$1" "$2" "$T/bound" <<'PY' &
import socket, struct, sys
addr, log, bound = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(bound, "w").close()
s.settimeout(30)
with open(log, "a", buffering=1) as f:
    try:
        while True:
            msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = -1
            for lvl, typ, data in anc:
                if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", data[:12])[0]
            text = msg.decode(errors="backslashreplace")
            f.write("%d %s\n" % (pid, text.replace("\n", " | ").replace("\0", "\\0")))
            if "STATUS=stopped" in text:
                break
    except socket.timeout:
        pass
PY
	LISTENER=$!
	wait_for test -e "$T/bound"
}

# start_otpd returns once the control socket file exists, which is between
# otpd's bind() and listen(): wait until it answers.
answers() { ctl status >/dev/null 2>&1; }

# one KIND ADDR: a whole otpd run under NOTIFY_SOCKET=ADDR.
one() {
	local kind=$1 addr=$2 log=$T/sd-$1.log pid wpid npid
	listen "$addr" "$log" || { fail "$kind: listener did not bind"; return; }
	NOTIFY_SOCKET=$addr start_otpd || { fail "$kind: otpd did not start"; return; }
	pid=$OTPD_PID
	wait_for answers && wait_state n running && wait_state w running || fail "$kind: workers not running"
	wait_for grep -q "READY=1" "$log" && pass "$kind: READY=1 sent" || fail "$kind: log: $(cat "$log")"
	wpid=$(json w pid) npid=$(json n pid)
	tr '\0' '\n' < /proc/$wpid/environ | grep -q "^NOTIFY_SOCKET=" &&
		fail "$kind: worker w has a NOTIFY_SOCKET" || pass "$kind: worker w has no NOTIFY_SOCKET"
	expect_eq "$kind: notify worker gets otpd's own socket" \
		"$(tr '\0' '\n' < /proc/$npid/environ | grep "^NOTIFY_SOCKET=")" "NOTIFY_SOCKET=$T/run/notify"
	ctl shutdown >/dev/null; otpd_wait
	wait "$LISTENER"; LISTENER=
	expect_eq "$kind: otpd's datagrams (sender pid, content, order)" "$(cat "$log")" \
"$pid STATUS=starting
$pid STATUS=starting: 2 workers, 1 starting
$pid READY=1 | STATUS=running: 2 workers
$pid STOPPING=1 | STATUS=stopping: 2 workers, 1 stopping
$pid STATUS=stopping: 2 workers, 1 stopping, 1 stopped
$pid STATUS=stopping: 2 workers, 2 stopped
$pid STOPPING=1 | STATUS=stopped (exit 0)"
}

one path "$T/sd.sock"
one abstract "@otpd-it-sd.${T##*.}"

# STATUS= follows crashes and restarts: a worker that crashed and waits
# for its restart_delay is named with its exit; the last crash stays said.
conf <<EOF2
[worker w]
exec = $TW
[worker c]
exec = /bin/sh -c 'exit 3'
restart_delay = 1h
EOF2
log=$T/sd-crash.log
listen "$T/sd2.sock" "$log" || fail "crash: listener did not bind"
NOTIFY_SOCKET=$T/sd2.sock start_otpd || fail "crash: otpd did not start"
wait_for answers && wait_state c restarting || fail "crash: c not restarting"
wait_for grep -q "restarting" "$log"
expect_eq "crash: STATUS= names the restarting worker and its exit" \
	"$(grep -o 'STATUS=running.*' "$log" | tail -1)" "STATUS=running: 2 workers, 1 restarting (c: exit:3); last crash: c exit:3"
ctl stop c >/dev/null
wait_for grep -q "1 stopped" "$log"
expect_eq "crash: stopped by hand, the last crash still said" \
	"$(grep -o 'STATUS=running.*' "$log" | tail -1)" "STATUS=running: 2 workers, 1 stopped; last crash: c exit:3"
expect_eq "crash: never the same line twice in a row" "$(uniq -d "$log" | wc -l)" 0
ctl shutdown >/dev/null; otpd_wait
wait "$LISTENER"; LISTENER=

# A NOTIFY_SOCKET otpd cannot speak (not "/" or "@"): ignored, otpd runs.
NOTIFY_SOCKET=vsock:2:1 start_otpd && wait_for answers && wait_state w running && pass "unknown NOTIFY_SOCKET ignored" ||
	fail "otpd under NOTIFY_SOCKET=vsock:2:1"
ctl shutdown >/dev/null; otpd_wait
expect_eq "exit code under an unknown NOTIFY_SOCKET" "$RC" 0
finish
