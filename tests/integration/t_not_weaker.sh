# Features this version lacks never run a worker weaker than configured:
# the start fails naming the step; limits are refused under cgroup=required.
. "$(dirname "$0")/lib.sh"
for key in "seccomp_deny = ptrace"; do
	conf <<EOF2
[worker w]
exec = $TW
$key
EOF2
	start_otpd; otpd_wait
	expect_eq "$key: otpd exits 1" "$RC" 1
	step=${key%% *}; step=${step%_deny}
	grep -q "w: start_failed:$step:Operation not supported" "$T/err" \
		&& pass "$key: start_failed names the step" || fail "$key: $(cat "$T/err")"
done
{ printf '[otpd]\nrun_dir = %s/run\ncgroup = required\n[worker w]\nexec = %s\nmemory_max = 64M\n' "$T" "$TW"; } > "$T/otp.conf"
start_otpd; otpd_wait
expect_eq "cgroup = required without cgroup support: exit 2" "$RC" 2
grep -q "resource limits need cgroup support" "$T/err" && pass "says why" || fail "$(cat "$T/err")"
finish
