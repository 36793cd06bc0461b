# otpctl reexec (otpd(8), RE-EXECUTION): otpd replaces its image and keeps
# every child, as a subreaper and as PID 1 of a PID namespace.  Workers of
# every state keep their pid, state and restart count; nothing a worker
# prints is lost across 20 re-executions; a worker that dies during the
# exec is handled after it and counts toward intensity; a binary that
# cannot read the state is refused and otpd goes on; a binary at another
# path takes over; mailbox callers are all answered; a busy tree is
# refused after a bound, naming what is busy.  On main's output: a worker
# writing to stdout and stderr loses no line and keeps its pid on each, a
# file: target is written on, the pipe of a gone process still drains
# (its pid on its lines); events --since goes on with no gap; a pinged
# worker is not killed and is pinged on the same connection.
. "$(dirname "$0")/lib.sh"

# The pid otpd has where `ps` runs (the namespace's init as PID 1), and
# the /proc where otpd's pids are (its namespace's).
INNER=
PROC=/proc
NEW_BIN=$BUILD/static/obj/otpd
[ -x "$NEW_BIN" ] || { cp "$OTPD" "$T/otpd-copy"; NEW_BIN=$T/otpd-copy; }

write_conf() {
	conf <<EOF2
[supervisor root]
intensity = 50
period = 60s
[worker plain]
exec = $TW
[worker clean]
exec = $TW --hygiene
[worker printer]
exec = /bin/sh -c "i=0; while :; do i=\$((i+1)); printf 'n %d' \$i; printf '\\\\n'; [ \$((i % 20)) = 0 ] && sleep 0.01; done"
[supervisor ss]
intensity = 5
[worker slow]
parent = ss
ready = notify
exec = /bin/sh -c "if [ -e $T/slow.once ]; then while [ ! -e $T/slow.go ]; do sleep 0.05; done; fi; touch $T/slow.once; exec $TW --notify-ready 0"
[worker delayed]
exec = $TW
restart_delay = 4s
[worker off]
exec = $TW
[worker gone]
exec = $TW
[supervisor pool]
strategy = simple_one_for_one
[worker job]
parent = pool
exec = $TW
[worker counter]
exec = $BUILD/examples/counter
mailbox = true
[supervisor cold]
[worker frz]
parent = cold
exec = $TW
[supervisor fragile]
intensity = 1
period = 60s
[worker victim]
parent = fragile
exec = /bin/sh -c "[ -e $T/arm ] && [ ! -e $T/died ] || exec sleep 1000; read -r m0 < /proc/\$PPID/maps; : > $T/watching; while read -r m < /proc/\$PPID/maps && [ \"\$m\" = \"\$m0\" ]; do :; done; touch $T/died; kill -9 \$\$"
[worker stubborn]
exec = $TW --ignore-term
shutdown = 30s
[worker half]
exec = /bin/sh -c "printf 'first '; while [ ! -e $T/half.go ]; do sleep 0.02; done; printf 'half\\n'; exec sleep 1000"
[worker both]
exec = /bin/sh -c "i=0; while :; do i=\$((i+1)); echo o \$i; echo e \$i >&2; [ \$((i % 20)) = 0 ] && sleep 0.01; done"
[worker filer]
exec = /bin/sh -c "i=0; while :; do i=\$((i+1)); echo f \$i; sleep 0.02; done"
stdout = file:$T/filer.log
[worker pinged]
exec = /usr/bin/python3 $T/pinged.py $T/pings
mailbox = true
ping = 30ms
ping_timeout = 2s
EOF2
}

# A worker that answers otpd's pings and writes down, for each, which of
# the connections it accepted carried it (1: the first, kept by reexecs).
cat > "$T/pinged.py" <<'PY'
import select, socket, sys
srv = socket.socket(fileno=3)
log = open(sys.argv[1], "a", buffering=1)
conns = {}
while True:
    r, _, _ = select.select([srv] + list(conns), [], [])
    for s in r:
        if s is srv:
            conns[srv.accept()[0]] = len(conns) + 1
            continue
        m = s.recv(70000)
        if not m:
            del conns[s]
            s.close()
        elif m[:1] == b"s":
            s.send(b"r")
            log.write("%d\n" % conns[s])
PY

