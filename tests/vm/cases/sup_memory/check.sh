#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
pool=$(cg pool)
need_cgroup pool "$pool"
check pool.memory_max 'memory.max of pool is 48M ($(show "$pool" memory.max))' \
	file_is "$pool" memory.max 50331648
for h in h1 h2; do
	d=$(cg $h "/root/pool/$h")
	check $h.under_pool 'the cgroup of $h (${d#$CG_ROOT}) is below pool' \
		[ "$(dirname "$d")" = "$pool" ]
	# The memory controller is enabled only where a limit needs it: h1 and
	# h2 have no memory.max file at all (or "max" where it is enabled).
	check $h.no_limit '$h has no memory.max of its own ($(show "$d" memory.max))' \
		sh -c "[ ! -e '$d/memory.max' ] || [ \"\$(cat '$d/memory.max')\" = max ]"
done
one_oom() { field_is h1 last_exit oom || field_is h2 last_exit oom; }
check pool.child_oom 'a hog was OOM-killed (h1: $(json h1 last_exit), h2: $(json h2 last_exit))' \
	wait_for 30 one_oom
check pool.oom_kill 'the memory.events of pool count it ($(show "$pool" memory.events))' \
	[ "$(cg_key "$pool" memory.events oom_kill)" -ge 1 ]
both_run() { field_is h1 state running && field_is h2 state running; }
check pool.running 'both hogs run again (h1 $(json h1 state), h2 $(json h2 state))' \
	wait_for 10 both_run
pool_mem() { v=$(json pool memory_current); [ "$v" != null ] && [ "$v" -gt 0 ]; }
check pool.stats 'status shows what the pool costs (memory_current $(json pool memory_current))' pool_mem
check h1.stats 'no memory controller for h1: its memory_current is null ($(json h1 memory_current))' \
	field_is h1 memory_current null
check pool.peak 'the pool never went past 48M (memory.peak $(show "$pool" memory.peak))' \
	[ "$(cat "$pool/memory.peak")" -le 50331648 ]
finish
