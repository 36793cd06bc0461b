# Mailboxes: call/cast round trips, calls queued across a restart, a callee
# that dies, timeouts, noproc, oversized messages, permissions, and
# dynamic children with mailboxes of their own; kept connections (many
# calls, 8 callers at once, silent callers, restarts under 8 busy kept
# callers) and otpctl call/cast --batch.
. "$(dirname "$0")/lib.sh"
ECHO=$BUILD/helpers/techo
TKEEP=$BUILD/helpers/tkeep
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

# --- kept connections ---------------------------------------------------------
export OTP_MAILBOX_DIR=$T/run/mailbox
# files DIR WORD N: DIR holds N files named WORD.* (for wait_for: evaluated each time)
files() { [ "$(ls "$1" | grep -c "^$2\.")" = "$3" ]; }
# new_pid NAME OLD: NAME runs with another pid than OLD
new_pid() { local p; p=$(json "$1" pid); [ "$p" != "$2" ] && [ "$p" != null ]; }
expect_eq "2000 calls on one kept connection" "$(timeout 60 "$TKEEP" echo solo 2000)" \
	"ok=2000 reset=0 other=0 bad=0"
# 8 callers, each on its own kept connection, 500 calls each
pids=""
for i in $(seq 8); do timeout 120 "$TKEEP" echo "k$i" 500 > "$T/k$i" 2>&1 & pids="$pids $!"; done
ok=0
for p in $pids; do wait $p && ok=$((ok + 1)); done
expect_eq "8 kept callers all done" "$ok" 8
expect_eq "8 kept callers: every call answered" "$(cat "$T"/k? | sort -u)" "ok=500 reset=0 other=0 bad=0"
# fairness: 7 callers never pause; an eighth on a kept connection still gets through
mkdir "$T/fair"
pids=""
for i in $(seq 7); do timeout 120 "$TKEEP" echo "f$i" 0 "$T/fair" > "$T/f$i" 2>&1 & pids="$pids $!"; done
wait_for files "$T/fair" started 7 || fail "busy callers did not start"
expect_eq "an eighth kept caller among 7 busy ones" "$(timeout 60 "$TKEEP" echo eighth 300)" \
	"ok=300 reset=0 other=0 bad=0"
touch "$T/fair/stop"
ok=0
for p in $pids; do wait $p && ok=$((ok + 1)); done
expect_eq "the 7 busy callers ended cleanly" "$ok" 7
grep -q "ok=0" "$T"/f? && fail "a busy caller was never answered" || pass "every busy caller answered"
# silent callers (issue 18.10): each used to hold the worker 5 s, one at a time
python3 -c '
import socket, sys, time
ss = []
for _ in range(10):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1]); ss.append(s)
print("connected", flush=True)
time.sleep(60)' "$OTP_MAILBOX_DIR/echo" > "$T/silent" &
silent=$!
wait_for grep -q connected "$T/silent" || fail "silent callers did not connect"
ok=0
for i in 1 2 3; do [ "$(ctl call echo "past the silent $i" --timeout 3s)" = "past the silent $i" ] && ok=$((ok + 1)); done
expect_eq "calls past 10 silent connections" "$ok" 3
expect_eq "kept caller past 10 silent connections" "$(timeout 30 "$TKEEP" echo past 100)" \
	"ok=100 reset=0 other=0 bad=0"
