#!/bin/sh
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
spin=$(cg spin)
need_cgroup spin "$spin"
check spin.cpu_max 'cpu.max of spin is 20000 100000 ($(show "$spin" cpu.max))' \
	file_is "$spin" cpu.max "20000 100000"
throttled() { [ "$(cg_key "$spin" cpu.stat nr_throttled)" -ge 3 ]; }
check spin.throttled 'the busy loop is throttled ($(show "$spin" cpu.stat))' wait_for 30 throttled
check spin.throttled_usec 'throttled time is counted' \
	[ "$(cg_key "$spin" cpu.stat throttled_usec)" -gt 0 ]
finish
