# otpctl events: numbered events in order, a crash report with the last
# lines a worker wrote, --since resume, the "missed" and "reset" notices,
# a follower that does not read never blocks otpd, and the counters of
# otpctl metrics.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
intensity = 100000
period = 1s
[worker ok]
exec = /bin/sleep 600
[worker boom]
exec = /bin/sh -c 'echo first line; echo "second \\"quoted\\""; echo last words >&2; exec sleep 600'
restart = transient
[supervisor weak]
intensity = 0
[worker fragile]
parent = weak
exec = /bin/sleep 600
restart = transient
[worker loop]
exec = /bin/sh -c '[ -e $T/go ] || exec sleep 600; i=0; while [ \$i -lt 12 ]; do echo "loop \$\$ line \$i padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding padding"; i=\$((i+1)); done; exit 7'
restart = transient
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state ok running && wait_state boom running || fail "not running"

# events_json ARGS: the JSON lines of `events ARGS --json --no-follow`.
events_json() { ctl events --json --no-follow "$@"; }
# pyq EXPR: evaluate EXPR with E = the list of JSON lines on stdin.
pyq() { python3 -c "import json,sys; E=[json.loads(l) for l in sys.stdin if l.strip()]; print($1)"; }

# Order: sequence numbers 1, 2, 3, ... and the boot's events for ok.
expect_eq "numbered from 1, no gap" "$(events_json --since 0 | pyq '[e["seq"] for e in E] == list(range(1, len(E) + 1))')" True
expect_eq "ok: started then ready" "$(events_json --since 0 | pyq '[e["event"] for e in E if e.get("name") == "ok"]')" "['started', 'ready']"
pid=$(json ok pid)
expect_eq "started carries the pid" "$(events_json --since 0 | pyq '[e["pid"] for e in E if e.get("name") == "ok" and e["event"] == "started"][0]')" "$pid"
expect_eq "every event has a realtime time" "$(events_json --since 0 | pyq 'all(abs(e["time_ms"] / 1000 - __import__("time").time()) < 60 and e["time"].endswith("Z") for e in E)')" True

# A follower sees a restart as it happens, in order; --since resumes.
last=$(events_json --since 0 | pyq 'E[-1]["seq"]')
# (--since: no race with the follower's connect, which a follower "from
# now on" would have.)
"$OTPCTL" -s "$SOCK" events --json --since "$last" > "$T/follow" & F=$!
ctl restart ok >/dev/null
wait_for sh -c "grep -c '\"name\":\"ok\"' $T/follow | grep -qx 3" || fail "follower: $(cat $T/follow)"
kill $F; wait $F 2>/dev/null
expect_eq "follower: stopped, started, ready" "$(pyq '[(e["event"], e.get("reason")) for e in E]' < "$T/follow")" \
	"[('stopped', 'shutdown'), ('started', None), ('ready', None)]"
expect_eq "follower: continues the numbers" "$(pyq 'E[0]["seq"]' < "$T/follow")" $((last + 1))
expect_eq "--since LAST resumes after it" "$(events_json --since "$last" | pyq '[e["event"] for e in E if e.get("name") == "ok"]')" \
	"['stopped', 'started', 'ready']"
expect_eq "--since the last: nothing" "$(events_json --since $((last + 3)) | wc -l)" 0
expect_eq "text: SEQ TIME NAME EVENT" "$(ctl events --no-follow --since "$last" | head -1 | awk '{print $1, $3, $4, $5}')" "$((last + 1)) ok stopped shutdown"

# Crash report: the last lines a worker wrote, with its exit.
bpid=$(json boom pid)
ctl kill boom KILL >/dev/null
wait_for sh -c "$OTPCTL -s $SOCK events --json --no-follow --since 0 | grep -q '\"event\":\"exited\",\"name\":\"boom\"'"
crash=$(events_json --since 0 | pyq '[e for e in E if e["event"] == "exited" and e.get("name") == "boom"][0]')
expect_eq "crash report: reason and pid" "$(echo "$crash" | python3 -c 'import ast,sys; e=ast.literal_eval(sys.stdin.read()); print(e["reason"], e["pid"])')" "signal:SIGKILL $bpid"
expect_eq "crash report: the last lines" "$(echo "$crash" | python3 -c 'import ast,sys; print(ast.literal_eval(sys.stdin.read())["lines"])')" \
	"['first line', 'second \"quoted\"', 'last words']"
