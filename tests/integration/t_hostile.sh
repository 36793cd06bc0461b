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

# 18.12: a second otpd on the same run_dir leaves touching nothing.
ino() { stat -c %i "$1" 2>/dev/null; }
n1=$(ino "$T/run/notify"); s1=$(ino "$SOCK")
timeout 10 "$OTPD" -c "$T/otp.conf" > "$T/out2" 2> "$T/err2"; rc=$?
expect_eq "second otpd on the same run_dir: exit 2" "$rc" 2
grep -q "in use by another otpd (pid $OTPD_PID)" "$T/err2" && pass "says which otpd" || fail "second otpd said: $(cat "$T/err2")"
expect_eq "notify socket untouched" "$(ino "$T/run/notify")" "$n1"
expect_eq "control socket untouched" "$(ino "$SOCK")" "$s1"
expect_eq "the first one answers" "$(json w state)" running
expect_eq "otpd.pid names the first" "$(cat "$T/run/otpd.pid")" "$OTPD_PID"

ctl shutdown >/dev/null
otpd_wait; expect_eq "otpd exit after shutdown" "$RC" 0
[ ! -e "$T/run" ] && pass "run_dir otpd made is gone at exit" || fail "left in run_dir: $(ls -A "$T/run")"

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

# 18.5: a cgroup_base that leaves the cgroup2 mount is refused (exit 2
# with cgroup = required), touching nothing.
if [ -n "$CG2" ]; then
	esc="$CG2/../../../tmp/otpd-esc.${T##*.}"
	printf '[otpd]\nrun_dir = %s/run5\ncgroup = required\ncgroup_base = %s\n[worker w]\nexec = %s\n' \
		"$T" "$esc" "$TW" > "$T/esc.conf"
	timeout 10 "$OTPD" -c "$T/esc.conf" > /dev/null 2> "$T/err5"; rc=$?
	expect_eq "cgroup_base outside the cgroup2 mount, cgroup = required: exit 2" "$rc" 2
	grep -q "cgroup_base must be a directory under the cgroup2 mount" "$T/err5" && pass "says why" \
		|| fail "said: $(cat "$T/err5")"
	[ ! -e "/tmp/otpd-esc.${T##*.}" ] && pass "nothing made outside" || { fail "made /tmp/otpd-esc"; rmdir "/tmp/otpd-esc.${T##*.}"; }
fi

# 18.13: a run_dir of another user is refused, touching nothing; a
# mailbox/ that is a symbolic link is not followed.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/run" && chown 65534 "$T/run"
	timeout 10 "$OTPD" -c "$T/otp.conf" > /dev/null 2> "$T/err3"; rc=$?
	expect_eq "run_dir owned by another user: exit 2" "$rc" 2
	grep -q "owned by another user" "$T/err3" && pass "says why" || fail "said: $(cat "$T/err3")"
	expect_eq "nothing made in it" "$(ls -A "$T/run")" ""
	chown 0 "$T/run"; chmod 0777 "$T/run"
	mkdir -m 0700 "$T/secret"; ln -s "$T/secret" "$T/run/mailbox"
	conf <<EOF2
[worker mb]
exec = $TW
mailbox = true
EOF2
	timeout 10 "$OTPD" -c "$T/otp.conf" > /dev/null 2> "$T/err4"; rc=$?
	expect_eq "a mailbox that cannot be made fails the boot: exit 1" "$rc" 1
	grep -q "mailbox: not a directory (or a symbolic link)" "$T/err4" && pass "says why" || fail "err: $(cat "$T/err4")"
	expect_eq "no socket through the mailbox symlink" "$(ls -A "$T/secret")" ""
	expect_eq "a loose run_dir of its own was tightened" "$(stat -c %a "$T/run")" 755
	[ -L "$T/run/mailbox" ] && [ ! -e "$T/run/otpd.pid" ] && pass "what otpd did not make stays, its own is gone" \
		|| fail "run_dir: $(ls -A "$T/run" 2>&1)"
fi
finish
