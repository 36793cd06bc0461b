# lib.sh: helpers for the checkers that run inside the test VM (busybox sh).
#
# A case's checker is a worker of the tree under test (significant, so its
# exit status ends the tree and becomes otpd's).  It sources this file,
# asserts with `pass`/`fail` (or `check`), and ends with `finish`.  Every
# assertion prints one line on the console that the runner on the host
# reads back from the serial log:
#
#   RESULT <case>.<what> PASS|FAIL <why>
#
# Waits are bounded (`wait_for`), so a missing feature fails in seconds
# instead of hanging until the runner's timeout.
CASE=$(cat /case/name)
FAILS=0
CG_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

pass() { echo "RESULT $CASE.$1 PASS ${2:-}"; }
fail() { echo "RESULT $CASE.$1 FAIL ${2:-}"; FAILS=$((FAILS + 1)); }

# check WHAT WHY CMD...: pass when CMD succeeds.  WHY is expanded after
# CMD ran: in single quotes, a $(show ...) in it tells the state CMD left.
check() {
	local what=$1 why=$2
	shift 2
	if "$@"; then
		eval "pass \"\$what\" \"$why\""
	else
		eval "fail \"\$what\" \"$why\""
	fi
}

# finish [CODE]: exit CODE (default 0) when every assertion passed, else 1.
finish() {
	[ "$FAILS" -eq 0 ] && exit "${1:-0}"
	exit 1
}

# wait_for SECONDS CMD...: retry CMD every 100 ms until it succeeds or
# SECONDS have passed (by the clock: under TCG one try can take long).
uptime_s() { local up rest; read -r up rest < /proc/uptime; echo "${up%.*}"; }
wait_for() {
	local end=$(($(uptime_s) + $1))
	shift
	while [ "$(uptime_s)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

ctl() { timeout 20 otpctl "$@"; }

# json NAME FIELD: a field of `otpctl status NAME --json`, unquoted; null
# when absent.  The node's own fields come before its "children".
json() {
	ctl status "$1" --json 2>/dev/null | sed -e 's/,"children":.*//' |
		sed -n -e "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" -e "s/.*\"$2\":\([^,}\"]*\).*/\1/p" |
		head -1 | grep . || echo null
}

# field_is NAME FIELD VALUE
field_is() { [ "$(json "$1" "$2")" = "$3" ]; }

# cg NAME [REL]: the absolute cgroup directory of a node: the status
# "cgroup" field (relative to the cgroup2 mount), else REL, by default the
# contract's <cgroup2 root>/root/NAME for a child of the root supervisor.
cg() {
	local rel
	rel=$(json "$1" cgroup)
	[ "$rel" = null ] && rel=${2:-/root/$1}
	echo "$CG_ROOT$rel"
}

# need_cgroup NAME DIR: a check that the node has its cgroup DIR; the
# checker ends at once without it (nothing else could pass).
need_cgroup() {
	if [ -d "$2" ]; then
		pass "$1.cgroup" "$1 has its cgroup ${2#$CG_ROOT}"
		return 0
	fi
	fail "$1.cgroup" "$1 has no cgroup at ${2#$CG_ROOT} (status says $(json "$1" cgroup))"
	finish
}

# file_is DIR FILE VALUE: the file's content (first line) is VALUE.
file_is() { [ "$(head -1 "$1/$2" 2>/dev/null)" = "$3" ]; }

# show DIR FILE: the file's content on one line, for messages.
show() { tr '\n' ' ' 2>/dev/null < "$1/$2" || echo "($2 missing)"; }

# cg_key DIR FILE KEY: the value of KEY in a flat-keyed file (cpu.stat,
# memory.events, pids.events); 0 when the file or key is missing.
cg_key() {
	awk -v k="$3" '$1 == k { v = $2 } END { print v + 0 }' "$1/$2" 2>/dev/null || echo 0
}

# count_procs: how many processes the VM has (kernel threads included).
count_procs() { ls -d /proc/[0-9]* | wc -l; }
