# otpctl logs: the --time format, --json objects (time, stream, pid,
# line), and -f across a restart, which marks the start of each process.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker tick]
exec = /bin/sh -c 'echo "hello from \$\$"; echo "err from \$\$" >&2; exec sleep 60'
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state tick running
wait_for sh -c "$OTPCTL -s $SOCK logs tick | grep -q 'err from'"
pid=$(json tick pid)

# --time: journalctl's short format, local time with milliseconds.
ctl logs tick --time > "$T/time"
grep -Eq "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} tick\[$pid\]: hello from $pid\$" "$T/time" \
	&& pass "--time: 'Mon DD HH:MM:SS.mmm name[pid]: line'" || fail "--time: $(cat "$T/time")"
grep -Eq "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}\.[0-9]{3} -- tick\[$pid\] started --\$" "$T/time" \
	&& pass "--time shows the start" || fail "--time start: $(cat "$T/time")"
expect_eq "plain: the lines only" "$(ctl logs tick | sort | tr '\n' '|')" "err from $pid|hello from $pid|"

# --json: one document, its lines objects with a time in ms near now.
ctl logs tick --json | python3 -c '
import json, sys, time
d = json.load(sys.stdin)
now = time.time() * 1000
ok = d["name"] == "tick" and len(d["lines"]) == 3
start, a, b = d["lines"]
ok = ok and start["event"] == "start" and "line" not in start
for l in d["lines"]:
    ok = ok and l["pid"] == '$pid' and isinstance(l["time"], int) and now - 60000 < l["time"] <= now
got = sorted((l["stream"], l["line"]) for l in (a, b))
ok = ok and got == [("stderr", "err from '$pid'"), ("stdout", "hello from '$pid'")]
print("ok" if ok else d)' > "$T/json"
expect_eq "--json: objects with time, stream, pid, line; the start as an event" "$(cat "$T/json")" ok

# -f follows across a restart and marks it: JSON, plain (mark on stderr),
# and --time.
# Each follower prints the last line once subscribed.
ctl logs tick -f -n 1 --json > "$T/fj" & fj=$!
ctl logs tick -f -n 1 > "$T/fp" 2> "$T/fp.err" & fp=$!
ctl logs tick -f -n 1 --time > "$T/ft" & ft=$!
wait_for sh -c "[ -s $T/fj ] && [ -s $T/fp ] && [ -s $T/ft ]"
ctl restart tick > /dev/null
wait_state tick running
new=$(json tick pid)
[ "$new" != "$pid" ] || fail "restart kept pid $pid"
wait_for sh -c "grep -q 'err from $new' $T/fj && grep -q 'err from $new' $T/fp && grep -q 'err from $new' $T/ft"
kill $fj $fp $ft; wait $fj $fp $ft 2>/dev/null
python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
starts = [e for e in ev if e.get("event") == "start"]
after = [e for e in ev if e.get("pid") == '$new' and "line" in e]
ok = len(ev) == 4 and ev[0].get("pid") == '$pid'
ok = ok and len(starts) == 1 and starts[0]["pid"] == '$new' and ev.index(starts[0]) < ev.index(after[0]) and len(after) == 2
print("ok" if ok else ev)' "$T/fj" > "$T/fj.check"
expect_eq "-f --json: the new process's start, then its lines" "$(cat "$T/fj.check")" ok
expect_eq "-f plain: lines on stdout" "$(tail -n +2 "$T/fp" | sort | tr '\n' '|')" "err from $new|hello from $new|"
expect_eq "-f plain: the start marked on stderr" "$(cat "$T/fp.err")" "-- tick[$new] started --"
grep -q -- "-- tick\[$new\] started --\$" "$T/ft" && pass "-f --time marks the start" || fail "-f --time: $(cat "$T/ft")"

# --reopen: usage, and a worker or all.
expect_eq "logs --reopen NAME" "$(ctl logs --reopen tick)" ok
expect_eq "logs --reopen --all" "$(ctl logs --reopen --all)" ok
ctl logs --reopen > /dev/null 2>&1; expect_eq "logs --reopen alone: usage" "$?" 2
ctl logs --reopen tick --all > /dev/null 2>&1; expect_eq "logs --reopen NAME --all: usage" "$?" 2
ctl logs > /dev/null 2>&1; expect_eq "logs without a name: usage" "$?" 2
finish
