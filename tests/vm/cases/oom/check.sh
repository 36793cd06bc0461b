#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
by_pid=$(json bystander pid)
hog=$(cg hog)
need_cgroup hog "$hog"
check hog.memory_max 'memory.max of hog is 32M ($(show "$hog" memory.max))' \
	file_is "$hog" memory.max 33554432
check hog.oom 'last_exit of hog is oom (is $(json hog last_exit))' \
	wait_for 30 field_is hog last_exit oom
check hog.restarted 'hog runs again after the OOM kill (state $(json hog state))' \
	wait_for 10 field_is hog state running
check hog.restarts 'hog restarted once (restarts $(json hog restarts))' field_is hog restarts 1
# The first run printed its own cgroup before hogging: it ran in hog's.
rel=$(json hog cgroup)
[ "$rel" = null ] && rel=/root/hog
check hog.inside 'the hog ran in $rel' \
	sh -c "otpctl logs hog | grep -q -x 'memhog: cgroup 0::$rel'"
# memory.events counts the subtree: the kill happened below hog's parent.
parent=$(dirname "$hog")
check parent.oom_kill 'an OOM kill under ${parent#$CG_ROOT} ($(show "$parent" memory.events))' \
	[ "$(cg_key "$parent" memory.events oom_kill)" -ge 1 ]
by=$(cg bystander)
check bystander.untouched 'no OOM kill in the cgroup of bystander ($(show "$by" memory.events))' \
	[ "$(cg_key "$by" memory.events oom_kill)" -eq 0 ]
check bystander.same_pid 'bystander still pid $by_pid, restarts $(json bystander restarts)' \
	sh -c "[ '$(json bystander pid)' = '$by_pid' ] && [ '$(json bystander restarts)' = 0 ]"
finish
