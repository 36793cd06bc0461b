#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
w=$(cg w)
need_cgroup w "$w"
check w.before 'pids.max of w is 50 before ($(show "$w" pids.max))' file_is "$w" pids.max 50
wpid=$(json w pid)
ypid=$(json y pid)
# The same tree with other limits; the checker's own section is unchanged.
sed -e 's/^pids_max = 50$/pids_max = 60/' -e '/^memory_max = 64M$/d' \
    -e 's/^\[supervisor grp\]$/[supervisor grp]\nmemory_max = 32M/' \
    -e 's/^parent = grp$/parent = grp\ncpu_weight = 200/' \
    /case/otp.conf > /etc/otp/otp.conf
check reload 'otpctl reload succeeds' ctl reload
grp=$(cg grp "/root/grp")
y=$(cg y "/root/grp/y")
check w.same_pid 'w was not restarted ($wpid -> $(json w pid))' field_is w pid "$wpid"
check y.same_pid 'y was not restarted ($ypid -> $(json y pid))' field_is y pid "$ypid"
check w.pids_max 'pids.max of w is 60 now ($(show "$w" pids.max))' file_is "$w" pids.max 60
check w.memory_max 'memory.max of w is back to max ($(show "$w" memory.max))' \
	file_is "$w" memory.max max
check grp.memory_max 'memory.max of grp is 32M ($(show "$grp" memory.max))' \
	file_is "$grp" memory.max 33554432
check y.cpu_weight 'cpu.weight of y is 200: cpu enabled on the way down ($(show "$y" cpu.weight))' \
	file_is "$y" cpu.weight 200
check w.limit_holds 'w stays within its new pids.max (pids.current $(show "$w" pids.current))' \
	[ "$(cat "$w/pids.current")" -le 60 ]
finish
