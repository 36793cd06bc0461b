# monitors and pings (otp.conf(5) monitors, ping, ping_timeout; the
# mailbox's system messages): a monitoring worker is told DOWN NAME PID
# REASON when a node it monitors ends and UP NAME PID when it runs again,
# with the state of every monitored node at each of its starts; nothing
# waits for a monitor that is down or hung; a reload changes monitors in
# place; a worker that stops answering otpd's ping is killed with reason
# ping_timeout, counted toward intensity.
. "$(dirname "$0")/lib.sh"
TE=$BUILD/helpers/techo
# lines FILE: the info lines a monitor got so far
lines() { cat "$T/$1" 2>/dev/null; }
# has FILE LINE: the monitor got exactly this line
has() { grep -qxF "$2" "$T/$1" 2>/dev/null; }
count() { grep -c . "$T/$1" 2>/dev/null || echo 0; }
# A server built with an older libotp_mailbox: closes a connection that
# sends a kind it does not know ('s', 'S'), serves calls.
cat > "$T/old.py" <<'PY'
import os, select, socket
srv = socket.socket(fileno=3)
conns = []
while True:
    r, _, _ = select.select([srv] + conns, [], [])
    for s in r:
        if s is srv:
            conns.append(srv.accept()[0])
            continue
        m = s.recv(70000)
        if m[:1] == b"c":
            s.send(b"r" + m[1:])
        elif m[:1] != b"a":
            conns.remove(s)
            s.close()
PY
# A worker that holds its mailbox and never accepts: a hung gen_server.
cat > "$T/deaf.py" <<'PY'
import socket, time
srv = socket.socket(fileno=3)
time.sleep(1000)
PY

conf <<EOF2
[supervisor root]
intensity = 1000
period = 10s
[worker victim]
exec = $TE
mailbox = true
[worker mon]
exec = $TE
mailbox = true
env = TECHO_INFO=$T/info
monitors = victim root
ping = 100ms
EOF2
start_otpd || { fail "otpd did not start: $(cat "$T/err")"; finish; }
wait_state mon running
v1=$(json victim pid)
wait_for has info "UP victim $v1" && pass "at its start the monitor is told what runs" \
	|| fail "info: $(lines info)"
wait_for has info "UP root 0" && pass "a supervisor is UP with pid 0" || fail "info: $(lines info)"

# kill -9: DOWN with the pid and the reason status shows, then UP with the new pid.
kill -KILL "$v1"
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status victim --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"state\"], d[\"pid\"] != $v1)')\" = 'running True' ]"
v2=$(json victim pid)
wait_for has info "UP victim $v2" || fail "no UP for $v2: $(lines info)"
expect_eq "DOWN then UP, in order" "$(grep victim "$T/info" | tail -2 | tr '\n' '|')" \
	"DOWN victim $v1 signal:SIGKILL|UP victim $v2|"
# exit:N: techo exits 1 on the call "die".
ctl call victim die >/dev/null 2>&1
wait_for sh -c "grep -q '^DOWN victim $v2 ' $T/info"
expect_eq "exit status as status shows it" "$(grep "^DOWN victim $v2 " "$T/info")" "DOWN victim $v2 exit:1"
wait_state victim running
v3=$(json victim pid)
wait_for has info "UP victim $v3" && pass "UP after the crash" || fail "info: $(lines info)"
# Stopped by otpd: shutdown; started again: UP.
ctl stop victim >/dev/null
wait_for has info "DOWN victim $v3 shutdown" && pass "stop: DOWN ... shutdown" || fail "info: $(lines info)"
ctl start victim >/dev/null
v4=$(json victim pid)
wait_for has info "UP victim $v4" && pass "start: UP" || fail "info: $(lines info)"
expect_eq "the monitor itself was never killed by its pings" "$(json mon restarts)" 0
expect_eq "no bad system message reached it" "$(grep -c '^bad\|^other' "$T/info")" 0

# The monitoring worker is down: nothing waits for it, nothing is queued
# for it; its next start is told the state as it is then.
ctl stop mon >/dev/null
n=$(count info)
for i in 1 2 3; do
	p=$(json victim pid); kill -KILL "$p"
	wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status victim --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"state\"], d[\"pid\"] != $p)')\" = 'running True' ]"
done
expect_eq "nothing was sent to a stopped monitor" "$(count info)" "$n"
ctl start mon >/dev/null
v5=$(json victim pid)
wait_for has info "UP victim $v5" || fail "after its restart: $(tail -3 "$T/info")"
wait_for sh -c "[ \$(grep -c . $T/info) -ge $((n + 2)) ]"
expect_eq "the new process got the state, not the history" \
	"$(tail -n +$((n + 1)) "$T/info" | sort | tr '\n' '|')" "UP root 0|UP victim $v5|"

