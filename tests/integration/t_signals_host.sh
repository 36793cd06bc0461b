# otpd as a service of the machine (not PID 1, not in a container): the
# signals it does not act on are ignored, said once each, and neither end
# otpd nor reach its workers; SIGTERM stops the tree, logged by name.
. "$(dirname "$0")/lib.sh"
SR=$BUILD/helpers/sigrec
[ -x "$SR" ] || { echo "no $SR: make helpers"; exit 77; }
[ -n "${container:-}" ] && { echo "container=$container: this test wants a machine's service"; exit 77; }
conf <<EOF2
[worker app]
exec = $SR $T/app
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_for grep -qs ready "$T/app" || fail "app did not start"
for s in USR1 PWR QUIT WINCH VTALRM XCPU RTMIN+3 USR1; do kill -s $s "$OTPD_PID"; done
wait_for grep -q "SIGRTMIN+3: ignored" "$T/err" || fail "no word about SIGRTMIN+3: $(cat $T/err)"
expect_eq "otpd still runs" "$(ctl status app --json >/dev/null && echo up)" up
expect_eq "ignored signals said once each" "$(grep -c ': ignored' $T/err)" 7
expect_eq "the worker got none" "$(grep -vc ready $T/app)" 0
kill -TERM "$OTPD_PID"; otpd_wait
expect_eq "SIGTERM: exit 0" "$RC" 0
grep -q "SIGTERM: shutting down" "$T/err" && pass "SIGTERM logged by name" || fail "$(cat $T/err)"
finish
