# otpctl upgrade (otpctl(1) UPGRADE): a good NEW stays after its window; an
# invalid one is refused at once; a NEW whose added worker crashes, whose
# changed exec fails, that makes a supervisor give up, or that would make
# the root give up (otpd exit) is rolled back: the previous configuration
# as it was loaded, untouched workers keep their pids and restart counts;
# status shows the upgrade and its deadline; reloads and a second upgrade
# are refused during the window; a client that leaves changes nothing; a
# shutdown ends the watch without a rollback.
. "$(dirname "$0")/lib.sh"

# tree ROOT_INTENSITY W_EXEC S_INTENSITY [EXTRA]: the whole configuration.
tree() {
	cat <<EOF2
[supervisor root]
strategy = one_for_one
intensity = $1
period = 60s
[worker a]
exec = $TW
[worker w]
exec = $2
[supervisor s]
intensity = $3
period = 60s
[worker x]
parent = s
exec = $TW
${4:-}
EOF2
}
# cfg FILE: a configuration from stdin, with [otpd] pointing into $T.
cfg() {
	{
		printf '[otpd]\nrun_dir = %s/run\n' "$T"
		[ -n "$CGBASE" ] && printf 'cgroup_base = %s\n' "$CGBASE"
		cat
	} > "$T/$1"
}
events_json() { ctl events --json --no-follow; }
pyq() { python3 -c "import json,sys; E=[json.loads(l) for l in sys.stdin if l.strip()]; print($1)"; }
# snap: name=pid:restarts of the workers of the old tree.
snap() { for n in a w x; do printf '%s=%s:%s ' $n "$(json $n pid)" "$(json $n restarts)"; done; }
watching() { ctl status 2>/dev/null | grep -q "^upgrade in progress: watching"; }
gone() { ! ctl status "$1" >/dev/null 2>&1; }
has() { case $1 in *"$2"*) pass "$3";; *) fail "$3: $1";; esac; }

tree 10 "$TW" 5 | conf
cp "$T/otp.conf" "$T/old.conf"
start_otpd || { fail "otpd did not start"; finish; }
for n in a w x; do wait_state $n running || fail "$n not running"; done
before=$(snap)

# --- an invalid NEW is refused at once, nothing changed ---------------------
tree 10 "$TW" 5 "[worker bad]
exec = $TW
restart = sometimes" | cfg invalid.conf
out=$(ctl upgrade -c "$T/invalid.conf" 2>&1); rc=$?
expect_eq "invalid NEW: exit 1" "$rc" 1
has "$out" "restart: expected permanent" "the error names the key"
expect_eq "invalid NEW: nothing changed" "$(snap)" "$before"
expect_eq "invalid NEW: event upgrade_failed" \
	"$(events_json | pyq '[e["event"] for e in E if e["event"].startswith("upgrade")][-2:]')" \
	"['upgrade_started', 'upgrade_failed']"
watching && fail "an invalid NEW left an upgrade under way"

# --- --binary is not there yet -------------------------------------------------
out=$(ctl upgrade -c "$T/old.conf" --binary /bin/true 2>&1); rc=$?
expect_eq "--binary: exit 2" "$rc" 2
has "$out" "not available yet" "--binary says it is not available yet"

# --- an added worker that crashes at start: rolled back ------------------------
tree 10 "$TW" 5 "[worker crash]
exec = /bin/sh -c 'echo dying; exit 3'" | cfg crash.conf
out=$(ctl upgrade -c "$T/crash.conf" --within 30s 2>&1); rc=$?
expect_eq "crashing worker: exit 1" "$rc" 1
has "$out" "rolled back: crash: exit:3" "the verdict names the child and its last exit"
gone crash && pass "the added worker is gone again" || fail "crash still in the tree"
expect_eq "untouched workers: same pids and restart counts" "$(snap)" "$before"
expect_eq "events: started, then rolled_back naming the child" \
	"$(events_json | pyq '[(e["event"], e.get("child"), e.get("last_exit")) for e in E if e["event"] in ("upgrade_started", "rolled_back")][-2:]')" \
	"[('upgrade_started', None, None), ('rolled_back', 'crash', 'exit:3')]"

