# Features this version lacks never run a worker weaker than configured:
# limits are refused under cgroup=required.  (A sandbox that cannot be
# applied fails the start naming the step: t_sandbox_fail.sh.)
. "$(dirname "$0")/lib.sh"
{ printf '[otpd]\nrun_dir = %s/run\ncgroup = required\n[worker w]\nexec = %s\nmemory_max = 64M\n' "$T" "$TW"; } > "$T/otp.conf"
start_otpd; otpd_wait
expect_eq "cgroup = required without cgroup support: exit 2" "$RC" 2
grep -q "resource limits need cgroup support" "$T/err" && pass "says why" || fail "$(cat "$T/err")"
finish
