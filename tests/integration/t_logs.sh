# Output capture: lines prefixed on stdout, kept in the ring, none lost;
# child hygiene as seen from inside the child, started sharing otpd's
# memory (hyg) and as a copy of otpd (hygcopy: `user` needs NSS).
. "$(dirname "$0")/lib.sh"
OTPD_KEYS="log_lines = 20000"
HYG="hyg"
COPY=
[ "$(id -u)" = 0 ] && HYG="hyg hygcopy" && COPY="[worker hygcopy]
exec = $TW --hygiene
user = root"
conf <<EOF2
[supervisor root]
intensity = 100000
period = 1s
[worker chatty]
exec = $TW --lines 10000
[worker hyg]
exec = $TW --hygiene
$COPY
[worker errout]
exec = /bin/sh -c "echo to-stdout; echo to-stderr >&2; exec sleep 60"
[worker fifo]
exec = /bin/sh -c "echo via-fifo; exec sleep 60"
stdout = file:$T/fifo
[worker churn]
exec = /bin/sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do echo "me=\$\$ n=\$i out"; echo "me=\$\$ n=\$i err" >&2; done; exit 1'
restart_delay = 50ms
[worker merged]
exec = /bin/sh -c "echo m-out; echo m-err >&2; exec sleep 60"
stderr = stdout
EOF2
mkfifo "$T/fifo"
# otpd starts with signals ignored (bash ignores INT and QUIT for it too):
# workers must not inherit that.
trap '' XFSZ RTMIN+3
start_otpd || { fail "otpd did not start"; finish; }
trap - XFSZ RTMIN+3
wait_state chatty running
for w in $HYG; do wait_state $w running; done
wait_for sh -c "[ \$($OTPCTL -s $SOCK logs chatty | wc -l) -ge 10000 ]"
expect_eq "ring has all 10000 lines" "$(ctl logs chatty | grep -c '^line ')" 10000
expect_eq "logs -n 3" "$(ctl logs chatty -n 3 | tr '\n' '|')" "line 9998 of 10000|line 9999 of 10000|line 10000 of 10000|"
expect_eq "logs --json" "$(ctl logs chatty -n 2 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["name"], "|".join(l["line"] for l in d["lines"]))')" "chatty line 9999 of 10000|line 10000 of 10000"
expect_eq "logs -n 0 --json" "$(ctl logs chatty -n 0 --json)" '{"ok":true,"name":"chatty","lines":[]}'
ctl logs chatty -f -n 1 --json > "$T/follow" & f=$!
wait_for grep -q . "$T/follow"
kill $f; wait $f 2>/dev/null
expect_eq "logs -f --json: one JSON object per line" "$(head -1 $T/follow | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["stream"], d["line"])')" "stdout line 10000 of 10000"
pid=$(json chatty pid)
wait_for sh -c "[ \$(grep -c '^chatty\[$pid\]: line ' $T/out) -ge 10000 ]"
expect_eq "stdout has all 10000 prefixed lines" "$(grep -c "^chatty\[$pid\]: line " "$T/out")" 10000
for w in $HYG; do
	wait_for sh -c "$OTPCTL -s $SOCK logs $w | grep -q 'hygiene: sid_is_self'"
	h=$(ctl logs $w)
	echo "$h" | grep -q 'hygiene: blocked=0' && pass "$w: empty signal mask" || fail "$w: mask: $h"
	echo "$h" | grep -q 'hygiene: ignored=0' && pass "$w: default dispositions" || fail "$w: dispositions: $h"
	echo "$h" | grep -q 'hygiene: fds=0,1,2,$' && pass "$w: only fds 0-2" || fail "$w: fds: $(echo "$h" | grep fds)"
	echo "$h" | grep -q 'hygiene: cwd=/$' && pass "$w: cwd /" || fail "$w: cwd"
	echo "$h" | grep -q 'hygiene: sid_is_self=1' && pass "$w: own session" || fail "$w: session"
	echo "$h" | grep -q "hygiene: nofile=$(ulimit -Sn)\$" && pass "$w: usual open-file limit" || fail "$w: nofile: $(echo "$h" | grep nofile) want $(ulimit -Sn)"
