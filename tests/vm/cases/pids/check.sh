#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
bomb=$(cg bomb)
need_cgroup bomb "$bomb"
check bomb.pids_max 'pids.max of bomb is 16 ($(show "$bomb" pids.max))' \
	file_is "$bomb" pids.max 16
at_limit() { [ "$(cg_key "$bomb" pids.events max)" -ge 1 ]; }
check bomb.refused 'forks refused at pids.max ($(show "$bomb" pids.events))' wait_for 30 at_limit
check bomb.contained 'bomb holds at most 16 tasks (pids.current $(show "$bomb" pids.current))' \
	[ "$(cat "$bomb/pids.current")" -le 16 ]
bombs() { grep -l -x forkbomb /proc/[0-9]*/comm 2>/dev/null | wc -l; }
check bomb.nowhere_else 'at most 16 forkbomb processes in the VM ($(bombs) found)' \
	[ "$(bombs)" -le 16 ]
answers=0
for i in 1 2 3 4 5; do
	ctl status --json > /dev/null && answers=$((answers + 1))
done
check otpd.answers 'otpd answered $answers of 5 status requests under the bomb' \
	[ "$answers" -eq 5 ]
check bomb.stop 'otpctl stop bomb' ctl stop bomb
check bomb.stopped 'bomb is stopped (state $(json bomb state))' \
	wait_for 10 field_is bomb state stopped
none() { [ "$(bombs)" -eq 0 ]; }
check bomb.all_gone 'no forkbomb process is left ($(bombs) found)' wait_for 10 none
finish
