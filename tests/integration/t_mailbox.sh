# Mailboxes: call/cast round trips, calls queued across a restart, a callee
# that dies, timeouts, noproc, oversized messages, permissions, and
# dynamic children with mailboxes of their own.
. "$(dirname "$0")/lib.sh"
ECHO=$BUILD/helpers/techo
chmod 0755 "$T"
conf <<EOF2
[supervisor root]
intensity = 100
period = 60s
[worker echo]
exec = $ECHO
mailbox = true
env = TECHO_CASTS=$T/casts
; down for 500 ms after each crash, so calls really wait for the restart
restart_delay = 500ms
[worker counter]
exec = $BUILD/examples/counter
mailbox = true
[worker shy]
exec = $ECHO
mailbox = true
mailbox_group = daemon
[supervisor pool]
strategy = simple_one_for_one
[worker job]
parent = pool
exec = $ECHO
mailbox = true
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for w in echo counter shy; do wait_state $w running; done
expect_eq "call round trip" "$(ctl call echo hello)" hello
printf 'a\0b\377c' > "$T/bin"
ctl call echo - < "$T/bin" > "$T/bin.out"
cmp -s "$T/bin" "$T/bin.out" && pass "binary payload through stdin" || fail "binary differs"
ctl cast echo note-1; expect_eq "cast returns once queued" $? 0
wait_for grep -q note-1 "$T/casts" && pass "cast delivered" || fail "cast lost"
expect_eq "counter example" "$(ctl call counter 'add 5' >/dev/null; ctl cast counter 'add 2'; sleep 0.1; ctl call counter get)" 7
expect_eq "workers call each other" "$(ctl call echo 'ask counter get')" 7
# 20 calls made while the worker is down are all answered after its restart
pid=$(json echo pid)
ctl kill echo KILL >/dev/null
wait_state echo restarting || fail "echo not in its restart delay"
pids=""
for i in $(seq 20); do ctl call echo "m$i" --timeout 10s > "$T/r$i" 2>&1 & pids="$pids $!"; done
ok=0
for p in $pids; do wait $p && ok=$((ok + 1)); done
expect_eq "20 calls during a restart answered" "$ok" 20
expect_eq "each got its own reply" "$(cat $T/r7)" m7
[ "$(json echo pid)" != "$pid" ] && pass "it was restarted" || fail "not restarted"
# errors
out=$(ctl call echo die 2>&1); rc=$?
expect_eq "callee dies mid-call -> 4" "$rc" 4
echo "$out" | grep -q "died before replying" && pass "says the callee died" || fail "$out"
wait_state echo running
out=$(ctl call echo "sleep 2000" --timeout 200ms 2>&1); rc=$?
expect_eq "timeout -> 4" "$rc" 4
echo "$out" | grep -q "timeout" && pass "says timeout" || fail "$out"
head -c 70000 /dev/zero > "$T/big"
out=$(ctl call echo - < "$T/big" 2>&1); rc=$?
expect_eq "oversized -> refused" "$rc" 1
echo "$out" | grep -q "too large" && pass "says too large" || fail "$out"
expect_eq "worker unaffected by the oversized message" "$(ctl call echo still-here)" still-here
# permissions: mode 0660 root:<control_group or root>; mailbox_group widens it
NOBODY=$(id -u nobody); DAEMON=$(getent group daemon | cut -d: -f3)
chmod 0755 "$T/run" "$T/run/mailbox"
setpriv --reuid="$NOBODY" --regid=65534 --clear-groups "$OTPCTL" -s "$SOCK" call echo hi >/dev/null 2>&1
expect_eq "unprivileged caller refused" $? 1
expect_eq "mailbox_group member may call" \
	"$(setpriv --reuid="$NOBODY" --regid="$DAEMON" --clear-groups "$OTPCTL" -s "$SOCK" call shy hi)" hi
# dynamic children: a mailbox each; gone with the child
name=$(ctl start-child pool)
wait_state "$name" running
expect_eq "dynamic child's own mailbox" "$(ctl call "$name" who | cut -d' ' -f1)" "$name"
ctl stop "$name" >/dev/null
out=$(ctl call "$name" hi 2>&1); rc=$?
expect_eq "stopped dynamic child -> noproc (4)" "$rc" 4
echo "$out" | grep -q noproc && pass "says noproc" || fail "$out"
# deleted worker -> noproc
ctl stop shy >/dev/null; ctl delete-child shy >/dev/null
out=$(ctl call shy hi 2>&1); rc=$?
expect_eq "deleted worker -> noproc (4)" "$rc" 4
ctl shutdown >/dev/null; otpd_wait
[ -z "$(ls "$T/run/mailbox" 2>/dev/null)" ] && pass "mailboxes removed at exit" || fail "left: $(ls $T/run/mailbox)"
finish
