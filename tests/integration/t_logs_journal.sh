# Worker lines as journal entries (journald's native protocol), checked
# against a socket that speaks it: tests/helpers/fake_journald.py, bound
# at /run/systemd/journal/socket inside otpd's own mount namespace (a
# tmpfs over /run/systemd there, the host's is untouched).  The real
# journald is checked in the VM tier (tests/vm/cases/systemd).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (a private mount namespace)"; exit 77; }
command -v unshare > /dev/null || { echo "no unshare"; exit 77; }
J=$T/jdir
mkdir -p "$J"
JPID=
trap '[ -n "$JPID" ] && kill $JPID 2>/dev/null; cleanup' EXIT
start_journal() {
	rm -f "$J/socket"
	python3 "$ROOT/tests/helpers/fake_journald.py" "$J/socket" "$T/journal.jsonl" & JPID=$!
	wait_for test -S "$J/socket" || fail "fake journald did not start"
}
cat > "$T/otpd-in-ns" <<EOF2
#!/bin/sh
exec unshare -m --propagation private /bin/sh -c 'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/journal && mount --bind "$J" /run/systemd/journal && exec "\$0" "\$@"' "$OTPD" "\$@"
EOF2
chmod +x "$T/otpd-in-ns"
OTPD=$T/otpd-in-ns

# entries WORKER: the entries of a worker, one JSON object a line.
entries() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("OTPD_WORKER") == sys.argv[2]: print(json.dumps(e, sort_keys=True))' "$T/journal.jsonl" "$1"; }

# 1. log_target = journal: entries with the worker's fields and priority.
OTPD_KEYS="log_target = journal"
conf <<EOF2
[supervisor app]
[worker jw]
parent = app
exec = /bin/sh -c 'echo hello; echo "<4>careful"; echo bad >&2; exec sleep 60'
EOF2
start_journal
start_otpd || { fail "otpd did not start"; finish; }
wait_state jw running
pid=$(json jw pid)
wait_for sh -c "[ \$(grep -c '\"OTPD_WORKER\": \"jw\"' $T/journal.jsonl) -ge 3 ]"
entries jw | python3 -c '
import json, sys
got = sorted((e["MESSAGE"], e["PRIORITY"], e["OTPD_STREAM"]) for e in map(json.loads, sys.stdin))
print(got)' > "$T/got"
expect_eq "entries: MESSAGE, PRIORITY (stderr 3, stdout 6, <N> prefix), OTPD_STREAM" "$(cat "$T/got")" \
	"[('bad', '3', 'stderr'), ('careful', '4', 'stdout'), ('hello', '6', 'stdout')]"
entries jw | python3 -c '
import json, sys
es = [json.loads(l) for l in sys.stdin]
ok = len(es) == 3 and all(e["SYSLOG_IDENTIFIER"] == "jw" and e["OTPD_SUPERVISOR"] == "app" and
         e["OTPD_PID"] == "'$pid'" and e["SYSLOG_PID"] == "'$pid'" for e in es)
print("ok" if ok else "bad")' > "$T/got"
expect_eq "entries: SYSLOG_IDENTIFIER, OTPD_SUPERVISOR, OTPD_PID, SYSLOG_PID" "$(cat "$T/got")" ok
grep -q '^jw\[' "$T/out" "$T/err" && fail "journal lines also on otpd's stdout/stderr"
expect_eq "the ring keeps them" "$(ctl logs jw | sort | tr '\n' ' ')" "<4>careful bad hello "
# journald goes away: lines come back to otpd's stdout and stderr.
kill $JPID; wait $JPID 2>/dev/null; JPID=
ctl restart jw > /dev/null
wait_state jw running
pid=$(json jw pid)
wait_for grep -q "^jw\[$pid\]: bad$" "$T/err" && pass "no journal: back to otpd's stderr" || fail "no fallback: $(tail -3 "$T/err")"
grep -q "^jw\[$pid\]: hello$" "$T/out" && pass "no journal: back to otpd's stdout" || fail "no fallback on stdout"
ctl shutdown > /dev/null
otpd_wait

# 2. log_target = auto (the default): the journal when otpd's stdout is
# the stream JOURNAL_STREAM names; not otherwise.
OTPD_KEYS=
conf <<EOF2
[worker auto]
exec = /bin/sh -c 'echo via-auto; exec sleep 60'
EOF2
: > "$T/journal.jsonl"
start_journal
: > "$T/out"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/out") start_otpd || { fail "otpd did not start"; finish; }
wait_state auto running
wait_for grep -q via-auto "$T/journal.jsonl" && pass "auto + JOURNAL_STREAM of stdout: the journal" || fail "auto: $(cat "$T/journal.jsonl")"
grep -q via-auto "$T/out" && fail "auto: the line also on stdout"
ctl shutdown > /dev/null
otpd_wait
: > "$T/journal.jsonl"
JOURNAL_STREAM=1:1 start_otpd || { fail "otpd did not start"; finish; }
wait_state auto running
wait_for grep -q "^auto\[[0-9]*\]: via-auto" "$T/out" && pass "auto, another stream: stdout" || fail "auto off"
[ -s "$T/journal.jsonl" ] && fail "auto off: entries sent"
finish
