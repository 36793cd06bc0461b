# otpd -- CMD: the program after -- is the tree's main worker.  Its exit
# status is otpd's (tini's matrix: code, 128+signal, 127/126 when it cannot
# run), it gets every signal otpd gets, it writes to otpd's own stdout and
# stderr (apart, unprefixed), -c FILE -- CMD adds it to a configured tree,
# a reload keeps it, and without root otpd's run_dir is the user's own.
. "$(dirname "$0")/lib.sh"
SR=$BUILD/helpers/sigrec
[ -x "$SR" ] || { echo "no $SR: make helpers"; exit 77; }
# A file that only keeps run_dir and cgroups in $T: `-c FILE -- CMD`.
conf </dev/null
mainrun() { timeout -s KILL 20 "$OTPD" -c "$T/otp.conf" -- "$@" > "$T/out" 2> "$T/err"; }
# main_start ARGS...: otpd -- ARGS in the background, until the socket is there.
main_start() {
	"$OTPD" -c "$T/otp.conf" -- "$@" > "$T/out" 2> "$T/err" &
	OTPD_PID=$!
	wait_for test -S "$SOCK" || fail "otpd -- $* did not start: $(cat $T/err)"
}
lines() { grep -c "^$2\$" "$1" 2>/dev/null; }

# 1) exit statuses, as tini's
for c in 0 3 42; do
	mainrun sh -c "exit $c"; expect_eq "exit $c" "$?" "$c"
done
mainrun sh -c 'kill -KILL $$'; expect_eq "SIGKILL -> 137" "$?" 137
mainrun sh -c 'kill -SEGV $$'; expect_eq "SIGSEGV -> 139" "$?" 139
mainrun /nonexistent/prog; expect_eq "not found -> 127" "$?" 127
mainrun no-such-program-otpd; expect_eq "not in PATH -> 127" "$?" 127
grep -q "no-such-program-otpd: No such file or directory" "$T/err" && pass "says why" || fail "$(cat $T/err)"
mainrun "$T/otp.conf"; expect_eq "not executable -> 126" "$?" 126
mainrun "$T"; expect_eq "a directory -> 126" "$?" 126

# 2) its output is otpd's own: stdout and stderr apart, no prefix
mainrun sh -c 'echo to-out; echo to-err >&2; exit 0'
expect_eq "stdout: the program's line only" "$(cat $T/out)" "to-out"
grep -qx "to-err" "$T/err" && pass "stderr: the program's line, unprefixed" || fail "err: $(cat $T/err)"
grep -q "to-err" "$T/out" && fail "stderr went to stdout" || pass "stderr not on stdout"

# 3) every signal goes to main, SIGTERM and SIGHUP included; its status is otpd's
main_start "$SR" "$T/sig" 7
wait_for grep -qs ready "$T/sig" || fail "sigrec did not start"
sent="HUP INT QUIT USR1 USR2 WINCH PWR ALRM URG CONT TSTP RTMIN+1"
got=0
for s in $sent; do
	kill -s "$s" "$OTPD_PID"
	wait_for grep -qx "$s" "$T/sig" && got=$((got + 1)) || fail "main did not get SIG$s"
done
[ $got -eq $(echo $sent | wc -w) ] && pass "main got every signal ($sent)"
kill -TERM "$OTPD_PID"; otpd_wait
expect_eq "SIGTERM to main, which exits 7: otpd exits 7" "$RC" 7
grep -q "reloading\|shutting down" "$T/err" && fail "otpd acted on a signal: $(cat $T/err)" ||
	pass "otpd acted on none of them"
grep -q "signals go to main" "$T/err" && pass "said once where signals go" || fail "$(cat $T/err)"

# 4) -c FILE -- CMD: main plus a side worker; main's end stops the side
#    worker in order; signals go to main only; a reload keeps main
conf <<EOF2
[worker side]
exec = $SR $T/side
EOF2
main_start "$SR" "$T/m" 5
wait_for grep -qs ready "$T/m"; wait_for grep -qs ready "$T/side" || fail "side did not start"
pid=$(json main pid)
ctl reload >/dev/null; expect_eq "reload keeps main's process" "$(json main pid)" "$pid"
kill -USR1 "$OTPD_PID"
wait_for grep -qx USR1 "$T/m" && pass "main got USR1" || fail "main: $(cat $T/m)"
kill -TERM "$OTPD_PID"; otpd_wait
expect_eq "main's status ended the tree" "$RC" 5
expect_eq "side was stopped (SIGTERM), after main" "$(lines $T/side TERM)" 1
expect_eq "side got no USR1" "$(lines $T/side USR1)" 0

# 5) the name is the program's
conf <<EOF2
[worker main]
exec = /bin/true
EOF2
mainrun true; expect_eq "a file naming a node main is refused" "$?" 2
grep -q "the name is taken by the program after --" "$T/err" && pass "says why" || fail "$(cat $T/err)"
"$OTPD" --check -- sleep 1 | grep -q "main (worker, temporary, .*significant): sleep 1" &&
	pass "--check shows main" || fail "--check: $("$OTPD" --check -- sleep 1)"

# 6) no file at all (not even /etc/otp): run_dir is the default, here a
#    private /run of its own
timeout -s KILL 20 unshare --mount sh -c 'mount -t tmpfs otpd-it /run && exec "$0" -- sh -c "test -S /run/otp/otpd.sock && exit 4"' \
	"$OTPD" > "$T/out" 2> "$T/err"
expect_eq "otpd -- CMD with no file, sockets in /run/otp" "$?" 4

# 7) without root: run_dir is $XDG_RUNTIME_DIR/otp (made, owned, removed at
#    exit), and otpctl of that user finds it there
if command -v setpriv >/dev/null; then
	U=4321
	chmod 755 "$T"; mkdir "$T/xdg"; chown $U:$U "$T/xdg"
	AS_USER="setpriv --reuid=$U --regid=$U --clear-groups env XDG_RUNTIME_DIR=$T/xdg"
	as_user() { $AS_USER "$@"; }
	$AS_USER "$OTPD" -- "$SR" "$T/xdg/sig" 3 > "$T/out" 2> "$T/err" &
	OTPD_PID=$!     # setpriv execs env, which execs otpd: the same process
	wait_for grep -qs ready "$T/xdg/sig" || fail "non-root otpd: $(cat $T/err)"
	expect_eq "run_dir owned by the user" "$(stat -c %u "$T/xdg/otp")" $U
	as_user "$OTPCTL" status main >/dev/null && pass "the user's otpctl finds otpd" ||
		fail "otpctl: $(as_user "$OTPCTL" status main 2>&1)"
	kill -TERM "$OTPD_PID"; otpd_wait
	expect_eq "non-root main's status" "$RC" 3
	[ -e "$T/xdg/otp" ] && fail "run_dir left behind: $(ls -A $T/xdg/otp)" || pass "run_dir removed at exit"
fi
finish
