# Overlapping restarts (otpctl restart --overlap): 8 callers calling a
# mailbox worker without a pause while it is restarted with --overlap 20
# times: no call fails, the old process is gone each time, status shows
# both pids meanwhile (both in the worker's cgroup, when this machine has
# cgroups), refusals (supervisor, not running, busy), new processes that
# are never ready or exit (the old one keeps serving, nothing counts), and
# reexec refused while an overlap is under way.
. "$(dirname "$0")/lib.sh"
ECHO=$BUILD/helpers/techo
TCALLER=$BUILD/helpers/tcaller
conf <<EOF
[supervisor root]
[worker echo]
exec = $ECHO
mailbox = true
; the second process is ready once the test says so ($T/slow.go)
[worker slow]
exec = /bin/sh -c '[ -n "\$OTP_TAKING_OVER" ] && while [ ! -e $T/slow.go ]; do sleep 0.02; done; echo ready >&3; exec sleep 1000'
ready = fd:3
[worker off]
exec = /bin/sleep 1000
; never ready when it is the second process (OTP_TAKING_OVER=1)
[worker never]
exec = /bin/sh -c '[ -n "\$OTP_TAKING_OVER" ] || echo ready >&3; exec sleep 1000'
ready = fd:3
; exits 3 when it is the second process
[worker crashy]
exec = /bin/sh -c '[ -n "\$OTP_TAKING_OVER" ] && exit 3; echo ready >&3; exec sleep 1000'
ready = fd:3
[supervisor sub]
EOF
start_otpd || { fail "otpd did not start"; finish; }
wait_state echo running && wait_state slow running 10s || fail "workers did not start"
export OTP_MAILBOX_DIR=$T/run/mailbox

# --- 8 callers, 20 overlapping restarts -------------------------------------
files() { [ "$(ls "$1" | grep -c "^$2\.")" = "$3" ]; }
d=$T/load; mkdir "$d"
pids=""
for i in $(seq 8); do timeout 300 "$TCALLER" echo "c$i" "$d" > "$d/out$i" 2>&1 & pids="$pids $!"; done
wait_for files "$d" started 8 || fail "callers did not start"
gone=0 switched=0
for i in $(seq 20); do
	old=$(json echo pid)
	ctl restart echo --overlap > /dev/null || fail "overlap $i: $(ctl restart echo --overlap 2>&1)"
	new=$(json echo pid)
	[ "$new" != "$old" ] && [ "$new" != null ] && switched=$((switched + 1))
	kill -0 "$old" 2>/dev/null || gone=$((gone + 1))
done
touch "$d/stop"
ok=0
for p in $pids; do wait $p && ok=$((ok + 1)); done
expect_eq "20 overlaps: the worker's pid changed each time" "$switched" 20
expect_eq "20 overlaps: the old process gone each time" "$gone" 20
expect_eq "8 callers during 20 overlaps: no call failed" "$ok" 8
cat "$d"/out? | sed 's/^/  /'
expect_eq "restarts counted" "$(json echo restarts)" 20
expect_eq "still running, no overlap left" "$(json echo state) $(json echo overlap_pid)" "running null"

# --- both pids meanwhile; busy ----------------------------------------------
old=$(json slow pid)
ctl restart slow --overlap > "$T/slow.out" 2>&1 &
ov=$!
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status slow --json | python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"overlap_pid\"))')\" != None ]" &&
	pass "status --json shows overlap_pid meanwhile" || fail "no overlap_pid"
ctl status | grep -q "overlap:" && pass "status shows the overlap" || fail "status text: no overlap"
expect_eq "the worker's pid is still the old one meanwhile" "$(json slow pid)" "$old"
cgof() { sed -n 's/^0:://p' /proc/$1/cgroup; }
if [ -n "$CGBASE" ]; then
	opid=$(json slow overlap_pid)
	cg=$(json slow cgroup)
	expect_eq "cgroups: the old process is in the worker's cgroup" "$(cgof "$old")" "$cg"
	expect_eq "cgroups: so is the new one" "$(cgof "$opid")" "$cg"