ctl events --no-follow --since 0 > "$T/text"
grep -q '^    | last words$' "$T/text" && pass "text: the report indented under the event" || fail "text: $(cat "$T/text")"
expect_eq "then restarting" "$(events_json --since 0 | pyq '[e["event"] for e in E if e.get("name") == "boom"][2:4]')" "['exited', 'restarting']"

# gave_up, then escalated to the parent.
ctl kill fragile KILL >/dev/null
wait_for sh -c "$OTPCTL -s $SOCK events --json --no-follow --since 0 | grep -q escalated"
expect_eq "gave_up: which child, intensity" "$(events_json --since 0 | pyq '[(e["name"], e["child"], e["intensity"]) for e in E if e["event"] == "gave_up"]')" "[('weak', 'fragile', 0)]"
expect_eq "escalated: to the parent" "$(events_json --since 0 | pyq '[(e["name"], e["to"]) for e in E if e["event"] == "escalated"]')" "[('weak', 'root')]"
wait_state weak running
expect_eq "metrics: gave_up_total" "$(ctl metrics | grep '^otpd_supervisor_gave_up_total{name="weak"')" 'otpd_supervisor_gave_up_total{name="weak",supervisor="root"} 1'

# Reload: an event.
ctl reload >/dev/null
expect_eq "reloaded" "$(events_json --since 0 | pyq '[e["event"] for e in E][-1]')" reloaded

# A follower that does not read: otpd goes on answering, the ring wraps,
# and when it reads again it is told how many events it missed.
"$OTPCTL" -s "$SOCK" events --since 0 --json > "$T/slow" & S=$!
wait_for grep -q '"seq":1,' "$T/slow"
kill -STOP $S
touch "$T/go"
ctl restart loop >/dev/null
slow_ok=1
for _ in $(seq 200); do
	timeout 10 "$OTPCTL" -s "$SOCK" status >/dev/null || { slow_ok=0; break; }
	n=$(ctl metrics | awk '/^otpd_events_total /{print $2}')
	[ "$n" -gt 2600 ] && break
	sleep 0.05
done
[ "$slow_ok" = 1 ] && pass "status answers while a follower sleeps" || fail "status blocked by a sleeping follower"
rm -f "$T/go"
[ "$n" -gt 2600 ] && pass "2600 events made ($n)" || fail "only $n events"
kill -CONT $S
wait_for grep -q '"event":"missed"' "$T/slow" && pass "the sleeper is told it missed events" || fail "no missed notice: $(tail -c 300 "$T/slow")"
kill $S; wait $S 2>/dev/null
# otpctl copies a frame as its bytes arrive: the kill may cut the last line.
python3 -c 'import sys; t = open(sys.argv[1]).read(); open(sys.argv[1], "w").write(t[:t.rfind("\n") + 1])' "$T/slow"
expect_eq "missed: count = last - first + 1" "$(grep '"event":"missed"' "$T/slow" | head -1 | pyq 'E[0]["count"] == E[0]["last"] - E[0]["first"] + 1 and E[0]["count"] > 0')" True
expect_eq "after the notice: the events from 'last' + 1 on" "$(python3 -c '
import json, sys
E = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
i = next(i for i, e in enumerate(E) if e["event"] == "missed")
print(i + 1 < len(E) and E[i + 1]["seq"] == E[i]["last"] + 1 and E[i - 1]["seq"] == E[i]["first"] - 1)' "$T/slow")" True
d=$(ctl metrics | awk '/^otpd_events_dropped_total /{print $2}')
[ "$d" -gt 0 ] && pass "events_dropped_total counts them ($d)" || fail "events_dropped_total: $d"

# --since older than the ring: the notice first; text on stderr.
expect_eq "--since 1: missed first" "$(events_json --since 1 | head -1 | pyq 'E[0]["event"], E[0]["first"]')" "missed 2"
ctl events --no-follow --since 1 2>"$T/err1" >/dev/null
grep -q '^otpctl: missed [0-9]* events (2 to ' "$T/err1" && pass "text: missed on stderr" || fail "text missed: $(cat "$T/err1")"
# --since ahead of otpd (another otpd's numbers): told, then the whole ring.
expect_eq "--since ahead: reset" "$(events_json --since 99999999 | head -1 | pyq 'E[0]["event"]')" reset
expect_eq "bad --since: usage" "$(ctl events --since x 2>/dev/null; echo $?)" 2
finish
