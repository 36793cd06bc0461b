# events = worker:NAME: every event goes to that worker's mailbox as a
# cast (one JSON object each), in order, from the boot on; the receiver
# may restart; a bad key is a configuration error.
. "$(dirname "$0")/lib.sh"
# sink: serve the mailbox (fd 3), append each cast's JSON to a file.
cat > "$T/sink.py" <<'PY'
import os, socket, sys
srv = socket.socket(fileno=3)
out = open(sys.argv[1], "a", buffering=1)
while True:
    c, _ = srv.accept()
    while True:
        m = c.recv(70000)
        if not m:
            break
        if m[:1] == b"a":
            out.write(m[1:].decode() + "\n")
PY
OTPD_KEYS="events = worker:sink"
conf <<EOF2
[supervisor root]
intensity = 1000
period = 1s
[worker sink]
exec = /usr/bin/python3 $T/sink.py $T/got
mailbox = true
[worker crash]
exec = /bin/sh -c 'echo dying words; exit 5'
restart = transient
restart_delay = 100ms
EOF2
start_otpd || { fail "otpd did not start: $(cat "$T/err")"; finish; }
wait_state sink running
# got N: at least N events received
got() { [ "$(wc -l < "$T/got" 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_for got 12 || fail "sink got: $(cat "$T/got" 2>/dev/null)"
check() { python3 - "$T/got" <<'PY'
import json, sys
E = [json.loads(l) for l in open(sys.argv[1])]
seqs = [e["seq"] for e in E if "seq" in e]
print(seqs == sorted(set(seqs)), seqs[0],
      any(e["event"] == "exited" and e.get("name") == "crash" and e["lines"][-1] == "dying words" for e in E))
PY
}
expect_eq "in order, from the boot's first event, with crash reports" "$(check)" "True 1 True"
# The receiver restarts: what comes after reaches the new process, in order.
ctl restart sink >/dev/null
wait_state sink running
n=$(wc -l < "$T/got")
wait_for got $((n + 8)) && pass "the restarted sink gets events" || fail "after restart: $(tail -3 "$T/got")"
expect_eq "still in order, never twice" "$(check | cut -d' ' -f1)" True
expect_eq "otpd's own list: the same events" "$(ctl events --since 0 --no-follow --json | grep -c '"event":"started","name":"sink"')" 2
ctl stop crash >/dev/null
ctl shutdown >/dev/null; otpd_wait
expect_eq "exit 0" "$RC" 0

# Configuration errors.
# bad KEYS: the first error of otpd --check, less the file and line
bad() { OTPD_KEYS=$1; printf '[worker w]\nexec = /bin/true\n' | conf
	"$OTPD" --check -c "$T/otp.conf" 2>&1 >/dev/null | head -1 | sed 's/^otpd: error: [^ ]*: //'; }
expect_eq "no such worker" "$(bad 'events = worker:nope')" 'events: no worker named "nope", got "worker:nope"'
expect_eq "no mailbox" "$(bad 'events = worker:w')" \
	'events: worker "w" has no mailbox (set mailbox = true there), got "worker:w"'
expect_eq "not worker:" "$(bad 'events = exec:/bin/true')" 'events: expected worker:NAME, got "exec:/bin/true"'
expect_eq "exit 2" "$(OTPD_KEYS='events = worker:nope'; conf </dev/null; "$OTPD" --check -c "$T/otp.conf" >/dev/null 2>&1; echo $?)" 2
finish
