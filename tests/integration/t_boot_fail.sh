# A child that cannot start at boot: started siblings stopped, otpd exits 1
# with a message naming the child and the reason.
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[worker first]
exec = $TW --stamp $T/stamps --notify-ready 0
ready = notify
[worker broken]
exec = /nonexistent/binary --flag
[worker never]
exec = $TW --stamp $T/never
EOF2
start_otpd
otpd_wait; rc=$RC
expect_eq "exit code" "$rc" 1
grep -q "broken.*No such file or directory" "$T/err" && pass "message names child and errno" || fail "message: $(cat $T/err)"
grep -q "^term" "$T/stamps" && pass "first was stopped" || fail "first not stopped"
[ ! -e "$T/never" ] && pass "third never started" || fail "third started"
finish
