# Under systemd (Type=notify): otpd sends READY=1 once the root is up,
# STATUS= updates and STOPPING=1; its workers never see its NOTIFY_SOCKET.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker w]
exec = $TW
EOF2
python3 - "$T/sd.sock" "$T/sd.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(20)
with open(sys.argv[2], "a", buffering=1) as log:
    try:
        while True:
            msg = s.recv(4096).decode()
            log.write(msg.replace("\n", " | ") + "\n")
            if "STOPPING=1" in msg and "stopped" in msg:
                break
    except socket.timeout:
        pass
PY
LISTENER=$!
wait_for test -S "$T/sd.sock" || fail "listener"
NOTIFY_SOCKET="$T/sd.sock" start_otpd || { fail "otpd did not start"; finish; }
wait_state w running
wait_for grep -q "READY=1" "$T/sd.log" && pass "READY=1 sent" || fail "log: $(cat $T/sd.log)"
wpid=$(json w pid)
tr '\0' '\n' < /proc/$wpid/environ | grep -q "^NOTIFY_SOCKET=$T/sd.sock" && fail "worker inherited otpd's NOTIFY_SOCKET" || pass "worker does not see otpd's NOTIFY_SOCKET"
ctl shutdown >/dev/null; otpd_wait
wait $LISTENER
grep -q "STOPPING=1" "$T/sd.log" && pass "STOPPING=1 sent" || fail "log: $(cat $T/sd.log)"
grep -q "STATUS=" "$T/sd.log" && pass "STATUS= updates" || fail "no STATUS="
awk '/READY=1/{r=NR} /STOPPING=1/{s=NR} END{exit !(r && s && r < s)}' "$T/sd.log" && pass "READY before STOPPING" || fail "order: $(cat $T/sd.log)"
finish
