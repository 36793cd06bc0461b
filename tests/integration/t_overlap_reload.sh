# reload with upgrade = overlap: a worker whose exec (a process-level key)
# changed is replaced by an overlapping restart: 8 callers see no failed
# call; a new process that fails leaves the old one running, and says so
# in otpd's log; a worker without the key is restarted as before.
. "$(dirname "$0")/lib.sh"
ECHO=$BUILD/helpers/techo
TCALLER=$BUILD/helpers/tcaller
write() { # $1: V of echo and plain; $2: extra exec prefix of echo
	conf <<EOF
[supervisor root]
[worker echo]
exec = $2$ECHO
env = V=$1
mailbox = true
upgrade = overlap
[worker plain]
exec = /bin/sleep 1000
env = V=$1
EOF
}
envof() { tr '\0' '\n' < /proc/$1/environ | grep "^V="; }
write 1 ""
start_otpd || { fail "otpd did not start"; finish; }
wait_state echo running && wait_state plain running || fail "workers did not start"
export OTP_MAILBOX_DIR=$T/run/mailbox
files() { [ "$(ls "$1" | grep -c "^$2\.")" = "$3" ]; }
d=$T/load; mkdir "$d"
pids=""
for i in $(seq 8); do timeout 120 "$TCALLER" echo "c$i" "$d" > "$d/out$i" 2>&1 & pids="$pids $!"; done
wait_for files "$d" started 8 || fail "callers did not start"
old=$(json echo pid); oldplain=$(json plain pid)
write 2 ""
ctl reload > "$T/reload.out" 2>&1 || fail "reload: $(cat "$T/reload.out")"
grep -q "overlapping restart of echo" "$T/reload.out" && pass "reload says it overlaps echo" ||
	fail "reload output: $(cat "$T/reload.out")"
new_pid() { p=$(json "$1" pid); [ "$p" != "$2" ] && [ "$p" != null ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_for new_pid echo "$old" && pass "echo has a new process" || fail "echo not replaced"
wait_for gone "$old" && pass "the old echo process is gone" || fail "old echo still runs"
expect_eq "the new echo process has the new environment" "$(envof "$(json echo pid)")" V=2
wait_for new_pid plain "$oldplain" && pass "plain (no upgrade key) restarted" || fail "plain not restarted"
touch "$d/stop"
ok=0
for p in $pids; do wait $p && ok=$((ok + 1)); done
expect_eq "8 callers during the reload: no call failed" "$ok" 8
cat "$d"/out? | sed 's/^/  /'

# a new build that cannot start (here: missing; with ready = exec, one that
# exec'd has taken over): the old process keeps serving
cur=$(json echo pid)
conf <<EOF
[supervisor root]
[worker echo]
exec = $T/missing
env = V=3
mailbox = true
upgrade = overlap
[worker plain]
exec = /bin/sleep 1000
env = V=2
EOF
ctl reload > "$T/reload2.out" 2>&1 || fail "reload 2: $(cat "$T/reload2.out")"
wait_for grep -q "echo: overlapping restart failed" "$T/err" && pass "the failure is logged" ||
	fail "no log of the failed overlap"
grep "overlapping restart failed" "$T/err" | grep -q "No such file" && pass "with its reason" ||
	fail "reason: $(grep overlapping "$T/err")"
expect_eq "the old echo process keeps running" "$(json echo state) $(json echo pid)" "running $cur"
expect_eq "and answers" "$(ctl call echo still)" still
finish