fi
ctl restart slow --overlap > "$T/busy" 2>&1
expect_eq "a second overlap is refused (exit 1)" "$?" 1
grep -q busy "$T/busy" && pass "it says busy" || fail "busy: $(cat "$T/busy")"
touch "$T/slow.go"
wait $ov; expect_eq "the overlap succeeded" "$?" 0
[ "$(json slow pid)" != "$old" ] && pass "slow has a new pid" || fail "slow: same pid"
ctl events --no-follow | grep "slow" | grep -q "started.*$(json slow pid)" &&
	pass "events: the new process started" || fail "events: $(ctl events --no-follow | grep slow)"
kill -0 "$old" 2>/dev/null && fail "the old slow process still runs" || pass "the old slow process is gone"
if [ -n "$CGBASE" ]; then
	cgdir=$(find "$CGBASE" -type d -name slow)
	expect_eq "cgroups: after it, only the new process in the worker's cgroup" \
		"$(cat "$cgdir/cgroup.procs")" "$(json slow pid)"
	expect_eq "cgroups: no cgroup below the worker's" "$(find "$cgdir" -mindepth 1 -type d | wc -l)" 0
fi

# --- refusals ---------------------------------------------------------------
ctl restart sub --overlap > "$T/sup" 2>&1
expect_eq "--overlap of a supervisor refused" "$?" 1
grep -q "not a worker" "$T/sup" && pass "it says not a worker" || fail "supervisor: $(cat "$T/sup")"
ctl stop off > /dev/null
ctl restart off --overlap > "$T/off" 2>&1
expect_eq "--overlap of a stopped worker refused" "$?" 1
grep -q not_running "$T/off" && pass "it says not_running" || fail "stopped: $(cat "$T/off")"
ctl restart echo --timeout 1s > /dev/null 2>&1
expect_eq "--timeout without --overlap is a usage error" "$?" 2

# --- a new process that fails: the old one keeps serving, nothing counts ------
# (root's intensity is OTP's default, 1 in 5 s: three failures would end it)
for w in never crashy; do
	eval "old_$w=$(json $w pid)"
done
for i in 1 2 3; do
	ctl restart never --overlap --timeout 300ms > "$T/never" 2>&1
	expect_eq "never ready: exit code ($i)" "$?" 1
done
grep -q "never: start_failed: .*overlap: ready_timeout" "$T/never" && pass "it says ready_timeout" ||
	fail "never: $(cat "$T/never")"
for i in 1 2 3; do
	ctl restart crashy --overlap > "$T/crashy" 2>&1
	expect_eq "crashing new process: exit code ($i)" "$?" 1
done
grep -q "exited before ready (exit:3)" "$T/crashy" && pass "it says exit:3" ||
	fail "crashy: $(cat "$T/crashy")"
expect_eq "never: the old process keeps running" "$(json never state) $(json never pid)" "running $old_never"
expect_eq "crashy: the old process keeps running" "$(json crashy state) $(json crashy pid)" "running $old_crashy"
expect_eq "no restart counted" "$(json never restarts) $(json crashy restarts)" "0 0"
expect_eq "no overlap left" "$(json never overlap_pid) $(json crashy overlap_pid)" "null null"
expect_eq "root did not give up" "$(json root state)" running
# reexec waits for an overlap to end, and refuses when it does not in time
ctl restart never --overlap --timeout 9s > /dev/null 2>&1 &
ov=$!
wait_for sh -c "$OTPCTL -s $SOCK status never --json | grep -q overlap_pid" || fail "no overlap of never"
ctl reexec > "$T/rx" 2>&1
expect_eq "reexec during an overlap: refused" "$?" 1
grep -q "worker never is in an overlapping restart" "$T/rx" && pass "it says why" ||
	fail "reexec: $(cat "$T/rx")"
wait $ov
n=$(pgrep -c -P "$OTPD_PID" -f "sleep 1000" || true)
expect_eq "no stray process left (slow, never, crashy)" "$n" 3
finish
