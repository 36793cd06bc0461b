#!/bin/sh
# Runs as a worker of the tree otpd, PID 1, boots in the VM.
. /vm/lib.sh

# mounted DIR TYPE: /proc/mounts has a TYPE mount on DIR.
mounted() { awk -v d="$1" -v t="$2" '$2 == d && $3 == t { f = 1 } END { exit !f }' /proc/mounts; }

check init.is_otpd "PID 1 runs /init (otpd) and answers otpctl" \
	sh -c '[ "$(readlink /proc/1/exe)" = /init ] && otpctl status root >/dev/null'
for m in /proc:proc /sys:sysfs /dev:devtmpfs /run:tmpfs /sys/fs/cgroup:cgroup2; do
	check "mount$(echo "${m%%:*}" | tr / .)" "${m#*:} on ${m%%:*}" mounted "${m%%:*}" "${m#*:}"
done
# The testbed's promise: the cgroup limits of the other cases are testable.
ctrl=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)
for c in cpu io memory pids; do
	check "controller.$c" "cgroup2 offers $c ($ctrl)" sh -c "echo ' $ctrl ' | grep -q ' $c '"
done
check oom_score_adj.pid1 'PID 1 is exempt from the OOM killer ($(cat /proc/1/oom_score_adj))' \
	[ "$(cat /proc/1/oom_score_adj)" = -1000 ]
# ... and its workers are not: the value the kernel gave PID 1 comes back.
check oom_score_adj.worker 'a worker can be OOM-killed (oom_score_adj $(cat /proc/$$/oom_score_adj))' \
	[ "$(cat /proc/$$/oom_score_adj)" = 0 ]

# RLIMIT_NOFILE: otpd (privileged) raised its own hard limit, as systemd
# does, and gave its workers the kernel's init limit back.
lim() { awk '/^Max open files/ { print $4 ":" $5 }' /proc/$1/limits; }
check nofile.pid1 'PID 1 raised its open file limit to 524288 or fs.nr_open ($(lim 1))' \
	[ "$(lim 1)" = "$(n=$(cat /proc/sys/fs/nr_open); [ "$n" -lt 524288 ] && echo $n:$n || echo 524288:524288)" ]
check nofile.worker 'a worker has the kernel init limit 1024:4096 ($(lim $$))' [ "$(lim $$)" = 1024:4096 ]

# An orphan: its parent exits at once, so it is re-parented to PID 1,
# which must reap it when it ends (no zombie left in /proc).
sh -c 'sleep 0.5 & echo $! > /tmp/orphan'
orphan=$(cat /tmp/orphan)
ppid=$(awk '/^PPid:/ { print $2 }' /proc/$orphan/status 2>/dev/null)
check orphan.reparented 'orphan $orphan has parent ${ppid:-gone} (1 expected)' [ "$ppid" = 1 ]
gone() { [ ! -e /proc/$orphan ]; }
check orphan.reaped 'orphan $orphan reaped by PID 1 after it ended' wait_for 10 gone

# The other worker is still there: ending the tree is what stops it.
check idle.running 'idle is running (state $(json idle state))' field_is idle state running
# 3 is only what this checker ends with when all is well: the runner expects
# it as otpd's exit status, so it proves the status was carried out.
finish 3
