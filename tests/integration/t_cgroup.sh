# A worker is its cgroup (otp.conf(5)): escapees die with it, leftovers are
# stopped before it counts as stopped, brutal_kill is cgroup.kill, freeze and
# thaw, status shows the cgroup and its stats, stale cgroups are cleaned,
# nothing is left behind, and otpd degrades honestly.  Limits themselves are
# tested in the VM (tests/vm): this host's cgroup2 has no controllers.
. "$(dirname "$0")/lib.sh"
[ -n "$CGBASE" ] || { echo "no writable cgroup2 mount on this machine"; exit 77; }
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
procs() { cat "$CG2$(json "$1" cgroup)/cgroup.procs"; }

# --- stale cgroups of an earlier run are killed and removed ------------------
mkdir -p "$CGBASE/root/ghost"
sleep 1000 & ghost=$!
echo "$ghost" > "$CGBASE/root/ghost/cgroup.procs"
conf <<EOF2
[supervisor root]
intensity = 20
period = 60s
[supervisor grp]
[worker esc]
parent = grp
exec = /bin/sh -c "setsid sleep 1000 & (sleep 1000 &); exec sleep 1000"
shutdown = 2s
[worker stubborn]
exec = /bin/sh -c "[ -e $T/leftover ] && exec sleep 1000; (trap '' TERM; exec sleep 1000) & echo \\\$! > $T/leftover; sleep 0.3; exit 3"
shutdown = 500ms
[worker linger]
exec = /bin/sh -c "[ -e $T/linger ] && exec sleep 1000; (trap '' TERM; exec sleep 1000) & echo \\\$! > $T/linger; sleep 0.3; exit 3"
shutdown = infinity
[worker brutal]
exec = /bin/sh -c "(trap '' TERM; exec sleep 1000) & exec sleep 1000"
shutdown = brutal_kill
[worker ticker]
exec = /bin/sh -c "while :; do echo tick >> $T/ticks; sleep 0.02; done"
[supervisor cold]
[worker frz]
parent = cold
exec = $TW
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_for sh -c "! kill -0 $ghost 2>/dev/null" && pass "stale process killed" || fail "stale process $ghost alive"
wait "$ghost" 2>/dev/null
[ ! -d "$CGBASE/root/ghost" ] && pass "stale cgroup removed" || fail "stale cgroup still there"

# --- status shows the cgroup and its stats ------------------------------------
for c in esc brutal ticker; do wait_state $c running; done
cg=$(json esc cgroup)
expect_eq "cgroup path mirrors the tree" "$cg" "${CGBASE#$CG2}/root/grp/esc"
ctl status esc --json | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]; assert isinstance(s["cpu_usage_usec"], int), s' \
	&& pass "stats.cpu_usage_usec is a number" || fail "stats: $(ctl status esc --json)"
ctl status grp --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["cgroup"].endswith("/root/grp"), d' \
	&& pass "supervisors have a cgroup" || fail "grp: $(ctl status grp --json)"
# The whole tree reads the stats of supervisors only (one cgroupfs read
# per supervisor, not per worker); workers keep their cgroup path.
ctl status --json | python3 -c '
import json, sys
root = json.load(sys.stdin)
grp = next(c for c in root["children"] if c["name"] == "grp")
esc = grp["children"][0]
assert isinstance(root["stats"]["cpu_usage_usec"], int), root["stats"]
assert isinstance(grp["stats"]["cpu_usage_usec"], int), grp["stats"]
assert esc["stats"] is None and esc["cgroup"].endswith("/root/grp/esc"), esc
' && pass "the tree: stats of supervisors, not of workers" || fail "tree: $(ctl status --json)"
ctl status grp | grep -E '^  esc .* -  +- *$' >/dev/null \
	&& ctl status esc | grep -E '^esc .* [0-9.]+s *$' >/dev/null \
	&& pass "text: CPU of a worker only in its own status" || fail "text: $(ctl status grp; ctl status esc)"

# --- escapees (setsid, double fork) die with their worker --------------------
wait_for sh -c "[ \$(wc -l < $CG2$cg/cgroup.procs) -ge 3 ]" || fail "esc: expected 3 processes: $(procs esc)"
old=$(procs esc); main=$(json esc pid)
ctl kill esc KILL >/dev/null
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status esc --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pid\"])')\" != $main ]"
wait_state esc running
# (a process leaves its cgroup a moment before it is a zombie: wait for that)
left_of() { left=""; for p in $1; do alive "$p" && left="$left $p"; done; [ -z "$left" ]; }
wait_for left_of "$old"
expect_eq "escapees killed with the worker" "$left" ""
expect_eq "restarted once" "$(json esc restarts)" 1