# --json: the verdict as an object.
out=$(ctl --json upgrade -c "$T/crash.conf" --within 30s); rc=$?
expect_eq "--json rollback: exit 1" "$rc" 1
expect_eq "--json rollback: error, child, last exit" \
	"$(echo "$out" | pyq '[E[0][k] for k in ("ok", "error", "child", "last_exit", "rolled_back")]')" \
	"[False, 'rolled_back', 'crash', 'exit:3', True]"

# --- a changed worker whose new exec fails: the old exec runs again ------------
tree 10 "$T/no-such-program" 5 | cfg badexec.conf
out=$(ctl upgrade -c "$T/badexec.conf" --within 30s 2>&1); rc=$?
expect_eq "failing exec: exit 1" "$rc" 1
has "$out" "rolled back: w: start_failed" "the verdict says w failed to start"
wait_state w running || fail "w not running after the rollback"
tr '\0' ' ' < /proc/"$(json w pid)"/cmdline | grep -q tworker \
	&& pass "w runs its old exec again" || fail "w runs: $(tr '\0' ' ' < /proc/"$(json w pid)"/cmdline)"
for n in a x; do
	expect_eq "$n untouched by the failed exec" "$(json $n pid)" "$(echo "$before" | sed "s/.*$n=\([0-9]*\):.*/\1/")"
done
before=$(snap)

# --- a supervisor that gives up: rolled back ---------------------------------
# NEW lowers s's intensity to 0; x crashing during the window makes s give up.
tree 10 "$TW" 0 | cfg weak.conf
ctl upgrade -c "$T/weak.conf" --within 30s > "$T/weak.out" 2>&1 &
cpid=$!
wait_for watching || fail "no upgrade under way"
ctl kill x KILL >/dev/null
wait "$cpid"; rc=$?
expect_eq "supervisor gave up: exit 1" "$rc" 1
has "$(cat "$T/weak.out")" "supervisor s gave up" "the verdict says s gave up"
wait_state x running || fail "x not running after the rollback"
expect_eq "a survives s's give-up" "$(json a pid)" "$(echo "$before" | sed 's/.*a=\([0-9]*\):.*/\1/')"
# s has its old intensity again: a crash of x is restarted.
x=$(json x pid); ctl kill x KILL >/dev/null
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status x --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pid\"])')\" != $x ]" \
	&& wait_state x running && pass "s's intensity is back to 5" || fail "x: $(ctl status x)"

# --- the root would give up (otpd would exit): held and rolled back ----------
before=$(snap)
tree 0 "$TW" 5 | cfg fragile.conf
ctl upgrade -c "$T/fragile.conf" --within 30s > "$T/fragile.out" 2>&1 &
cpid=$!
wait_for watching || fail "no upgrade under way"
ctl kill a KILL >/dev/null
wait "$cpid"; rc=$?
expect_eq "root give-up: exit 1" "$rc" 1
has "$(cat "$T/fragile.out")" "would have given up" "the verdict says otpd would have exited"
kill -0 "$OTPD_PID" 2>/dev/null && pass "otpd still runs" || fail "otpd exited"
wait_state a running || fail "a not started again after the rollback"
expect_eq "w untouched" "$(json w pid)" "$(echo "$before" | sed 's/.*w=\([0-9]*\):.*/\1/')"
a=$(json a pid); ctl kill a KILL >/dev/null
wait_for sh -c "[ \"\$($OTPCTL -s $SOCK status a --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"pid\"])')\" != $a ]" \
	&& wait_state a running && pass "the root's intensity is back to 10" || fail "a: $(ctl status a)"

