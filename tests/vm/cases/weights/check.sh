#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
grp=$(cg grp)
w=$(cg w /root/grp/w)
need_cgroup grp "$grp"
need_cgroup w "$w"
check grp.cpu_weight 'cpu.weight of grp is 50 ($(show "$grp" cpu.weight))' \
	file_is "$grp" cpu.weight 50
check grp.io_weight 'io.weight of grp is 40 ($(show "$grp" io.weight))' \
	file_is "$grp" io.weight "default 40"
check w.cpu_weight 'cpu.weight of w is 250 ($(show "$w" cpu.weight))' \
	file_is "$w" cpu.weight 250
check w.io_weight 'io.weight of w is 300 ($(show "$w" io.weight))' \
	file_is "$w" io.weight "default 300"
finish