# Every node: name state pid restarts, one line each, sorted.
snapshot() {
	ctl status --json | python3 -c '
import json, sys
def walk(n):
    print(n["name"], n["state"], n.get("pid"), n.get("restarts"))
    for c in n.get("children", []): walk(c)
walk(json.load(sys.stdin))' | sort
}

# The numbers of a worker's lines in a file: consecutive from 1, and (PID
# given) every line labelled with that pid?  RE: the line, the pid and the
# number as groups; by default the printer's lines in otpd's stdout.
lines_whole() { # file [re [pid]]
	python3 - "$1" "${2:-^printer\[(\d+)\]: n (\d+)$}" "${3:-}" <<'PY'
import re, sys
found = [(int(m.group(1)), int(m.group(2))) for m in re.finditer(sys.argv[2], open(sys.argv[1], errors="replace").read(), re.M)]
nums = [n for _, n in found]
pids = sorted(set(p for p, _ in found))
bad = [(a, b) for a, b in zip(nums, nums[1:]) if b != a + 1]
ok = nums and nums[0] == 1 and not bad and (not sys.argv[3] or pids == [int(sys.argv[3])])
print("%d lines%s" % (len(nums), "" if ok else ", broken at %s (first %s, pids %s)" % (bad[:3], nums[:1], pids[:5])))
sys.exit(0 if ok else 1)
PY
}

# The last number in the file target's lines so far; is it past N + 3?
filer_last() {
	sed -n 's/.* filer\[[0-9]*\] stdout: f \([0-9]*\)$/\1/p' "$T/filer.log" 2>/dev/null | tail -1
}
filer_past() { local l; l=$(filer_last); [ "${l:-0}" -gt $(($1 + 3)) ]; }

reexec_ok() { # what [ARGS]
	local what=$1 out
	shift
	out=$(ctl reexec "$@" 2>&1) && echo "$out" | grep -q '^ok$' && return 0
	fail "$what: reexec: $out"
	return 1
}

