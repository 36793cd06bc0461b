#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
w=$(cg w)
need_cgroup w "$w"
grp=$(cg grp "/root/grp")
y=$(cg y "/root/grp/y")
wpid=$(json w pid)
ypid=$(json y pid)
me=$$
check before 'pids.max of w is 50 ($(show "$w" pids.max))' file_is "$w" pids.max 50
check freeze 'otpctl freeze y' ctl freeze y
reexec_ok() { out=$(ctl reexec 2>&1); echo "$out" | grep -qx ok; }
frozen() { [ "$(json y state)" = frozen ] && file_is "$y" cgroup.freeze 1; }
check reexec 'otpctl reexec answers ok ($(echo $out))' reexec_ok
check pid1 'PID 1 runs the new image ($(tr "\0" " " < /proc/1/cmdline))' \
	grep -q -- --restore /proc/1/cmdline
check w.same_pid 'w kept its process ($wpid -> $(json w pid))' field_is w pid "$wpid"
check y.same_pid 'y kept its process ($ypid -> $(json y pid))' field_is y pid "$ypid"
check checker 'the checker itself is still a worker ($(json checker pid))' field_is checker pid "$me"
check w.in_cgroup 'w is still in its cgroup ($(show "$w" cgroup.procs))' grep -qx "$wpid" "$w/cgroup.procs"
check w.pids_max 'pids.max of w is still 50 ($(show "$w" pids.max))' file_is "$w" pids.max 50
check w.memory_max 'memory.max of w is still 64M ($(show "$w" memory.max))' file_is "$w" memory.max 67108864
check grp.memory_max 'memory.max of grp is still 128M ($(show "$grp" memory.max))' \
	file_is "$grp" memory.max 134217728
check y.cpu_weight 'cpu.weight of y is still 200 ($(show "$y" cpu.weight))' file_is "$y" cpu.weight 200
check y.frozen 'y is still frozen ($(json y state), cgroup.freeze $(show "$y" cgroup.freeze))' frozen
check thaw 'otpctl thaw y after the re-execution' ctl thaw y
check y.running 'y runs again ($(json y state))' wait_for 10 field_is y state running
# A crash after the re-execution: restarted in the same limited cgroup.
kill -KILL "$wpid"
check w.restarted 'w restarted ($(json w restarts) restarts)' wait_for 20 field_is w restarts 1
nw=$(json w pid)
check w.new_in_cgroup 'the new w ($nw) is in its cgroup ($(show "$w" cgroup.procs))' \
	grep -qx "$nw" "$w/cgroup.procs"
check w.limit_after 'pids.max of w is 50 after the restart ($(show "$w" pids.max))' \
	file_is "$w" pids.max 50
check again 'a second re-execution ($(echo $out))' reexec_ok
finish