# --- a good NEW stays; status and busy during the window ---------------------
before=$(snap)
tree 10 "$TW" 5 "[worker b]
exec = $TW" | cfg good.conf
cp "$T/good.conf" "$T/good-copy.conf"
ctl upgrade -c "$T/good.conf" --within 2s > "$T/good.out" 2>&1 &
cpid=$!
wait_for watching || fail "no upgrade under way"
st=$(ctl status)
has "$st" "watching $T/good.conf until" "status shows the upgrade and its deadline"
expect_eq "status --json: the upgrade member" \
	"$(ctl status --json | pyq '[E[0]["upgrade"][k] for k in ("phase", "config", "within_ms")] + [E[0]["upgrade"]["deadline"].endswith("Z")]')" \
	"['watching', '$T/good.conf', 2000, True]"
out=$(ctl upgrade -c "$T/good-copy.conf" 2>&1); rc=$?
expect_eq "a second upgrade during the window: exit 1" "$rc" 1
has "$out" "busy" "a second upgrade is refused as busy"
out=$(ctl reload 2>&1); rc=$?
expect_eq "a reload during the window: exit 1" "$rc" 1
has "$out" "busy" "a reload is refused as busy"
expect_eq "--json reload during the window: error busy" "$(ctl --json reload | pyq 'E[0]["error"]')" busy
wait "$cpid"; rc=$?
expect_eq "good NEW: exit 0" "$rc" 0
has "$(cat "$T/good.out")" "ok" "good NEW: ok"
wait_state b running || fail "b not running"
expect_eq "good NEW: untouched workers keep pid and restarts" "$(snap)" "$before"
watching && fail "the upgrade is still shown after the window"
expect_eq "event upgraded" "$(events_json | pyq '[e["event"] for e in E if e["event"] == "upgraded"][-1:]')" "['upgraded']"

# --- a relative path is made absolute by otpctl --------------------------------
tree 10 "$TW" 5 | cfg back.conf
(cd "$T" && "$OTPCTL" -s "$SOCK" upgrade -c back.conf --within 0) >/dev/null 2>&1; rc=$?
expect_eq "relative -c, --within 0: exit 0" "$rc" 0
wait_for gone b && pass "b removed by back.conf" || fail "b still there"

# --- the client leaves mid-window: the upgrade goes on -------------------------
tree 10 "$TW" 5 "[worker c]
exec = $TW" | cfg leave.conf
ctl upgrade -c "$T/leave.conf" --within 30s >/dev/null 2>&1 &
cpid=$!
wait_for watching || fail "no upgrade under way"
kill -KILL "$cpid"; wait "$cpid" 2>/dev/null
watching && pass "the watch goes on without its client" || fail "the watch ended with its client"
ctl kill c KILL >/dev/null
wait_for sh -c "! $OTPCTL -s $SOCK status 2>/dev/null | grep -q '^upgrade in progress'" \
	|| fail "the upgrade did not end"
expect_eq "rolled back without its client" \
	"$(events_json | pyq '[(e["event"], e.get("child")) for e in E if e["event"] in ("rolled_back", "upgraded")][-1]')" \
	"('rolled_back', 'c')"
gone c && pass "c is gone again" || fail "c still there"

# --- otpd shuts down during the window: no rollback ------------------------------
ctl upgrade -c "$T/leave.conf" --within 30s > "$T/stop.out" 2>&1 &
cpid=$!
wait_for watching || fail "no upgrade under way"
ctl shutdown >/dev/null
wait "$cpid"; rc=$?
expect_eq "shutdown during the window: exit 1" "$rc" 1
has "$(cat "$T/stop.out")" "no rollback" "the client is told: no rollback"
otpd_wait
expect_eq "otpd exits 0" "$RC" 0
grep -q "no rollback" "$T/err" || fail "otpd's log does not say the upgrade ended"
awk '/no rollback/ { f = 1 } f && /rollback: /' "$T/err" | grep -q . \
	&& fail "a rollback ran at shutdown" || pass "no rollback at shutdown"
finish
