# Max restart intensity at the root: otpd stops the tree and exits 1.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
intensity = 2
period = 60s
[worker flaky]
exec = $TW --exit-after 50 3
[worker steady]
exec = $TW --stamp $T/stamps
EOF2
start_otpd || { fail "otpd did not start"; finish; }
otpd_wait; rc=$RC
expect_eq "otpd exit code" "$rc" 1
grep -q "reached max restart intensity" "$T/err" && pass "gave-up message" || fail "no gave-up message"
grep -q "^term" "$T/stamps" && pass "steady sibling stopped" || fail "steady not stopped"
finish