# Reload: monitors follow the new config in place (no restart of mon).
mp=$(json mon pid)
sed -i 's/^monitors = victim root$/monitors = root extra/' "$T/otp.conf"
cat >> "$T/otp.conf" <<EOF2
[worker extra]
exec = /bin/sleep 1000
EOF2
ctl reload >/dev/null || fail "reload: $(tail -3 "$T/err")"
wait_state extra running
e1=$(json extra pid)
wait_for has info "UP extra $e1" && pass "reload: an added monitor is told the state at once" \
	|| fail "info: $(tail -3 "$T/info")"
expect_eq "reload kept the monitor's process" "$(json mon pid)" "$mp"
n=$(count info)
kill -KILL "$(json victim pid)"
kill -KILL "$e1"
wait_for sh -c "grep -q '^DOWN extra $e1 signal:SIGKILL' $T/info" || fail "no DOWN extra: $(tail -3 "$T/info")"
wait_for sh -c "grep -q '^UP extra ' $T/info && [ \$(grep -c '^UP extra ' $T/info) -ge 2 ]"
expect_eq "a removed monitor says nothing" "$(tail -n +$((n + 1)) "$T/info" | grep -c victim)" 0
ctl shutdown >/dev/null; otpd_wait
expect_eq "exit 0" "$RC" 0

# A hung monitor (SIGSTOP) under a burst of changes: otpd answers, loses
# what the socket does not take (counted), and once the monitor reads again
# it is sent the whole state: its view ends right.
herd=""
mons=""
for i in $(seq 1 100); do
	herd="$herd
[worker h$i]
parent = herd
exec = /bin/sleep 1000"
	mons="$mons h$i"
