# Every available otpctl verb and its exit codes (0 ok, 1 refused, 2 usage,
# 3 unreachable, 4 timeout).
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
intensity = 10
period = 60s
[worker w]
exec = $TW
[supervisor pool]
strategy = simple_one_for_one
[worker job]
parent = pool
exec = $TW --stamp $T/jobs
restart = transient
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state w running
ctl status >/dev/null; expect_eq "status" $? 0
ctl status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["name"]=="root" and d["type"]=="supervisor" and d["strategy"]=="one_for_one" and [c["name"] for c in d["children"]]==["w","pool"]' \
	&& pass "status --json shape" || fail "status --json shape"
ctl status nope >/dev/null 2>&1; expect_eq "status unknown -> 1" $? 1
expect_eq "count" "$(ctl count --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["specs"], d["active"], d["supervisors"], d["workers"])')" "2 2 1 1"
ctl start w >/dev/null 2>&1; expect_eq "start running -> 1" $? 1
ctl stop w >/dev/null; expect_eq "stop" $? 0
expect_eq "stopped state" "$(json w state)" stopped
ctl stop w >/dev/null; expect_eq "stop is idempotent" $? 0
ctl start w >/dev/null; expect_eq "start stopped" $? 0
expect_eq "running again" "$(json w state)" running
p=$(json w pid); ctl restart w >/dev/null; expect_eq "restart" $? 0
[ "$(json w pid)" != "$p" ] && pass "restart gives a new pid" || fail "restart kept pid"
# restart passes through "stopped" within one batch (exit, then start again)
ctl wait w --state stopped --timeout 5s >/dev/null & waiter=$!
sleep 0.2
ctl restart w >/dev/null
wait $waiter; expect_eq "wait sees the stopped moment of a restart" $? 0
ctl delete-child w >/dev/null 2>&1; expect_eq "delete running -> 1" $? 1
ctl stop w >/dev/null; ctl delete-child w >/dev/null; expect_eq "delete stopped" $? 0
ctl status w >/dev/null 2>&1; expect_eq "deleted -> not_found" $? 1
name=$(ctl start-child pool -- --lines 2); expect_eq "start-child" $? 0
expect_eq "dynamic name" "$name" "job@1"
ctl start-child pool --name extra >/dev/null; expect_eq "start-child --name" $? 0
expect_eq "pool count" "$(ctl count pool --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["specs"], d["active"], d["workers"])')" "1 2 2"
ctl start-child w >/dev/null 2>&1; expect_eq "start-child on a worker -> 1" $? 1
ctl logs job@1 -f > "$T/follow" & follower=$!
wait_for grep -q "line 2 of 2" "$T/follow"
ctl stop job@1 >/dev/null; ctl status job@1 >/dev/null 2>&1; expect_eq "stopped dynamic child removed" $? 1
wait $follower; expect_eq "logs -f ends when its child leaves the tree" $? 0
ctl wait extra --state stopped --timeout 300ms >/dev/null 2>&1; expect_eq "wait timeout -> 4" $? 4
ctl frobnicate >/dev/null 2>&1; expect_eq "unknown verb -> 2" $? 2
ctl stop >/dev/null 2>&1; expect_eq "missing arg -> 2" $? 2
ctl upgrade >/dev/null 2>&1; expect_eq "upgrade not available -> 2" $? 2
ctl reload --now >/dev/null 2>&1; expect_eq "reload with an unknown option -> 2" $? 2
"$OTPCTL" -s "$T/none.sock" status >/dev/null 2>&1; expect_eq "unreachable -> 3" $? 3
ctl shutdown >/dev/null; expect_eq "shutdown" $? 0
otpd_wait; expect_eq "otpd exit after shutdown" "$RC" 0
[ ! -e "$SOCK" ] && [ ! -e "$T/run/notify" ] && pass "sockets removed at exit" || fail "sockets left: $(ls $T/run)"

# A client otpd has not answered when it exits (here: after auto_shutdown)
# is told so and exits 3, never 0 with nothing said: a follower that has
# printed the ring (so otpd read its request), and a waiter whose state
# never came.
mkfifo "$T/fifo"
conf <<EOF2
[supervisor root]
auto_shutdown = any_significant
[worker sig]
exec = /bin/sh -c "echo hello; read x < $T/fifo"
restart = transient
significant = true
stdout = log
[worker w]
exec = $TW
EOF2
start_otpd && wait_state w running || fail "auto_shutdown tree did not start"
ctl wait w --state failed > "$T/w.out" 2> "$T/w.err" & waiter=$!
ctl logs sig -f > "$T/f.out" 2> "$T/f.err" & follower=$!
wait_for grep -q hello "$T/f.out" || fail "logs -f printed nothing"
echo go > "$T/fifo"
otpd_wait; expect_eq "otpd exits 0 after the significant child's clean exit" "$RC" 0
wait $follower; expect_eq "logs -f cut by otpd's exit -> 3" $? 3
expect_eq "... and says why" "$(tail -n 1 "$T/f.err")" "otpctl: otpd is exiting"
wait $waiter; expect_eq "wait whose state never came, cut by otpd's exit -> 3" $? 3
[ -s "$T/w.err" ] && [ ! -s "$T/w.out" ] && pass "... and says why: $(cat "$T/w.err")" \
	|| fail "wait: out '$(cat "$T/w.out")' err '$(cat "$T/w.err")'"

finish
