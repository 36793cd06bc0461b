# Sandbox, seccomp: NoNewPrivs and Seccomp in /proc/self/status; a denied
# call fails with the configured errno; a call newer than the allow list
# knows fails with ENOSYS; with `kill` the worker dies by SIGSYS, last_exit
# says so, and it is restarted per its policy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
getent passwd nobody >/dev/null || { echo "no user nobody"; exit 77; }
conf <<EOF2
[supervisor root]
intensity = 5
[worker deny]
exec = $TP status NoNewPrivs status Seccomp try ptrace try chroot try getpid sleep
seccomp_deny = ptrace @mount
seccomp_action = errno:EACCES
no_new_privs = true
[worker allow]
exec = $TP status Seccomp try getpid try chroot try mseal try clone3 sleep
seccomp_allow = @system-service
seccomp_action = errno:EPERM
[worker fallback]
exec = $TP try clone3 try getpid sleep
seccomp_allow = @default @basic-io @file-system @signal @io-event clone
seccomp_action = kill
[worker nobody]
exec = $TP status NoNewPrivs status Seccomp sleep
user = nobody
seccomp_deny = @debug
[worker asroot]
exec = $TP status NoNewPrivs sleep
seccomp_deny = @debug
[worker killed]
exec = $TP once $T/killed-once try ptrace sleep
seccomp_deny = ptrace
restart = permanent
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for w in deny allow fallback nobody asroot; do probe_done $w; done
expect_probe "no_new_privs in force" deny "NoNewPrivs" "NoNewPrivs:	1"
expect_probe "a seccomp filter in force" deny "Seccomp:" "Seccomp:	2"
expect_probe "denied call: the configured errno" deny "try ptrace" "try ptrace EACCES"
expect_probe "denied group: the configured errno" deny "try chroot" "try chroot EACCES"
expect_probe "other calls run" deny "try getpid" "try getpid ok"
expect_probe "allow list: listed calls run" allow "try getpid" "try getpid ok"
expect_probe "allow list: known calls outside it get the action" allow "try chroot" "try chroot EPERM"
expect_probe "allow list: a call newer than the list knows gets ENOSYS" allow "try mseal" "try mseal ENOSYS"
expect_probe "@system-service allows clone3" allow "try clone3" "try clone3 EINVAL"
expect_probe "clone allowed, clone3 not: ENOSYS (libc falls back), not killed" fallback "try clone3" "try clone3 ENOSYS"
expect_probe "... and the worker goes on" fallback "try getpid" "try getpid ok"
expect_probe "a filter as nobody implies no_new_privs" nobody "NoNewPrivs" "NoNewPrivs:	1"
expect_probe "... and is loaded" nobody "Seccomp:" "Seccomp:	2"
expect_probe "root with CAP_SYS_ADMIN keeps no_new_privs off" asroot "NoNewPrivs" "NoNewPrivs:	0"
# kill: the first run dies by SIGSYS, the restart (stamp present) stays up
wait_for eval '[ "$(restarts killed)" = 1 ]' || fail "killed: no restart seen: $(ctl status killed)"
wait_state killed running
expect_eq "kill: last_exit names SIGSYS, restarted once (permanent)" \
	"$(ctl status killed | awk 'NR == 2 { print $6, $5 }')" "signal:SIGSYS 1"
probe_done killed
grep -q "killed exited: signal:SIGSYS" "$T/err" && pass "otpd logs the SIGSYS death" || fail "$(cat "$T/err")"
# the operator's view
expect_eq "status --json: seccomp" \
	"$(jq_sandbox allow "s['seccomp']['mode'], s['seccomp']['action'], s['seccomp']['syscalls'] > 300, s['seccomp']['loaded'], s['no_new_privs']")" \
	"allow errno:EPERM True True False"
ctl status deny | grep -q "^  seccomp       deny list, 13 system calls, action errno:EACCES, arches .*, loaded$" &&
	pass "status shows the filter in force" || fail "status: $(ctl status deny)"
finish
