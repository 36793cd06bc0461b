# otpctl upgrade --binary PATH [--within D] (otpctl(1) UPGRADE): otpd
# re-executes as PATH and watches the tree for the window; a watch that
# fails goes back to the binary that ran before, and so does a new binary
# that crashes before its loop runs (a test build that raises SIGSEGV
# right after its restore).  Workers keep their processes throughout, and
# nothing a worker prints is lost.
. "$(dirname "$0")/lib.sh"
CRASH=$BUILD/test/otpd-crash
[ -x "$CRASH" ] || { echo "no $CRASH (make $CRASH)"; exit 77; }
cp "$OTPD" "$T/otpd-new"
conf <<EOF2
[supervisor root]
intensity = 50
period = 60s
[worker a]
exec = $TW
[worker printer]
exec = /bin/sh -c 'i=0; while :; do i=\$((i+1)); echo "n \$i"; sleep 0.005; done'
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state a running && wait_state printer running || fail "not running"
exe() { readlink "/proc/$OTPD_PID/exe"; }
pids() { echo "$(json a pid) $(json printer pid)"; }
before=$(pids)

# Usage: one of -c and --binary.
ctl upgrade --within 1s 2>/dev/null; expect_eq "neither -c nor --binary: usage" $? 2
ctl upgrade -c "$T/otp.conf" --binary "$T/otpd-new" 2>/dev/null; expect_eq "both: usage" $? 2

# A good binary: it stays after the window.
out=$(ctl upgrade --binary "$T/otpd-new" --within 1s 2>&1); rc=$?
expect_eq "good binary: exit 0" "$rc" 0
echo "$out" | grep -q "the window is over, every worker runs: $T/otpd-new stays" &&
	pass "good binary: said so" || fail "good binary: $out"
expect_eq "good binary: otpd runs it" "$(exe)" "$T/otpd-new"
expect_eq "good binary: the same processes" "$(pids)" "$before"

# A reload or another upgrade in the window is refused (busy).
ctl upgrade --binary "$OTPD" --within 3s > "$T/up.out" 2>&1 & up=$!
wait_for sh -c "$OTPCTL -s $SOCK status --json | grep -q '\"upgrade\"'" || fail "no upgrade in status"
out=$(ctl reload 2>&1); rc=$?
expect_eq "reload in the window: exit 1" "$rc" 1
echo "$out" | grep -q "busy: an upgrade to $OTPD is watching the tree" && pass "reload: busy" || fail "reload: $out"
wait $up; rc=$?
expect_eq "the window passes: exit 0" "$rc" 0
expect_eq "otpd runs the binary asked for" "$(exe)" "$OTPD"

# A crash in the window: the binary before takes the state saved before it.
out=$(ctl upgrade --binary "$CRASH" --within 5s 2>&1); rc=$?
expect_eq "crashing binary: exit 1" "$rc" 1
echo "$out" | grep -q "rolled back: the new binary crashed (SEGV) in its window" &&
	pass "crashing binary: said so" || fail "crashing binary: $out"
expect_eq "crashing binary: otpd is the binary before" "$(exe)" "$OTPD"
expect_eq "crashing binary: the same processes" "$(pids)" "$before"
expect_eq "crashing binary: otpd answers" "$(json a state)" running

# The watch fails (a watched worker dies in the window): back to the binary before.
ctl upgrade --binary "$T/otpd-new" --within 5s > "$T/up.out" 2>&1 & up=$!
wait_for sh -c "[ \"\$(readlink /proc/$OTPD_PID/exe)\" = $T/otpd-new ]" || fail "never ran the new binary"
wait_for sh -c "$OTPCTL -s $SOCK status --json | grep -q '\"upgrade\"'" || fail "no window"
ctl kill a KILL > /dev/null
wait $up; rc=$?
expect_eq "failed window: exit 1" "$rc" 1
grep -q "rolled back to the binary that ran before: a: signal:SIGKILL" "$T/up.out" &&
	pass "failed window: says which worker and how" || fail "failed window: $(cat "$T/up.out")"
expect_eq "failed window: otpd is the binary before" "$(exe)" "$OTPD"
wait_state a running || fail "a not restarted"
expect_eq "failed window: printer kept its process" "$(json printer pid)" "${before#* }"

# Every line printer wrote is there, in order, through all of it.
pp=$(json printer pid)
ctl stop printer > /dev/null
n=$(grep -c "^printer\[$pp\]: n " "$T/out")
expect_eq "printer: no line lost ($n lines)" "$(grep "^printer\[$pp\]: n " "$T/out" | awk '$3 != NR && !bad { bad = "gap at " NR } END { print bad ? bad : "ok" }')" ok
finish