kill "$silent"; wait "$silent" 2>/dev/null
# restarts under 8 kept callers that call without a pause: a clean restart
# (SIGTERM: what reached the worker is answered) loses nothing; a crash
# fails the calls in flight at once (ECONNRESET), and no call hangs; after
# each, every caller is answered again.
restart_under_load() { # how: restart | kill
	local d="$T/load-$1" p pids="" ok=0
	mkdir "$d"
	for i in $(seq 8); do timeout 120 "$TKEEP" echo "r$i" 0 "$d" > "$d/out$i" 2>&1 & pids="$pids $!"; done
	wait_for files "$d" started 8 || fail "$1: callers did not start"
	pid=$(json echo pid)
	if [ "$1" = restart ]; then ctl restart echo > /dev/null; else ctl kill echo KILL > /dev/null; fi
	wait_for new_pid echo "$pid" && wait_state echo running && pass "$1: a new worker runs" ||
		fail "$1: not restarted"
	touch "$d/mark"
	wait_for files "$d" after 8 || fail "$1: not every caller answered after it"
	touch "$d/stop"
	for p in $pids; do wait $p && ok=$((ok + 1)); done
	expect_eq "$1 under 8 kept callers: each call answered or ECONNRESET, none hung" "$ok" 8
	cat "$d"/out? | sed 's/^/  /'
}
restart_under_load restart
expect_eq "clean restart: no call lost" "$(cat "$T"/load-restart/out? | grep -c 'reset=0 other=0 bad=0')" 8
restart_under_load kill
# --- otpctl call/cast --batch -------------------------------------------------
expect_eq "call --batch: a reply per line" "$(printf 'a\nb\n\nlast' | ctl call echo --batch | od -c | head -2)" \
	"$(printf 'a\nb\n\nlast\n' | od -c | head -2)"
expect_eq "call --batch: 1000 lines" "$(seq 1000 | ctl call echo --batch | md5sum)" "$(seq 1000 | md5sum)"
expect_eq "call --batch to the counter" "$(printf 'get\nadd 3\nget\n' | ctl call counter --batch | tr '\n' ' ')" "7 10 10 "
expect_eq "the counter example as a kept-connection client" \
	"$("$BUILD/examples/counter" counter get 'add 1' get | tr '\n' ' ')" "10 11 11 "
printf 'b1\nb2\n' | ctl cast echo --batch; expect_eq "cast --batch" $? 0
wait_for grep -q b2 "$T/casts" && expect_eq "cast --batch delivered in order" \
	"$(grep -x 'b[12]' "$T/casts" | tr '\n' ' ')" "b1 b2 " || fail "cast --batch lost"
out=$(printf 'x\ndie\ny\n' | ctl call echo --batch 2>"$T/batch.err"); rc=$?
expect_eq "batch stops at the first failure -> 4" "$rc" 4
expect_eq "batch: replies before it printed" "$out" x
grep -q "line 2: the callee died before replying" "$T/batch.err" && pass "batch names the line" ||
	fail "$(cat "$T/batch.err")"
wait_state echo running
out=$(printf 'sleep 2000\n' | ctl call echo --batch --timeout 200ms 2>&1); rc=$?
expect_eq "batch timeout -> 4" "$rc" 4
echo "$out" | grep -q "line 1: timeout" && pass "batch says timeout" || fail "$out"
out=$(echo x | ctl call nosuch --batch 2>&1); rc=$?
expect_eq "batch to no mailbox -> 4" "$rc" 4
echo "$out" | grep -q noproc && pass "batch says noproc" || fail "$out"
ctl call echo --batch hi > /dev/null 2>&1; expect_eq "--batch with MSG -> usage" $? 2
ctl call echo > /dev/null 2>&1; expect_eq "call without MSG -> usage" $? 2
# one batch across a worker restart: the connection is re-made for the next line
mkfifo "$T/fifo"
timeout 30 "$OTPCTL" -s "$SOCK" call echo --batch < "$T/fifo" > "$T/fifo.out" 2>&1 & bp=$!
exec 3> "$T/fifo"
echo one >&3
wait_for grep -q one "$T/fifo.out" || fail "batch: no first reply"
pid=$(json echo pid)
ctl restart echo > /dev/null
wait_for new_pid echo "$pid" || fail "batch: echo not restarted"
echo two >&3
exec 3>&-
wait $bp; rc=$?
expect_eq "batch across a restart" "$rc:$(tr '\n' ' ' < "$T/fifo.out")" "0:one two "
wait_state echo running
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