# --- leftovers: stopping until the cgroup is empty, killed at the deadline ---
# linger (shutdown = infinity): stopping for as long as its leftover lives.
wait_for test -s "$T/linger"; lo=$(cat "$T/linger")
wait_for sh -c "$OTPCTL -s $SOCK status linger --json | grep -q '\"state\":\"stopping\"'" \
	&& pass "main gone, leftover alive: linger is stopping" || fail "linger: $(ctl status linger)"
alive "$lo" && pass "its leftover still runs" || fail "leftover $lo gone early"
expect_eq "not restarted yet" "$(json linger restarts)" 0
kill -KILL "$lo"
wait_state linger running && expect_eq "restarted once its cgroup emptied" "$(json linger restarts)" 1
expect_eq "its own exit reason is kept" "$(json linger last_exit)" "exit:3"
# stubborn (shutdown = 500ms): its leftover is killed at the deadline, then restart.
wait_for test -s "$T/leftover"; lo=$(cat "$T/leftover")
wait_for sh -c "! kill -0 $lo 2>/dev/null" && pass "leftover killed at the deadline" || fail "leftover $lo alive"
wait_state stubborn running
got=$(grep -o "stubborn: main process gone, SIGTERM\|stubborn: main process gone, SIGKILL\|stubborn exited: exit:3\|restarting stubborn" "$T/err" | tr '\n' '|')
expect_eq "log: gone (TERM to leftovers), deadline kill, exit, restart" "$got" \
	"stubborn: main process gone, SIGTERM|stubborn: main process gone, SIGKILL|stubborn exited: exit:3|restarting stubborn|"
ctl stop stubborn >/dev/null

# --- brutal_kill is cgroup.kill: a TERM-ignoring child dies too --------------
old=$(procs brutal)
ctl stop brutal >/dev/null
wait_for left_of "$old"
expect_eq "brutal_kill killed the whole cgroup" "$left" ""
grep -q 'populated 0' "$CG2$(json esc cgroup)/../../brutal/cgroup.events" \
	&& pass "its cgroup is empty" || fail "brutal cgroup populated"