done
rm -f "$T/info"
conf <<EOF2
[supervisor root]
intensity = 1000
period = 10s
[worker mon]
exec = $TE
mailbox = true
env = TECHO_INFO=$T/info
monitors =$mons
[supervisor herd]
intensity = 1000
period = 10s
shutdown = 10s
$herd
EOF2
start_otpd || { fail "otpd did not start: $(cat "$T/err")"; finish; }
wait_state herd running 10s
wait_for sh -c "[ \$(grep -c '^UP h' $T/info) -eq 100 ]" || fail "snapshot: $(count info) lines"
mp=$(json mon pid)
kill -STOP "$mp"
for i in 1 2; do ctl restart herd >/dev/null || fail "restart herd"; done
ctl status mon >/dev/null && pass "status answers while the monitor is hung"
lost=$(ctl metrics | awk '/^otpd_worker_monitor_lost_total\{name="mon"/ {print $2}')
[ "${lost:-0}" -gt 0 ] && pass "lost messages counted ($lost)" || fail "lost: '$lost': $(ctl metrics | grep lost)"
kill -CONT "$mp"
# truth: each h's current pid; the monitor's view: its last line per h
truth() { ctl status --json | python3 -c '
import json, sys
def walk(n):
    if n["name"][1:].isdigit(): print("UP %s %d" % (n["name"], n["pid"]))
    for c in n.get("children", []): walk(c)
walk(json.load(sys.stdin))' | sort; }
view() { python3 -c '
import sys
last = {}
for l in open(sys.argv[1]):
    w = l.split()
    last[w[1]] = l.strip()
print("\n".join(sorted(last.values())))' "$T/info"; }
converged() { [ "$(view)" = "$(truth)" ]; }
wait_for converged
expect_eq "after the loss, the monitor's view is the truth" "$(view | md5sum)" "$(truth | md5sum)"
expect_eq "the monitor was not restarted" "$(json mon pid)" "$mp"
ctl shutdown >/dev/null; otpd_wait
expect_eq "exit 0 (herd)" "$RC" 0

# Pings.
rm -f "$T/info"
conf <<EOF2
[supervisor root]
intensity = 1000
period = 10s
[worker good]
exec = $TE
mailbox = true
ping = 50ms
ping_timeout = 500ms
[worker old]
exec = /usr/bin/python3 $T/old.py
mailbox = true
ping = 50ms
[supervisor deafsup]
restart = temporary
intensity = 2
period = 1h
[worker deaf]
parent = deafsup
exec = /usr/bin/python3 $T/deaf.py
mailbox = true
ping = 100ms
ping_timeout = 200ms
[supervisor stopsup]
restart = temporary
intensity = 1
period = 1h
[worker frozen]
parent = stopsup
exec = $TE
mailbox = true
ping = 50ms
ping_timeout = 300ms
EOF2
start_otpd || { fail "otpd did not start: $(cat "$T/err")"; finish; }
wait_state good running
wait_state old running
# The deaf worker never answers: killed with ping_timeout, restarted, and
# after intensity (2) its supervisor gives up.
wait_for sh -c "$OTPCTL -s $SOCK events --since 0 --no-follow | grep -q 'deafsup gave_up'" \
	&& pass "a worker that never answers: its supervisor gave up" || fail "events: $(ctl events --since 0 --no-follow | tail -5)"
expect_eq "exit reason ping_timeout" \
	"$(ctl events --since 0 --no-follow --json | python3 -c '
import json, sys
E = [json.loads(l) for l in sys.stdin]
print(sorted(set(e.get("reason") for e in E if e["event"] == "exited" and e["name"] == "deaf")))')" "['ping_timeout']"
# SIGSTOP: the miss kills it (SIGKILL reaches a stopped process), restarted.
f1=$(json frozen pid)
kill -STOP "$f1"
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status frozen --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"last_exit\"], d[\"pid\"] != $f1 and d[\"state\"] == \"running\")')\" = 'ping_timeout True' ]" \
	&& pass "a stopped worker is killed with ping_timeout and restarted" || fail "frozen: $(ctl status frozen)"
kill -0 "$f1" 2>/dev/null && fail "the stopped process is still there"
expect_eq "its restart counts" "$(json frozen restarts)" 1
f2=$(json frozen pid)
kill -STOP "$f2"
wait_for sh -c "$OTPCTL -s $SOCK events --since 0 --no-follow | grep -q 'stopsup gave_up'" \
	&& pass "the second miss is over intensity 1" || fail "events: $(ctl events --since 0 --no-follow | tail -5)"
kill -KILL "$f2" 2>/dev/null
# Meanwhile the library worker and the old-library worker were pinged
# twenty times a second and never missed.
expect_eq "a library worker is never killed" "$(json good restarts)/$(json good last_exit)" "0/null"
expect_eq "an older library's worker (closes on 's') counts as answering" \
	"$(json old restarts)/$(json old last_exit)" "0/null"
# A frozen worker cannot answer: it is not asked until it is thawed.
if [ -n "$CGBASE" ] && ctl freeze good >/dev/null 2>&1; then
	gp=$(json good pid)
	sleep 1         # 20 pings' worth, twice the timeout
	ctl thaw good >/dev/null
	sleep 0.3
	expect_eq "frozen, then thawed: not killed" "$(json good pid)/$(json good restarts)" "$gp/0"
else
	echo "skip: freeze (no cgroup2 freezer here)"
fi
grep -q "deaf: no answer to ping within 200 ms" "$T/err" && pass "otpd says why" || fail "log: $(grep ping "$T/err" | head -3)"
ctl shutdown >/dev/null; otpd_wait
expect_eq "exit 0 (pings)" "$RC" 0

# Configuration errors: FILE:LINE, as other keys.
# bad KEYS: the first error of otpd --check, less the file and line
bad() { printf '[worker w]\nexec = /bin/true\n%s\n[worker other]\nexec = /bin/true\n' "$1" | conf
	"$OTPD" --check -c "$T/otp.conf" 2>&1 >/dev/null | head -1 | sed 's/^otpd: error: [^ ]*: //'; }
expect_eq "unknown name" "$(bad "$(printf 'mailbox = true\nmonitors = other nope')")" \
	'monitors: no node named "nope", got "other nope"'
expect_eq "itself" "$(bad "$(printf 'mailbox = true\nmonitors = w')")" \
	'monitors: a worker cannot monitor itself, got "w"'
expect_eq "monitors without a mailbox" "$(bad 'monitors = other')" \
	'monitors: DOWN and UP come through the mailbox: set mailbox = true, got "other"'
expect_eq "ping without a mailbox" "$(bad 'ping = 1s')" \
	'ping: the ping is a mailbox message: set mailbox = true, got "1s"'
expect_eq "ping_timeout 0" "$(bad 'ping_timeout = 0')" \
	'ping_timeout: expected a duration above 0 (250ms, 1.5s, 1min; a bare number is ms), got "0"'
line=$(printf '[worker w]\nexec = /bin/true\nmailbox = true\nmonitors = nope\n' | conf; "$OTPD" --check -c "$T/otp.conf" 2>&1 | head -1)
case $line in *otp.conf:*:*monitors*) pass "the error names the file and line";; *) fail "error: $line";; esac
finish
