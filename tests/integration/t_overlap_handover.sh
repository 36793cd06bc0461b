# State handover (handover = true): the counter example keeps its count
# across restart --overlap and across a reload and an otpctl upgrade that
# change its exec (upgrade = overlap), with callers adding meanwhile (no
# add lost); a
# 1 MiB state; an old process that declines or does not answer in time
# (the new one starts without the state, otpd logs why); a new process
# that crashes mid-handover (the old one serves again, its state intact).
. "$(dirname "$0")/lib.sh"
TSTATE=$BUILD/helpers/tstate
cp "$BUILD/examples/counter" "$T/counter2"
counter_conf() { # $1: the counter's exec
	conf <<EOF
[supervisor root]
[worker counter]
exec = $1
mailbox = true
ready = notify
handover = true
upgrade = overlap
[worker state]
exec = $TSTATE
mailbox = true
ready = notify
handover = true
[worker declines]
exec = $TSTATE
mailbox = true
ready = notify
handover = true
env = TSTATE_HANDOVER=none
[worker slowold]
exec = $TSTATE
mailbox = true
ready = notify
handover = true
env = TSTATE_HANDOVER=hang
env = OTP_HANDOVER_TIMEOUT_MS=500
[worker crashy]
exec = $TSTATE
mailbox = true
ready = notify
handover = true
env = TSTATE_CRASH=1
EOF
}
counter_conf "$BUILD/examples/counter"
start_otpd || { fail "otpd did not start"; finish; }
for w in counter state declines slowold crashy; do wait_state $w running || fail "$w did not start"; done

# --- the counter keeps its count, no add lost -----------------------------
ctl call counter "add 41" > /dev/null
old=$(json counter pid)
ctl restart counter --overlap > "$T/o1" 2>&1 || fail "overlap: $(cat "$T/o1")"
[ "$(json counter pid)" != "$old" ] && pass "counter has a new process" || fail "same counter pid"
expect_eq "the counter keeps its count across restart --overlap" "$(ctl call counter get)" 41
adder() { # $1: file; adds 1 until $T/stop, counts the successes
	local n=0
	while [ ! -e "$T/stop" ]; do ctl call counter "add 1" > /dev/null 2>&1 && n=$((n + 1)); done
	echo $n > "$1"
}
pids=""
for i in 1 2 3 4; do adder "$T/adds$i" & pids="$pids $!"; done
sleep 0.2
for i in 1 2 3 4 5; do
	ctl restart counter --overlap > "$T/o2" 2>&1 || fail "overlap $i under load: $(cat "$T/o2")"
done
touch "$T/stop"
wait $pids
total=$((41 + $(cat "$T"/adds? | paste -sd+)))
expect_eq "5 overlaps under 4 adders: every answered add is in the count" "$(ctl call counter get)" "$total"
grep -q "counter: handover: new process [0-9]* received the state" "$T/err" &&
	pass "otpd logs the handover" || fail "no handover log"

# a reload that changes exec (a new build): upgrade = overlap, with the count
before=$(ctl call counter get)
counter_conf "$T/counter2"
ctl reload > /dev/null || fail "reload failed"
is_new_build() { [ "$(readlink /proc/$(json counter pid)/exe)" = "$T/counter2" ]; }
wait_for is_new_build && pass "the counter runs the new build" || fail "not the new build"
expect_eq "the new build has the count" "$(ctl call counter get)" "$before"

# otpctl upgrade -c NEW to yet another build: the same, under its watch
cp "$BUILD/examples/counter" "$T/counter3"
before=$(ctl call counter get)
cp "$T/otp.conf" "$T/keep.conf"
counter_conf "$T/counter3"
mv "$T/otp.conf" "$T/new.conf"; mv "$T/keep.conf" "$T/otp.conf"
ctl upgrade -c "$T/new.conf" --within 10s > "$T/up.out" 2>&1 || fail "upgrade: $(cat "$T/up.out")"
is_build3() { [ "$(readlink /proc/$(json counter pid)/exe)" = "$T/counter3" ]; }
wait_for is_build3 && pass "upgrade: the counter runs the third build" || fail "upgrade: not the third build"
expect_eq "upgrade: the third build has the count" "$(ctl call counter get)" "$before"

# --- a state of 1 MiB ---------------------------------------------------------
ctl call state "fill 1048576 7" > /dev/null
sum=$(ctl call state sum)
ctl restart state --overlap > "$T/o3" 2>&1 || fail "1 MiB: $(cat "$T/o3")"
expect_eq "a 1 MiB state handed over" "$(ctl call state sum)" "$sum"
grep -q "state: handover: new process [0-9]* received the state (1048576 bytes)" "$T/err" &&
	pass "logged with its size" || fail "no 1 MiB handover log"

# --- the old process declines, or does not answer in time -------------------------
ctl call declines "fill 100 1" > /dev/null
ctl restart declines --overlap > "$T/o4" 2>&1 || fail "declines: $(cat "$T/o4")"
expect_eq "declined: the new process starts without the state" "$(ctl call declines sum)" \
	"0:14650fb0739d0383"
grep -q "declines: handover: new process [0-9]* starts without the state (none declined)" "$T/err" &&
	pass "otpd logs that it was declined" || fail "no log of the decline"
ctl call slowold "fill 100 1" > /dev/null
ctl restart slowold --overlap > "$T/o5" 2>&1 || fail "slowold: $(cat "$T/o5")"
expect_eq "no answer in time: the new process starts without the state" "$(ctl call slowold sum)" \
	"0:14650fb0739d0383"
grep -q "slowold: handover: new process [0-9]* starts without the state (none timeout)" "$T/err" &&
	pass "otpd logs the timeout" || fail "no log of the timeout"

# --- the new process crashes mid-handover ----------------------------------------
ctl call crashy "fill 4096 3" > /dev/null
sum=$(ctl call crashy sum)
old=$(json crashy pid)
ctl restart crashy --overlap > "$T/o6" 2>&1
expect_eq "crash mid-handover: the overlap fails" "$?" 1
grep -q "exited before ready (exit:3)" "$T/o6" && pass "it says exit:3" || fail "crashy: $(cat "$T/o6")"
expect_eq "the old process is still the worker" "$(json crashy pid)" "$old"
expect_eq "and serves again, its state intact" "$(ctl call crashy sum --timeout 5s)" "$sum"
finish
