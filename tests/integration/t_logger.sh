# stdout = worker:NAME: a producer's output goes to a logger worker through
# a pipe otpd holds, so that a restart of either side loses nothing the
# pipe holds (runit's log/ service), nor does a re-execution of otpd.  Also: the config's checks, stderr
# following stdout, and the pipe closed once a reload leaves no producer.
. "$(dirname "$0")/lib.sh"

# The logger: appends each whole line to $1, reading one byte at a time
# (nothing read is left unwritten), and on SIGTERM ends at a line's end.
cat > "$T/logger.py" <<'PY'
import os, signal, sys
stop = False
def term(signo, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, term)
out = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
line = b""
while not (stop and not line):
    b = os.read(0, 1)
    if not b:
        break
    line += b
    if b == b"\n":
        os.write(out, line)
        line = b""
PY

# Bad references are --check errors with the line.
bad() { # what value
	printf '[otpd]\nrun_dir = %s/run\n[supervisor root]\n[worker a]\nexec = /bin/true\nstdout = %s\n%s' \
		"$T" "$2" "${3:-}" > "$T/bad.conf"
	out=$("$OTPD" --check -c "$T/bad.conf" 2>&1); rc=$?
	expect_eq "$1: exit 2" "$rc" 2
	echo "$out" | grep -q "bad.conf:6: stdout: $4" && pass "$1: says why" || fail "$1: $out"
}
bad "no such worker" "worker:nobody" "" 'no worker named "nobody"'
bad "itself" "worker:a" "" "a worker cannot be its own logger"
bad "a template" "worker:t" "$(printf '[supervisor pool]\nstrategy = simple_one_for_one\n[worker t]\nparent = pool\nexec = /bin/true\n')" \
	'"t" is a simple_one_for_one template'
bad "a supervisor" "worker:s" "$(printf '[supervisor s]\n')" 'no worker named "s"'
bad "no name" "worker:" "" "expected log"

conf <<EOF2
[supervisor root]
intensity = 100
[worker log]
exec = python3 $T/logger.py $T/logged
[worker app]
exec = /bin/sh -c 'trap "echo finished; exit 0" TERM; i=0; while :; do i=\$((i+1)); echo "out \$i"; echo "err \$i" >&2; sleep 0.005; done'
stdout = worker:log
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state log running && wait_state app running || fail "not running"
lines() { grep -c "^$1 " "$T/logged" 2>/dev/null || echo 0; }
wait_for sh -c "[ \$(grep -c '^out ' $T/logged 2>/dev/null) -ge 20 ]" || fail "no lines logged"
grep -q "^err 1$" "$T/logged" && pass "stderr follows stdout into the logger" || fail "no stderr lines"
expect_eq "otpctl logs: nothing of app (its lines went to the logger)" "$(ctl logs app | wc -l)" 0

app=$(json app pid)
# otpd re-executes itself twice: the pipe it holds goes through the exec
# (the restarts below would otherwise give the logger a new pipe, and
# app's lines would go nowhere).
for _ in 1 2; do
	n=$(lines out)
	ctl reexec >/dev/null || fail "reexec: $(ctl reexec 2>&1)"
	wait_for sh -c "[ \$(grep -c '^out ' $T/logged) -gt $((n + 20)) ]" || fail "nothing after the reexec"
done
# The logger restarted three times while app writes: no line lost.
for _ in 1 2 3; do
	n=$(lines out)
	ctl restart log >/dev/null || fail "restart log"
	wait_for sh -c "[ \$(grep -c '^out ' $T/logged) -gt $((n + 20)) ]" || fail "nothing after the restart"
done
# Down for a while: what app writes meanwhile waits in the pipe.
ctl stop log >/dev/null
n=$(lines out)
sleep 0.3
expect_eq "nothing logged while the logger is down" "$(lines out)" "$n"
ctl start log >/dev/null
wait_for sh -c "[ \$(grep -c '^out ' $T/logged) -gt $((n + 20)) ]" || fail "nothing after the start"
expect_eq "app is the same process throughout" "$(json app pid)" "$app"
ctl stop app >/dev/null
# Wait until the logger has written all app wrote: its last line, said
# on SIGTERM (a TERM between its two echos ends it after "out N").
wait_for grep -q '^finished$' "$T/logged" || fail "the last line did not arrive"
expect_eq "every out line, in order, none lost" "$(grep '^out ' "$T/logged" | awk '{ if ($2 != NR) { print "gap at " NR ": " $2; exit } } END { if (NR > 0) print "ok" }')" ok
expect_eq "every err line, in order, none lost" "$(grep '^err ' "$T/logged" | awk '{ if ($2 != NR) { print "gap at " NR ": " $2; exit } } END { if (NR > 0) print "ok" }')" ok

# A new process of app writes into the same logger.
: > "$T/logged"
ctl start app >/dev/null
wait_for grep -q "^out 1$" "$T/logged" && pass "app's next process logs to the same logger" || fail "after app's restart: $(head -3 "$T/logged")"

# A reload without worker:log: app restarts with the default output,
# and otpd lets the pipe go (two fds fewer).  Pipes only: the connection
# of an otpctl that just ended may still be open in otpd for a moment.
fds() { find /proc/$OTPD_PID/fd -lname 'pipe:*' | wc -l; }
before=$(fds)
sed -i 's/^stdout = worker:log$//' "$T/otp.conf"
ctl reload >/dev/null || fail "reload"
wait_state app running
wait_for sh -c "[ \$(ctl logs app 2>/dev/null | wc -l) -gt 0 ]" 2>/dev/null
ctl logs app | grep -q "^out " && pass "after the reload app's lines are otpd's" || fail "logs app: $(ctl logs app | head -2)"
# app: two output pipes now (stdout and stderr apart) instead of none.
wait_for eval '[ "$(fds)" = "$before" ]'
expect_eq "the logger pipe is closed (fds: +2 for app's pipes, -2 for the logger's)" "$(fds)" "$before"
finish
