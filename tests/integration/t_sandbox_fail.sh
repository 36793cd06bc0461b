# Sandbox, failures: a sandbox that cannot be applied fails the start with
# start_failed:<step>:<errno text>, naming the step; nothing is skipped.
# Unknown system calls and groups are configuration errors.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
! getent passwd no-such-user-otpd >/dev/null || { echo "no-such-user-otpd exists"; exit 77; }
boot_fails user "user = no-such-user-otpd"
boot_fails group "group = no-such-group-otpd"
boot_fails supplementary_groups "user = nobody" "supplementary_groups = daemon no-such-group-otpd"
boot_fails inaccessible_paths "inaccessible_paths = /nonexistent-otpd"
boot_fails read_only_paths "read_only_paths = /nonexistent-otpd"
boot_fails rlimit_nofile "rlimit_nofile = infinity"
boot_fails cpu_affinity "cpu_affinity = 1000"
boot_fails workdir "user = nobody" "workdir = /root"
grep -q "w: start_failed:workdir:Permission denied" "$T/err" &&
	pass "workdir is entered as the user" || fail "$(cat "$T/err")"
# The program is looked for before the filter is loaded, so a missing one
# is reported even when the filter refuses the report's write(2).
{ printf '[otpd]\nrun_dir = %s/run\n[worker w]\nexec = /nonexistent-otpd/prog\n' "$T"
  printf 'seccomp_allow = @default\nseccomp_action = kill\n'; } > "$T/otp.conf"
start_otpd; otpd_wait
expect_eq "missing program under a tight filter: otpd exits 1" "$RC" 1
grep -q "w: start_failed:exec:No such file or directory" "$T/err" &&
	pass "... and the start failure names exec" || fail "$(cat "$T/err")"
printf '[otpd]\nrun_dir = %s/run\n[worker w]\nexec = /usr\n' "$T" > "$T/otp.conf"
start_otpd; otpd_wait
grep -q "w: start_failed:exec:Permission denied" "$T/err" &&
	pass "a directory is no program" || fail "$(cat "$T/err")"
# Names a filter cannot use are configuration errors (otpd --check: exit 2).
printf '[worker w]\nexec = /bin/true\nseccomp_deny = ptrace fly\n' > "$T/bad.conf"
"$OTPD" --check -c "$T/bad.conf" > /dev/null 2> "$T/check.err"
expect_eq "unknown system call: --check exits 2" "$?" 2
grep -q 'seccomp_deny: unknown system call "fly"' "$T/check.err" && pass "... and names it" ||
	fail "$(cat "$T/check.err")"
printf '[worker w]\nexec = /bin/true\nseccomp_allow = @nope\n' > "$T/bad.conf"
"$OTPD" --check -c "$T/bad.conf" > /dev/null 2> "$T/check.err"
expect_eq "unknown group: --check exits 2" "$?" 2
grep -q 'seccomp_allow: unknown system call group "@nope"' "$T/check.err" && pass "... and names it" ||
	fail "$(cat "$T/check.err")"
finish