scenario() { # mode: subreaper | pid1
	local mode=$1 before after out rc p
	rm -f "$T"/slow.* "$T"/half.* "$T/arm" "$T/died" "$T/watching" "$T"/filer.log* "$T/pings"
	write_conf
	if [ "$mode" = pid1 ]; then
		unshare --pid --fork --kill-child --mount-proc "$OTPD" -c "$T/otp.conf" \
			> "$T/out" 2> "$T/err" &
		OTPD_PID=$!
		wait_for test -S "$SOCK" || { fail "$mode: otpd did not start"; return; }
		INNER=$(pgrep -P "$OTPD_PID" | head -1)
		PROC=/proc/$INNER/root/proc
	else
		start_otpd || { fail "$mode: otpd did not start"; return; }
		INNER=$OTPD_PID
		PROC=/proc
	fi
	for w in plain printer slow delayed off gone counter frz victim stubborn both filer pinged; do
		wait_state $w running || fail "$mode: $w did not start"
	done

	# --- every state ----------------------------------------------------------
	ctl stop off >/dev/null
	ctl stop gone >/dev/null && ctl delete-child gone >/dev/null
	ctl start-child pool >/dev/null
	ctl start-child pool --name named -- extra-arg >/dev/null
	ctl kill slow KILL >/dev/null
	wait_for sh -c "$OTPCTL -s $SOCK status slow --json | grep -q '\"state\": *\"starting\"'" \
		|| fail "$mode: slow is not waiting for READY=1"
	ctl kill delayed KILL >/dev/null
	wait_state delayed restarting || fail "$mode: delayed is not restarting"
	if [ -n "$CGBASE" ]; then
		ctl freeze frz >/dev/null || fail "$mode: freeze"
	fi
	for i in $(seq 5); do ctl call counter "add 1" >/dev/null; done
	before=$(snapshot)
	reexec_ok "$mode: every state" || return
	after=$(snapshot)
	expect_eq "$mode: pids, states and restart counts kept" "$after" "$before"
	grep -qa -- '--restore' /proc/$INNER/cmdline && pass "$mode: same process, new image" ||
		fail "$mode: cmdline $(tr '\0' ' ' < /proc/$INNER/cmdline)"
	expect_eq "$mode: a deleted child stays deleted" "$(ctl start gone 2>&1; echo $?)" \
		"otpctl: gone: not_found
1"
	expect_eq "$mode: the mailbox worker kept its state" "$(ctl call counter get)" 5
	# Half a line read before the exec, the rest after it: one line.
	touch "$T/half.go"
	wait_for sh -c "$OTPCTL -s $SOCK logs half | grep -q half"
	expect_eq "$mode: a line cut by the exec comes out whole" "$(ctl logs half)" "first half"
	[ -n "$CGBASE" ] && expect_eq "$mode: frozen stays frozen" "$(json frz state)" frozen
	# What was waiting goes on: READY=1, the restart_delay, a thaw.
	touch "$T/slow.go"
	wait_state slow running || fail "$mode: slow never became ready"
	wait_state delayed running 8s || fail "$mode: delayed never restarted"
	expect_eq "$mode: the restart_delay was counted once" "$(json delayed restarts)" 1
	if [ -n "$CGBASE" ]; then
		ctl thaw frz >/dev/null && wait_state frz running || fail "$mode: thaw after reexec"
	fi
	# A dynamic child comes back with its arguments when it restarts.
	ctl kill named KILL >/dev/null
	wait_for sh -c "$OTPCTL -s $SOCK status named --json | grep -q '\"restarts\": *1'"
	p=$(json named pid)
	grep -qa extra-arg "$PROC/$p/cmdline" 2>/dev/null && pass "$mode: dynamic child restarted with its args" \
		|| fail "$mode: named's cmdline: $(tr '\0' ' ' < $PROC/$p/cmdline 2>/dev/null)"
	# The new image lends its starts a block of descriptors claimed after
	# the exec, wherever numbers were free: a start still passes on none.
	ctl restart clean >/dev/null && wait_state clean running || fail "$mode: restart clean"
	wait_for sh -c "[ \$($OTPCTL -s $SOCK logs clean | grep -c 'hygiene: fds=') -ge 2 ]"
	expect_eq "$mode: a start after the exec passes on only fds 0-2" \
		"$(ctl logs clean | grep 'hygiene: fds=' | tail -1)" "hygiene: fds=0,1,2,"

	# --- 20 re-executions, no line lost; mailbox callers all answered ------------
	local seq0 seq1 both_pid fl
	seq0=$(ctl events --no-follow | awk '/^[0-9]+ / {n = $1} END {print n}')
	both_pid=$(json both pid)
	( n=0; for i in $(seq 60); do ctl call counter "add 1" >/dev/null || n=$((n + 1)); done;
	  echo "$n" > "$T/call_failures" ) &
	p=$!
	for i in $(seq 20); do reexec_ok "$mode: reexec $i" || break; done
	wait "$p"
	# Events go on from where they were: the next ones after seq0, no gap.
	ctl restart plain >/dev/null && wait_state plain running
	ctl events --since "$seq0" --no-follow > "$T/ev.out" 2> "$T/ev.err"
	seq1=$(awk '/^[0-9]+ / {print $1; exit}' "$T/ev.out")
	expect_eq "$mode: events --since continues across the reexecs" \
		"$seq1:$(awk '/^[0-9]+ / {if (p && $1 != p + 1) bad = 1; p = $1} END {print bad + 0}' "$T/ev.out"):$(cat "$T/ev.err")" \
		"$((seq0 + 1)):0:"
	grep -q "^[0-9]* .*plain" "$T/ev.out" && pass "$mode: events after the reexecs follow" \
		|| fail "$mode: no event of plain's restart: $(tail -3 "$T/ev.out")"
	# The file target is written after them too.
	fl=$(filer_last)
	wait_for filer_past "${fl:-0}" \
		&& pass "$mode: the file target is written after the reexecs" \
		|| fail "$mode: filer.log stopped at ${fl:-nothing}"
	expect_eq "$mode: the pinged worker was not killed by the reexecs" \
		"$(json pinged restarts):$(grep -c 'pinged: no answer to ping' "$T/err")" "0:0"
	fl=$(wc -l < "$T/pings")
	wait_for sh -c "[ \$(wc -l < $T/pings) -gt $((fl + 3)) ]" \
		&& pass "$mode: pings go on after the reexecs" || fail "$mode: pings stopped at $fl"
	expect_eq "$mode: pings on the connection made before them" "$(sort -u "$T/pings")" 1
	ctl stop both >/dev/null
	ctl stop filer >/dev/null
	out=$(lines_whole "$T/out" '^both\[(\d+)\]: o (\d+)$' "$both_pid") \
		&& pass "$mode: both's stdout: no line lost, its pid on each ($out)" || fail "$mode: both's stdout: $out"
	out=$(lines_whole "$T/err" '^both\[(\d+)\]: e (\d+)$' "$both_pid") \
		&& pass "$mode: both's stderr: no line lost, its pid on each ($out)" || fail "$mode: both's stderr: $out"
	out=$(lines_whole "$T/filer.log" ' filer\[(\d+)\] stdout: f (\d+)$') \
		&& pass "$mode: the file target: no line lost ($out)" || fail "$mode: filer.log: $out"
	expect_eq "$mode: mailbox calls during reexecs, none refused" "$(cat $T/call_failures)" 0
	expect_eq "$mode: every call counted" "$(ctl call counter get)" 65
	ctl stop printer >/dev/null
	out=$(lines_whole "$T/out") && pass "$mode: no line lost or doubled ($out)" || fail "$mode: printer: $out"
	ctl logs printer -n 500 | awk 'NR > 1 && $2 != prev + 1 { bad = 1 } { prev = $2 } END { exit bad || NR != 500 }' \
		&& pass "$mode: the log ring is whole too" || fail "$mode: logs printer: $(ctl logs printer -n 5)"
	expect_eq "$mode: events numbered on" "$(ctl events --no-follow | awk '/^[0-9]+ / {print $1}' | sort -n | uniq -d)" ""

	# --- a worker that dies during the exec --------------------------------------
	ctl kill victim KILL >/dev/null   # restart 1 of 1 in fragile's window
	wait_for sh -c "$OTPCTL -s $SOCK status victim --json | grep -q '\"restarts\": *1'" \
		|| fail "$mode: victim not restarted"
	wait_state victim running
	touch "$T/arm"
	ctl restart victim >/dev/null     # a restart asked for: not counted
	wait_for test -e "$T/watching" || fail "$mode: victim does not watch otpd"
	reexec_ok "$mode: reexec while victim watches" || return
	wait_for test -e "$T/died" || fail "$mode: victim did not die"
	wait_for sh -c "$OTPCTL -s $SOCK events --no-follow | grep -q 'fragile gave_up'" \
		&& pass "$mode: the death during the exec counted toward intensity" \
		|| fail "$mode: no give-up: $(ctl events --no-follow | tail -12 | tr "\n" "~")"
	wait_state victim running || fail "$mode: victim not back"

	# --- refusals: otpd goes on ---------------------------------------------------
	before=$(snapshot)
	out=$(ctl reexec --binary /bin/true 2>&1); rc=$?
	expect_eq "$mode: /bin/true refused, exit 1" "$rc" 1
	echo "$out" | grep -q "cannot read this otpd's state" && pass "$mode: refusal says why" \
		|| fail "$mode: refusal: $out"
	out=$(ctl reexec --binary "$T/nothing" 2>&1); rc=$?
	expect_eq "$mode: a missing binary refused" "$rc:$(echo "$out" | grep -c 'cannot open')" "1:1"
	expect_eq "$mode: nothing changed by refusals" "$(snapshot)" "$before"

	# --- another binary at another path, and back ---------------------------------
	reexec_ok "$mode: to $NEW_BIN" --binary "$NEW_BIN" &&
		expect_eq "$mode: the new binary runs" "$(readlink /proc/$INNER/exe)" "$NEW_BIN"
	reexec_ok "$mode: the new binary re-executes itself"
	reexec_ok "$mode: back" --binary "$OTPD" &&
		expect_eq "$mode: back to the first binary" "$(readlink /proc/$INNER/exe)" "$OTPD"
	expect_eq "$mode: nothing changed by the trip" "$(snapshot)" "$before"

	# --- clients during the exec are told to retry -------------------------------
	ctl logs plain -f > "$T/follow.out" 2> "$T/follow.err" &
	p=$!
	wait_for test -n "$(ls /proc/$p/fd 2>/dev/null)"
	sleep 0.2
	reexec_ok "$mode: with a follower"
	wait "$p"; rc=$?
	expect_eq "$mode: a follower ends with exit 3" "$rc" 3
	grep -q "re-executing, retry" "$T/follow.err" && pass "$mode: the follower was told" \
		|| fail "$mode: follower said: $(cat $T/follow.err)"

	# --- a busy tree is refused after the bound, naming what is busy -----------------
	ctl stop stubborn >/dev/null &
	p=$!
	wait_for sh -c "$OTPCTL -s $SOCK status stubborn --json | grep -q '\"state\": *\"stopping\"'"
	out=$(ctl reexec 2>&1); rc=$?
	expect_eq "$mode: busy: refused" "$rc" 1
	echo "$out" | grep -q "stubborn" && pass "$mode: the refusal names the busy node" \
		|| fail "$mode: busy refusal: $out"
	ctl kill stubborn KILL >/dev/null
	wait "$p"

	if [ "$mode" = subreaper ]; then
		kill -USR2 "$INNER"
		wait_for grep -q "SIGUSR2: re-executing" "$T/err" && wait_for grep -q "re-executed" "$T/err" \
			&& pass "$mode: SIGUSR2 re-executes" || fail "$mode: SIGUSR2"
		wait_for sh -c "[ \$(grep -c 're-executed from' $T/err) -ge 25 ]"
	fi
	# --- and the tree still stops in order ---------------------------------------
	kill -TERM "$INNER"
	otpd_wait
	expect_eq "$mode: otpd exits 0 after SIGTERM" "$RC" 0
	[ -S "$SOCK" ] && fail "$mode: socket left behind" || pass "$mode: clean exit"
}