# --- freeze and thaw -----------------------------------------------------------
wait_for test -s "$T/ticks"
expect_eq "freeze" "$(ctl freeze ticker)" "ok"
expect_eq "state frozen" "$(json ticker state)" "frozen"
grep -q 'frozen 1' "$CG2$(json ticker cgroup)/cgroup.events" && pass "cgroup.events frozen 1" || fail "not frozen"
n1=$(wc -l < "$T/ticks"); sleep 0.2; n2=$(wc -l < "$T/ticks")
expect_eq "nothing runs while frozen" "$n2" "$n1"
ctl wait ticker --state frozen --timeout 1s && pass "wait --state frozen" || fail "wait frozen"
expect_eq "thaw" "$(ctl thaw ticker)" "ok"
wait_for sh -c "[ \$(wc -l < $T/ticks) -gt $n2 ]" && pass "runs again after thaw" || fail "still frozen"
expect_eq "state running" "$(json ticker state)" "running"
ctl freeze grp >/dev/null && expect_eq "freezing a supervisor freezes its workers" "$(json esc state)" "frozen"
ctl thaw grp >/dev/null
ctl freeze ticker >/dev/null
ctl stop ticker >/dev/null
expect_eq "a frozen worker is thawed to stop in time" "$(json ticker last_exit)" "shutdown"
# A worker that dies while its cgroup is frozen restarts frozen and otpd
# keeps answering (issue 18.2: a vfork child frozen at birth held otpd).
# "FIELD of frz, or 'stuck' when otpd does not answer within 10 s".
frz() { timeout 10 "$OTPCTL" -s "$SOCK" status frz --json 2>/dev/null |
	python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" 2>/dev/null || echo stuck; }
new_pid() { # up to 20 s for frz to have a pid other than $1
	local end=$((SECONDS + 20)) p2
	while [ $SECONDS -lt $end ]; do
		p2=$(frz pid)
		[ "$p2" = stuck ] && return 1
		[ "$p2" != None ] && [ "$p2" != "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_state frz running
ctl freeze cold >/dev/null
p=$(json frz pid); kill -KILL "$p"
unstick() { echo 0 > "$CGBASE/root/cold/cgroup.freeze"; fail "$1"; finish; }
new_pid "$p" && pass "frozen worker restarted, otpd answers" || unstick "otpd stuck after a kill in a frozen cgroup"
expect_eq "the new process waits frozen, still starting" "$(frz state)" starting
ctl thaw cold >/dev/null
wait_state frz running; expect_eq "running after thaw" $? 0
# The same with a freeze written by hand (otpd did not freeze it).
echo 1 > "$CG2$(json cold cgroup)/cgroup.freeze"
wait_for grep -q 'frozen 1' "$CG2$(json frz cgroup)/cgroup.events"
p=$(json frz pid); kill -KILL "$p"
new_pid "$p" && pass "hand-frozen worker restarted, otpd answers" || unstick "otpd stuck after a kill in a hand-frozen cgroup"
echo 0 > "$CG2$(json cold cgroup)/cgroup.freeze"
wait_state frz running; expect_eq "running after a thaw by hand" $? 0
ctl freeze nosuch >/dev/null 2>&1; expect_eq "freeze unknown: exit 1" "$?" 1
ctl freeze ticker 2>/dev/null; expect_eq "freeze a stopped worker: exit 1" "$?" 1

# --- two otpds never share a base ------------------------------------------------
sed -e "s#^run_dir = .*#run_dir = $T/run2#" -e 's/^\[otpd\]$/[otpd]\ncgroup = required/' "$T/otp.conf" > "$T/two.conf"
timeout 10 "$OTPD" -c "$T/two.conf" > /dev/null 2> "$T/err2"; rc=$?
expect_eq "second otpd on the same base, cgroup = required: exit 2" "$rc" 2
grep -q "another otpd" "$T/err2" && pass "says why" || fail "$(cat "$T/err2")"

# --- nothing left behind --------------------------------------------------------
kill -TERM "$OTPD_PID"; otpd_wait
expect_eq "clean exit" "$RC" 0
[ ! -d "$CGBASE/root" ] && pass "tree cgroups removed at exit" || fail "left: $(find "$CGBASE" -type d)"

# --- a sub-supervisor that comes back has its cgroups again ------------------
# s1 (temporary) gives up and leaves the tree with its cgroup; when s0
# restarts, s1 and its worker x are back and x starts in a cgroup made
# again with its ancestors (issue 17.3: spawn failed with ENOENT).
conf <<EOF2
[supervisor root]
intensity = 5
period = 60s
[supervisor s0]
intensity = 0
[supervisor s1]
parent = s0
restart = temporary
intensity = 0
[worker x]
parent = s1
exec = $TW
[worker b]
parent = s0
exec = $TW
EOF2
running() { "$OTPCTL" -s "$SOCK" status "$1" --json 2>/dev/null | grep -q '"state":"running"'; }
start_otpd && wait_state x running && wait_state b running || fail "sub tree did not start"
xcg=$CG2$(json x cgroup)
kill -KILL "$(json x pid)"
wait_for test ! -d "$CGBASE/root/s0/s1" && pass "s1 gave up: its cgroup is gone" || fail "s1: $(ctl status)"
kill -KILL "$(json b pid)"
if wait_for running x; then
	pass "s1 is back with x when s0 restarts"
	grep -qx "$(json x pid)" "$xcg/cgroup.procs" && pass "x runs in its cgroup, made again" \
		|| fail "x $(json x pid) not in $xcg"
else
	fail "x did not start again: $(grep -m1 'x:' "$T/err")"
fi
kill -TERM "$OTPD_PID" 2>/dev/null; otpd_wait
expect_eq "clean exit" "$RC" 0

# --- degrading honestly ------------------------------------------------------------
if grep -qw memory "$CG2/cgroup.subtree_control"; then
	echo "skip: the memory controller is available here; tests/vm covers limits"
else
	OTPD_KEYS="cgroup = required"
	conf <<EOF2
[worker w]
exec = $TW
memory_max = 64M
EOF2
	start_otpd; otpd_wait
	expect_eq "memory_max without the controller, cgroup = required: exit 2" "$RC" 2
	grep -q "w: memory_max NOT enforced: controller(s) memory not available" "$T/err" \
		&& pass "names the node, key and controller" || fail "$(cat "$T/err")"
	OTPD_KEYS="cgroup = auto"
	conf <<EOF2
[worker w]
exec = $TW
memory_max = 64M
EOF2
	start_otpd && wait_state w running && pass "cgroup = auto runs" || fail "auto did not run"
	grep -c "NOT enforced" "$T/err" | grep -qx 1 && pass "and warns once" || fail "$(cat "$T/err")"
	kill -TERM "$OTPD_PID"; otpd_wait
fi
OTPD_KEYS="cgroup = off"
conf <<EOF2
[worker w]
exec = $TW
EOF2
cg_cleanup
start_otpd && wait_state w running
expect_eq "cgroup = off: no cgroup" "$(json w cgroup)" "null"
[ ! -e "$CGBASE" ] && pass "cgroup = off never touches cgroupfs" || fail "$CGBASE exists"
finish
