# Hostile input (issue 18): requests and configs that once crashed or
# misled otpd.  Each case keeps otpd alive and answering.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
intensity = 10
period = 60s
[worker w]
exec = $TW
[worker stubborn]
exec = $TW --ignore-term
shutdown = 9223372036854775807ms
[worker late]
exec = $TW --exit-after 200 3
restart_delay = 9223372036854775807ms
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state w running

# 18.1: start-child aimed at a worker (or a static supervisor) is refused.
ctl start-child w >/dev/null 2>&1; expect_eq "start-child on a running worker -> 1" $? 1
ctl start-child w --name x -- a b >/dev/null 2>&1; expect_eq "start-child on a worker with args -> 1" $? 1
ctl start-child root >/dev/null 2>&1; expect_eq "start-child on a static supervisor -> 1" $? 1
kill -0 "$OTPD_PID" 2>/dev/null && pass "otpd survives start-child on a worker" || fail "otpd died"
expect_eq "worker untouched" "$(json w state)" running

# 18.3: a huge restart_delay is "practically never", not "at once".
wait_state late restarting 5s; expect_eq "late waits for its restart" $? 0
sleep 0.5
expect_eq "late still restarting (no wrap-around)" "$(json late state)" restarting
# ... and a huge shutdown is "practically never" too: no SIGKILL at once.
ctl stop stubborn >/dev/null & stopper=$!
wait_state stubborn stopping 5s; expect_eq "stubborn stopping" $? 0
sleep 0.5
expect_eq "stubborn not killed at once" "$(json stubborn state)" stopping
ctl kill stubborn KILL >/dev/null
wait $stopper; expect_eq "stop ends once it is gone" $? 0

ctl shutdown >/dev/null
otpd_wait; expect_eq "otpd exit after shutdown" "$RC" 0

# 18.4: names that would escape their place (cgroup directory, mailbox
# file, otpctl argument) are refused by --check, with FILE:LINE.
check_refuses() { # what config-text expected-stderr-text
	printf '%b' "$2" > "$T/bad.conf"
	"$OTPD" --check -c "$T/bad.conf" > /dev/null 2> "$T/check.err"
	expect_eq "--check refuses $1 (exit 2)" $? 2
	grep -qF -- "$3" "$T/check.err" && pass "... saying: $3" || fail "$1: $(cat "$T/check.err")"
}
for sec in 'worker ..' 'worker .' 'supervisor ..' 'worker cgroup.procs' 'worker -n' \
	   'worker memory.max' 'worker --json'; do
	body=; case $sec in worker*) body="exec = $TW\\n" ;; esac
	check_refuses "[$sec]" "[$sec]\\n$body" "$T/bad.conf:1: [$sec]: "
done
# 18.6: what --check accepts must start
deep=; for i in $(seq 1 33); do deep="$deep[supervisor d$i]\\nparent = $([ "$i" = 1 ] && echo root || echo d$((i - 1)))\\n"; done
check_refuses "33 nested supervisors" "$deep" "$T/bad.conf:65: [supervisor d33]: nested 33 levels"
check_refuses "an empty program" "[worker w]\\nexec = ''\\n" "$T/bad.conf:2: exec: the program name is empty"
check_refuses "ready = fd:2147483647" "[worker w]\\nexec = $TW\\nready = fd:2147483647\\n" \
	"$T/bad.conf:3: ready: expected exec, notify or fd:N with N from 3 to 1023"
long=$(printf 'm%.0s' $(seq 1 64))
check_refuses "a mailbox path longer than sun_path" \
	"[otpd]\\nrun_dir = /run/$(printf 'r%.0s' $(seq 1 40))\\n[worker $long]\\nexec = $TW\\nmailbox = true\\n" \
	"$T/bad.conf:5: mailbox: the socket /run/"

# 18.4: start-child --name goes through the same check; otpd lives on.
# 18.7: an environment_file line of 10,000 bytes arrives whole.
# 15.6: ';' inside quotes in exec is not a comment.
python3 -c 'print("# long"); print("LONG=" + "v" * 9999 + "z")' > "$T/env"
conf <<EOF2
[supervisor pool]
strategy = simple_one_for_one
[worker t]
parent = pool
exec = $TW
[worker envlen]
restart = temporary
environment_file = $T/env
exec = sh -c 'printf %s "\$LONG" | wc -c > $T/envlen.out ; echo two > $T/semicolon.out' ; a comment
EOF2
start_otpd || { fail "otpd did not start (second config)"; finish; }
for n in .. . -n --json cgroup.procs pids.max 'a/b'; do
	ctl start-child pool --name "$n" > /dev/null 2>&1
	expect_eq "start-child pool --name '$n' refused" $? 1
done
kill -0 "$OTPD_PID" 2>/dev/null && pass "otpd survives hostile --name" || fail "otpd died"
ctl start-child pool --name ok..name > /dev/null; expect_eq "a dotted but harmless name is fine" $? 0
expect_eq "pool has only that child" "$(ctl status --json | python3 -c '
import json, sys
def walk(n):
    yield n
    for c in n.get("children", []): yield from walk(c)
print(" ".join(sorted(c["name"] for n in walk(json.load(sys.stdin)) if n["name"] == "pool" for c in n.get("children", []))))')" "ok..name"
wait_for test -s "$T/semicolon.out"
expect_eq "exec = sh -c 'a ; b' ran both commands" "$(cat "$T/semicolon.out" 2>/dev/null)" two
expect_eq "environment_file value arrived whole (10,000 bytes)" "$(tr -d ' ' < "$T/envlen.out" 2>/dev/null)" 10000
ctl shutdown > /dev/null
otpd_wait; expect_eq "otpd exit after shutdown (second config)" "$RC" 0
finish
