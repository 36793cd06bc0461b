# Garbage, oversized, wrong-version, half-open and vanishing clients get an
# error or are dropped; otpd and other clients are never disturbed.
. "$(dirname "$0")/lib.sh"
OTPD_KEYS="log_lines = 20000"
conf <<EOF2
[worker w]
exec = $TW
[worker big]
exec = /bin/sh -c "yes 'a line of about a hundred bytes, to make a large reply for clients that never read it ......' | head -n 20000; exec sleep 1000"
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state w running
pid0=$(json w pid)
fds0=$(ls /proc/$OTPD_PID/fd | wc -l)
python3 - "$SOCK" > "$T/py" 2>&1 <<'PY'
import socket, struct, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(5); s.connect(path); return s
def reply(s):
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b: break
            data += b
    except socket.timeout:
        return None
    # the last frame is END: 4-byte length, version, type 4, code
    return data[-1] if len(data) >= 7 and data[-2] == 4 else -1
def frame(t, payload, ver=1):
    return struct.pack(">IBB", len(payload), ver, t) + payload
results = {}
s = conn(); s.sendall(b"GET / HTTP/1.0\r\n\r\n" * 10); results["garbage"] = reply(s)
s = conn(); s.sendall(frame(1, b"status\0", ver=9)); results["version"] = reply(s)
s = conn(); s.sendall(struct.pack(">IBB", 50_000_000, 1, 1)); results["oversized"] = reply(s)
s = conn(); s.sendall(frame(2, b"x")); results["wrong_type"] = reply(s)
s = conn(); s.sendall(frame(1, b"status")); results["unterminated"] = reply(s)
s = conn(); s.sendall(frame(1, b"\0".join([b"x"] * 300) + b"\0")); results["too_many_args"] = reply(s)
# half-open: connected, says nothing; others must still be served meanwhile
idle = [conn() for _ in range(20)]
s = conn(); s.sendall(frame(1, b"status\0")); results["served_while_idle"] = reply(s)
# a client that asks for logs and never reads, then vanishes
s = conn(); s.sendall(frame(1, b"logs\0w\0-f\0")); time.sleep(0.1); s.close()
# a client that vanishes mid-frame
s = conn(); s.sendall(frame(1, b"status\0")[:3]); s.close()
for i in idle: i.close()
for k, v in results.items(): print(k, v)
PY
cat "$T/py"
for k in garbage version oversized wrong_type unterminated too_many_args; do
	expect_eq "$k -> usage error (2)" "$(awk -v k=$k '$1==k{print $2}' "$T/py")" 2
done
expect_eq "served while 20 clients sit idle" "$(awk '$1=="served_while_idle"{print $2}' "$T/py")" 0
expect_eq "otpd still answers" "$(json w state)" running
expect_eq "worker untouched" "$(json w pid)" "$pid0"
wait_for sh -c "[ \$(ls /proc/$OTPD_PID/fd | wc -l) -le $fds0 ]" && pass "no fd leaked" || fail "fds $fds0 -> $(ls /proc/$OTPD_PID/fd | wc -l)"

# 18.8: a thousand idle connections do not lock root out.
python3 - "$SOCK" "$OTPCTL" > "$T/idle" 2>&1 <<'PY'
import socket, subprocess, sys, time
path, otpctl = sys.argv[1], sys.argv[2]
idle = []
for _ in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(1000):       # a full backlog: let otpd accept, try again
        try:
            s.connect(path)
            break
        except BlockingIOError:
            time.sleep(0.002)
    idle.append(s)
r = subprocess.run(["timeout", "10", otpctl, "-s", path, "status", "w"], capture_output=True)
print("status", r.returncode)
for s in idle: s.close()
PY
expect_eq "status from root answers among 1,000 idle connections" "$(awk '$1=="status"{print $2}' "$T/idle")" 0

# 18.9: 200 clients asking for large replies and never reading cost otpd a
# bounded amount of memory, and the slowest are dropped, saying so.
wait_for sh -c "[ \$($OTPCTL -s $SOCK logs big | wc -l) -ge 20000 ]"
rss() { awk '/^VmRSS/{print $2}' /proc/$OTPD_PID/status; }
rss0=$(rss)
python3 - "$SOCK" "$OTPD_PID" > "$T/slow" 2>&1 <<'PY'
import socket, struct, sys, time
path, pid = sys.argv[1], sys.argv[2]
def frame(t, payload): return struct.pack(">IBB", len(payload), 1, t) + payload
peak = 0
slow = []
for _ in range(200):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path); s.sendall(frame(1, b"logs\0big\0")); slow.append(s)
def rss():
    return int([l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0])
for _ in range(40):     # otpd answers them meanwhile: watch its size
    peak = max(peak, rss())
    time.sleep(0.05)
print("peak", peak)
for s in slow: s.close()
PY
peak=$(awk '$1=="peak"{print $2}' "$T/slow")
[ -n "$peak" ] && [ $((peak - rss0)) -lt 102400 ] && pass "200 slow readers: otpd grew $(((peak - rss0) / 1024)) MiB (bounded)" \
	|| fail "200 slow readers: RSS $rss0 -> $peak KiB ($(cat "$T/slow"))"
grep -q "does not read its output" "$T/err" && pass "dropping them is logged" || fail "no drop logged"
expect_eq "otpd still answers after the slow readers" "$(json w state)" running
finish