done
wait_for sh -c "$OTPCTL -s $SOCK logs errout | grep -q to-stderr"
expect_eq "stdout and stderr both logged" "$(ctl logs errout | sort | tr '\n' ' ')" "to-stderr to-stdout "
# A worker's stderr goes to otpd's stderr, its stdout to otpd's stdout.
epid=$(json errout pid)
wait_for grep -q "^errout\[$epid\]: to-stderr$" "$T/err" && pass "worker stderr on otpd's stderr" || fail "stderr: $(grep errout "$T/err")"
expect_eq "worker stdout on otpd's stdout only" "$(grep -h '^errout\[' "$T/out" "$T/err" | sort | tr '\n' ' ')" \
	"errout[$epid]: to-stderr errout[$epid]: to-stdout "
grep -q to-stderr "$T/out" && fail "stderr line on otpd's stdout"
expect_eq "logs --json: each line's stream" \
	"$(ctl logs errout --json | python3 -c 'import json,sys; print(" ".join(sorted(l["stream"] + ":" + l["line"] for l in json.load(sys.stdin)["lines"] if "line" in l)))')" \
	"stderr:to-stderr stdout:to-stdout"
# stderr = stdout: one pipe, both on stdout.
wait_for sh -c "$OTPCTL -s $SOCK logs merged | grep -q m-err"
expect_eq "stderr = stdout: one stream" \
	"$(ctl logs merged --json | python3 -c 'import json,sys; print(" ".join(sorted(l["stream"] + ":" + l["line"] for l in json.load(sys.stdin)["lines"] if "line" in l)))')" \
	"stdout:m-err stdout:m-out"
mpid=$(json merged pid)
expect_eq "stderr = stdout: the child's fd 2 is its fd 1" "$(stat -L -c %i /proc/$mpid/fd/1)" "$(stat -L -c %i /proc/$mpid/fd/2)"
# otpd writes file: targets itself, never waiting: a FIFO without a
# reader does not hold the worker's start, and its lines wait for one.
expect_eq "a worker whose file: output is a FIFO without reader runs" \
	"$(timeout 10 "$OTPCTL" -s "$SOCK" status fifo --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" running
cat "$T/fifo" > "$T/fifo.out" & reader=$!
wait_for grep -q 'fifo\[[0-9]*\] stdout: via-fifo$' "$T/fifo.out" && pass "file: output on a FIFO, once it has a reader" || fail "fifo: $(cat "$T/fifo.out")"
ctl stop fifo > /dev/null
# The process is gone: otpd closes the FIFO, its reader sees EOF.
timeout 10 tail --pid="$reader" -f /dev/null && pass "FIFO closed when the worker stopped" || fail "FIFO still open"
wait "$reader"
# Every line is labelled with the pid of the process that wrote it and
# the stream it came from, also for a worker restarted every 50 ms (its
# first lines come right after a start): stdout lines on otpd's stdout,
# stderr lines on its stderr, in the ring with the right stream and pid.
wait_for sh -c "[ \$(grep -c '^churn\[' $T/out) -ge 1000 ] && [ \$(grep -c '^churn\[' $T/err) -ge 1000 ]"
ctl stop churn >/dev/null
check_labels() { # FILE STREAM
	awk -v want="$2" '/^churn\[/ { n++; p = $1; sub(/^churn\[/, "", p); sub(/\]:$/, "", p); if ($2 != "me=" p || $4 != want) bad++ }
	     END { print ((n >= 1000 && bad == 0) ? "ok" : n " lines, " bad + 0 " wrongly labelled") }' "$1"
}
expect_eq "churn: every stdout line carries its writer's pid" "$(check_labels "$T/out" out)" ok
expect_eq "churn: every stderr line carries its writer's pid" "$(check_labels "$T/err" err)" ok
ctl logs churn --json | python3 -c '
import json, sys
lines = [l for l in json.load(sys.stdin)["lines"] if "line" in l]
bad = [l for l in lines if l["line"].split()[0] != "me=%d" % l["pid"] or
       l["line"].split()[2] != {"stdout": "out", "stderr": "err"}[l["stream"]]]
print("ok" if len(lines) >= 1000 and not bad else "%d lines, %d wrong: %r" % (len(lines), len(bad), bad[:3]))' > "$T/ringlabels"
expect_eq "churn: the ring has each line's pid and stream" "$(cat "$T/ringlabels")" ok
finish
