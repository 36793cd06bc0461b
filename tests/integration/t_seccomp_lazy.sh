# Sandbox, seccomp: libseccomp is loaded when a sandbox first needs it
# (util/libseccomp.c, issue 19: base memory).  A tree that filters nothing
# never maps it; a reload that adds a filtered worker loads it and the
# filter works; where the library cannot be loaded, a configuration that
# names system calls is refused saying so, and one that names none loads.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
readelf -d "$OTPD" | grep -q NEEDED || { echo "otpd is a static build: libseccomp is linked in"; exit 77; }
lib=$(ldconfig -p | sed -n 's|.*libseccomp\.so\.2 (libc6,x86-64) => ||p' | head -1)
[ -n "$lib" ] || { echo "libseccomp.so.2 not installed"; exit 77; }

maps_seccomp() { grep -c 'libseccomp' "/proc/$OTPD_PID/maps"; }

conf <<EOF2
[supervisor root]
[worker plain]
exec = $TP sleep
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state plain running
expect_eq "a tree without a filter: libseccomp not mapped" "$(maps_seccomp)" 0

cat >> "$T/otp.conf" <<EOF2
[worker filtered]
exec = $TP try ptrace try getpid sleep
seccomp_deny = ptrace
seccomp_action = errno:EACCES
EOF2
out=$(ctl reload 2>&1) || fail "reload: $out"
wait_state filtered running
probe_done filtered
expect_probe "the filter loaded on demand is in force" filtered "try ptrace" "try ptrace EACCES"
expect_probe "... and lets the rest run" filtered "try getpid" "try getpid ok"
[ "$(maps_seccomp)" -gt 0 ] && pass "libseccomp mapped once a worker needed it" ||
	fail "libseccomp not in otpd's maps: $(grep -c . "/proc/$OTPD_PID/maps") mappings"
kill -TERM "$OTPD_PID"; otpd_wait

# Where the library cannot be loaded (hidden in a mount namespace of our own).
hide() {
	unshare -m --propagation private sh -c \
		"mount --bind /dev/null '$(readlink -f "$lib")' && exec \"\$@\"" sh "$@"
}
out=$(hide "$OTPD" --check -c "$T/otp.conf" 2>&1); rc=$?
[ "$rc" -ne 0 ] && pass "--check refuses a filter it cannot build (exit $rc)" || fail "--check passed: $out"
case $out in
*"cannot load libseccomp.so.2"*) pass "... and says the library cannot be loaded" ;;
*) fail "--check said: $out" ;;
esac
conf <<EOF2
[supervisor root]
[worker groups]
exec = $TP sleep
seccomp_deny = @mount
EOF2
out=$(hide "$OTPD" --check -c "$T/otp.conf" 2>&1)
case $out in
*"cannot load libseccomp.so.2"*) pass "... also for groups only" ;;
*) fail "--check of @mount said: $out" ;;
esac
conf <<EOF2
[supervisor root]
[worker plain]
exec = $TP sleep
EOF2
out=$(hide "$OTPD" --check -c "$T/otp.conf" 2>&1) && pass "a configuration without a filter needs no libseccomp" ||
	fail "--check without seccomp: $out"
finish
