# Features this version lacks never run a worker weaker than configured:
# the start fails naming the step (limits: see t_cgroup.sh).
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
finish
