# Sandbox, limits: rlimit_* read back from /proc/self/limits, nice,
# oom_score_adj and cpu_affinity seen from inside the worker; as PID 1,
# otpd keeps its oom_score_adj (-1000) for itself, not for its workers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
conf <<EOF2
[worker l]
exec = $TP limit "Max open files" limit "Max core file size" limit "Max processes" limit "Max address space" limit "Max cpu time" nice oom affinity sleep
rlimit_nofile = 100:200
rlimit_core = 0
rlimit_nproc = 500:1000
rlimit_as = 1G:infinity
rlimit_cpu = 1h
nice = 7
oom_score_adj = 250
cpu_affinity = 0
[worker d]
exec = $TP limit "Max open files" nice oom sleep
EOF2
start_otpd || { fail "otpd did not start"; finish; }
probe_done l; probe_done d
norm() { tr -s ' ' | sed 's/ $//'; }
expect_eq "rlimit_nofile" "$(probe l "Max open files" | norm)" "Max open files 100 200 files"
expect_eq "rlimit_core" "$(probe l "Max core file size" | norm)" "Max core file size 0 0 bytes"
expect_eq "rlimit_nproc" "$(probe l "Max processes" | norm)" "Max processes 500 1000 processes"
expect_eq "rlimit_as in bytes" "$(probe l "Max address space" | norm)" "Max address space 1073741824 unlimited bytes"
expect_eq "rlimit_cpu in seconds" "$(probe l "Max cpu time" | norm)" "Max cpu time 3600 3600 seconds"
expect_probe "nice" l "nice=" "nice=7"
expect_probe "oom_score_adj" l "oom_score_adj=" "oom_score_adj=250"
expect_probe "cpu_affinity" l "affinity=" "affinity=0"
expect_probe "unset nice is inherited" d "nice=" "nice=$(nice)"
own_nofile=$(ulimit -Sn)
expect_eq "unset rlimit_nofile is the usual one" "$(probe d "Max open files" | norm | cut -d' ' -f4)" "$own_nofile"
expect_eq "status --json: limits" "$(jq_sandbox l "s['rlimits']['nofile'], s['nice'], s['oom_score_adj'], s['cpu_affinity']")" "100:200 7 250 0"
ctl shutdown >/dev/null; otpd_wait
# As PID 1 of a PID namespace (the significant worker's exit ends otpd),
# started with oom_score_adj 300: otpd lowers its own to -1000 where it
# may (CAP_SYS_RESOURCE), and its worker gets 0 either way, not otpd's.
if command -v unshare >/dev/null && unshare --pid --fork --kill-child --mount-proc true 2>/dev/null; then
	conf <<EOF2
[supervisor root]
auto_shutdown = any_significant
[worker o]
exec = $TP oom line /proc/1/oom_score_adj exit 0
restart = transient
significant = true
EOF2
	timeout -s KILL 20 unshare --pid --fork --kill-child --mount-proc sh -c \
		'echo 300 > /proc/self/oom_score_adj && exec "$0" -c "$1"' "$OTPD" "$T/otp.conf" \
		> "$T/out" 2> "$T/err"
	expect_eq "PID 1: otpd exits 0" "$?" 0
	own=-1000
	has_cap 24 || own=300
	grep -q "probe: line /proc/1/oom_score_adj=$own$" "$T/out" && pass "PID 1 keeps its own score ($own)" ||
		fail "otpd as PID 1: $(cat "$T/out")"
	grep -q "probe: oom_score_adj=0$" "$T/out" && pass "its worker is back at oom_score_adj 0" ||
		fail "worker of PID 1: $(cat "$T/out")"
else
	echo "skipped: cannot create PID namespaces here"
fi
finish
