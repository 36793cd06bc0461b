# lib.sh: shared helpers for otpd's integration tests (bash).
#
# Each test sources this file, writes a config with `conf`, starts otpd with
# `start_otpd`, drives it with `ctl`, and asserts with `expect_*`.  The EXIT
# trap stops otpd and every process it started (by pid), and removes the
# temporary directory, also when the test fails.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OTPD=$BUILD/otpd
OTPCTL=$BUILD/otpctl
TW=$BUILD/helpers/tworker
T=$(mktemp -d /tmp/otpd-it.XXXXXX)
SOCK=$T/run/otpd.sock
OTPD_PID=
FAILS=0
# Workers get cgroups below a directory of this test's own ($CGBASE, under
# the cgroup2 mount), never the host's; cleanup kills and removes it.
CG2=$(awk '{for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break }}' /proc/self/mountinfo)
CGBASE=
[ -n "$CG2" ] && [ -w "$CG2" ] && CGBASE=$CG2/otpd-it.${T##*.}
# Extra [otpd] keys for conf, one per line.
OTPD_KEYS=

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

# Pids of every worker otpd reports (to clean up if otpd itself dies).
worker_pids() {
	[ -S "$SOCK" ] || return 0
	timeout 5 "$OTPCTL" -s "$SOCK" status --json 2>/dev/null | python3 -c '
import json, sys
def walk(n):
    if n.get("pid"): print(n["pid"])
    if n.get("overlap_pid"): print(n["overlap_pid"])
    for c in n.get("children", []): walk(c)
try: walk(json.load(sys.stdin))
except Exception: pass'
}

cleanup() {
	local pids p
	pids=$(worker_pids)
	if [ -n "$OTPD_PID" ] && kill -0 "$OTPD_PID" 2>/dev/null; then
		kill -TERM "$OTPD_PID" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$OTPD_PID" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$OTPD_PID" 2>/dev/null
		wait "$OTPD_PID" 2>/dev/null
	fi
	for p in $pids; do kill -KILL "$p" 2>/dev/null; done
	cg_cleanup
	rm -rf "$T"
	[ -n "$CLEAN_DIRS" ] && rm -rf $CLEAN_DIRS
	return 0
}
CLEAN_DIRS=""       # more directories of the test's own, removed by cleanup

# Kill whatever is left in $CGBASE and remove it, deepest first.
cg_cleanup() {
	[ -n "$CGBASE" ] && [ -d "$CGBASE" ] || return 0
	local d
	for d in $(find "$CGBASE" -depth -type d); do
		[ -e "$d/cgroup.kill" ] && echo 1 > "$d/cgroup.kill" 2>/dev/null
	done
	for _ in $(seq 100); do
		grep -q 'populated 1' "$CGBASE/cgroup.events" 2>/dev/null || break
		sleep 0.02
	done
	find "$CGBASE" -depth -type d -exec rmdir {} + 2>/dev/null
	[ -d "$CGBASE" ] && echo "warning: could not remove $CGBASE" >&2
	return 0
}
trap cleanup EXIT

# conf: write the config from stdin, with [otpd] pointing into $T.
conf() {
	{
		printf '[otpd]\nrun_dir = %s/run\n' "$T"
		[ -n "$CGBASE" ] && printf 'cgroup_base = %s\n' "$CGBASE"
		[ -n "$OTPD_KEYS" ] && printf '%s\n' "$OTPD_KEYS"
		cat
	} > "$T/otp.conf"
}

start_otpd() {
	"$OTPD" -c "$T/otp.conf" "$@" > "$T/out" 2> "$T/err" &
	OTPD_PID=$!
	for _ in $(seq 200); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$OTPD_PID" 2>/dev/null || return 1
		sleep 0.025
	done
	return 1
}

ctl() { "$OTPCTL" -s "$SOCK" "$@"; }

# json NAME FIELD: one field of `status NAME --json`.
json() {
	ctl status "$1" --json | python3 -c "import json,sys; v=json.load(sys.stdin).get('$2'); print('null' if v is None else v)"
}

wait_state() { ctl wait "$1" --state "$2" --timeout "${3:-5s}" >/dev/null; }

# wait_for CMD...: retry a condition for up to 5 s (test side only).
wait_for() {
	for _ in $(seq 200); do
		"$@" && return 0
		# otpd gone: nothing will change any more
		[ -n "$OTPD_PID" ] && ! kill -0 "$OTPD_PID" 2>/dev/null && return 1
		sleep 0.025
	done
	return 1
}

expect_eq() { # what got want
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got '$2', want '$3'"; fi
}

# Wait (up to 20 s) for otpd to exit; its exit code goes to $RC.
RC=
otpd_wait() {
	for _ in $(seq 800); do kill -0 "$OTPD_PID" 2>/dev/null || break; sleep 0.025; done
	wait "$OTPD_PID"; RC=$?
	OTPD_PID=
}

finish() {
	if [ "$FAILS" -ne 0 ]; then
		echo "--- otpd stderr:" >&2; cat "$T/err" >&2 2>/dev/null
		exit 1
	fi
	exit 0
}