# --- the state's format: checked, versioned ------------------------------------
out=$("$OTPD" --check-state 3 3</dev/null 2>&1); rc=$?
expect_eq "an empty state: refused by the check" "$rc:$(echo "$out" | grep -c 'cannot restore')" "1:1"
printf 'OTPDSTAT\003\000\000\000\000\000\000\000' > "$T/v3.state"
out=$("$OTPD" --check-state 3 3<"$T/v3.state" 2>&1)
expect_eq "another major version: refused" "$out" \
	"otpd $("$OTPD" --version | awk '{print $2}') cannot restore this state: state format 3, this otpd reads 2"
out=$("$OTPD" --restore 3 3<"$T/v3.state" 2>&1); rc=$?
expect_eq "a restore from a bad state ends otpd (exit 2)" "$rc" 2

# --- the pipe of a gone process that still drains --------------------------------
# Without cgroups, what a process leaves behind outlives it: its pipe
# drains into the worker's log, labelled with that process's pid, while
# the next process writes to pipes of its own.  Kept across reexecs too.
drain_scenario() {
	local p1 g out n
	rm -f "$T/left" "$T/gpid"
	OTPD_KEYS='cgroup = off' conf <<EOF2
[worker leaver]
exec = /bin/sh -c "if [ ! -e $T/left ]; then touch $T/left; sh -c 'echo \$\$ > $T/gpid; i=0; while :; do i=\$((i+1)); echo g \$i; sleep 0.02; done' & fi; exec sleep 1000"
EOF2
	start_otpd || { fail "drain: otpd did not start"; return; }
	wait_state leaver running || fail "drain: leaver did not start"
	wait_for test -s "$T/gpid" || { fail "drain: no writer left behind"; return; }
	p1=$(json leaver pid)
	g=$(cat "$T/gpid")
	ctl kill leaver KILL >/dev/null
	wait_for sh -c "$OTPCTL -s $SOCK status leaver --json | grep -q '\"restarts\": *1'" \
		&& wait_state leaver running || fail "drain: leaver not restarted"
	for i in 1 2 3; do reexec_ok "drain: reexec $i" || break; sleep 0.2; done
	n=$(grep -c '^leaver\[[0-9]*\]: g ' "$T/out")
	wait_for sh -c "[ \$(grep -c '^leaver\[[0-9]*\]: g ' $T/out) -gt $((n + 5)) ]" \
		&& pass "drain: its lines still come after the reexecs" || fail "drain: stopped at $n lines"
	kill -KILL "$g"
	ctl stop leaver >/dev/null
	out=$(lines_whole "$T/out" '^leaver\[(\d+)\]: g (\d+)$' "$p1") \
		&& pass "drain: the gone process's pipe drained across reexecs, its pid on each line ($out)" \
		|| fail "drain: $out"
	kill -TERM "$OTPD_PID"
	otpd_wait
}

scenario subreaper
drain_scenario
if command -v unshare >/dev/null &&
	unshare --pid --fork --kill-child --mount-proc true 2>/dev/null; then
	scenario pid1
else
	echo "skip: cannot create PID namespaces here"
fi
finish
