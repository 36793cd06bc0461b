# reload (otpctl(1), otpd(8)): an invalid config changes nothing; a valid one starts
# added children, stops and removes removed ones (a supervisor with its
# subtree), restarts workers whose process-level keys changed, swaps the
# rest in place (same pid, new spec), follows the new start order; SIGHUP
# does the same; --keep-running swaps specs and starts or restarts nothing;
# mailbox settings change in place and mailbox = false removes the socket;
# a deleted child's kept state follows the new config.
. "$(dirname "$0")/lib.sh"
write() { # the tree; $1 extra keys for chg, $2 restart type of inplace, then extra sections
	conf <<EOF2
[supervisor root]
strategy = one_for_one
intensity = 10
period = 60s
[worker keep]
exec = $TW
[worker chg]
exec = $TW
$1
[worker inplace]
exec = $TW
restart = $2
$3
EOF2
}
alive() { kill -0 "$1" 2>/dev/null; }
order() { ctl status --json | python3 -c 'import json,sys; print(" ".join(c["name"] for c in json.load(sys.stdin)["children"]))'; }

write "env = V=1" permanent "[supervisor s]
[worker x]
parent = s
exec = $TW
[worker gone]
exec = $TW"
start_otpd || { fail "otpd did not start"; finish; }
for n in keep chg inplace x gone; do wait_state $n running || fail "$n not running"; done
keep=$(json keep pid); chg=$(json chg pid); inplace=$(json inplace pid)
x=$(json x pid); gone=$(json gone pid)

# --- an invalid config changes nothing -------------------------------------
cp "$T/otp.conf" "$T/good.conf"
printf '[worker bad]\nexec = %s\nrestart = sometimes\n' "$TW" >> "$T/otp.conf"
out=$(ctl reload 2>&1); rc=$?
expect_eq "invalid config: exit 1" "$rc" 1
case $out in *"restart: expected permanent, transient or temporary"*"nothing changed"*) pass "the error names key and value";;
	*) fail "reload output: $out";; esac
expect_eq "invalid config: keep untouched" "$(json keep pid)" "$keep"
expect_eq "invalid config: gone still there" "$(json gone pid)" "$gone"
cp "$T/good.conf" "$T/otp.conf"

# --- a valid config: the difference is applied -------------------------------
write "env = V=2" temporary "[worker added]
exec = $TW"
out=$(ctl reload 2>&1); rc=$?
expect_eq "reload: exit 0" "$rc" 0
for l in "removed s" "removed x" "removed gone" "added added" "restarted chg" "changed inplace" ok; do
	case $out in *"$l"*) pass "reload says: $l";; *) fail "reload output lacks '$l': $out";; esac
done
case $out in *"keep"*) fail "keep reported as changed: $out";; esac
wait_state added running || fail "added not running"
wait_state chg running || fail "chg not running"
expect_eq "unchanged worker keeps its pid" "$(json keep pid)" "$keep"
expect_eq "in-place change keeps the pid" "$(json inplace pid)" "$inplace"
[ "$(json chg pid)" != "$chg" ] && pass "chg restarted with its new env" || fail "chg kept pid $chg"
expect_eq "a requested restart is counted" "$(json chg restarts)" 1
grep -qz "V=2" /proc/"$(json chg pid)"/environ && pass "chg sees V=2" || fail "chg environ"
wait_for sh -c "! kill -0 $gone 2>/dev/null && ! kill -0 $x 2>/dev/null" \
	&& pass "removed workers are stopped" || fail "gone ($gone) or x ($x) still alive"
for n in gone s x; do
	ctl status $n >/dev/null 2>&1 && fail "$n still in the tree" || pass "$n is out of the tree"
done
expect_eq "start order follows the config" "$(order)" "keep chg inplace added"
[ -z "$CGBASE" ] || [ ! -d "$CGBASE/root/s" ] && pass "s's cgroup is gone" || fail "$CGBASE/root/s left"
# inplace is temporary now: after a crash it is not restarted.
ctl kill inplace KILL >/dev/null
wait_for sh -c "! $OTPCTL -s $SOCK status inplace >/dev/null 2>&1" \
	&& pass "the new restart type took effect without a restart" || fail "inplace: $(ctl status inplace)"

# --- SIGHUP reloads too ------------------------------------------------------
write "env = V=2" temporary "[worker added]
exec = $TW
[worker hup]
exec = $TW"
kill -HUP "$OTPD_PID"
wait_state hup running && pass "SIGHUP added hup" || fail "hup: $(ctl status hup 2>&1)"
expect_eq "SIGHUP: keep untouched" "$(json keep pid)" "$keep"

# --- --keep-running: OTP's form ---------------------------------------------
chg=$(json chg pid)
LATE="[worker added]
exec = $TW
[worker hup]
exec = $TW
[worker late]
exec = $TW"
write "env = V=3" temporary "$LATE"
ctl reload --keep-running >/dev/null || fail "reload --keep-running"
expect_eq "keep-running: chg keeps its pid" "$(json chg pid)" "$chg"
expect_eq "keep-running: late is added, not started" "$(json late state)" stopped
ctl start late >/dev/null && wait_state late running && pass "late starts on request" || fail "start late"
ctl restart chg >/dev/null && wait_state chg running
grep -qz "V=3" /proc/"$(json chg pid)"/environ && pass "chg's next start uses the new spec" || fail "chg environ after restart"

# --- mailboxes: settings in place, callers kept; mailbox = false removes it ---
ECHO=$BUILD/helpers/techo
mb_conf() { # $1: mb's exec, then its extra lines
	write "env = V=3" temporary "$LATE
[worker mb]
exec = $1
${2:-}"
}
mb_conf "$ECHO" "mailbox = true"
ctl reload >/dev/null || fail "reload adding mb"
wait_state mb running || fail "mb not running"
expect_eq "mb answers" "$(ctl call mb hi)" hi
mb=$(json mb pid)
expect_eq "mailbox mode before" "$(stat -c %a "$T/run/mailbox/mb")" 660
mb_conf "$ECHO" "mailbox = true
mailbox_mode = 0600"
out=$(ctl reload 2>&1) || fail "reload mailbox_mode: $out"
expect_eq "mailbox mode applied in place" "$(stat -c %a "$T/run/mailbox/mb")" 600
expect_eq "mb not restarted for its mailbox mode" "$(json mb pid)" "$mb"
expect_eq "mb still answers" "$(ctl call mb again)" again
mb_conf "$TW"
ctl reload >/dev/null || fail "reload mailbox = false"
[ ! -e "$T/run/mailbox/mb" ] && pass "mailbox = false removes the socket" || fail "mb socket left"
ctl call mb gone >/dev/null 2>&1; expect_eq "a call to it is noproc (exit 4)" $? 4
wait_state mb running && pass "mb runs on without a mailbox" || fail "mb: $(ctl status mb)"

# --- a deleted child keeps its state for its supervisor's next start: that
# state follows the new config too (it must not point into the old one) ----
grp_conf() { # $1: d's env value
	write "env = V=3" temporary "[supervisor grp]
[worker d]
parent = grp
exec = $TW
env = D=$1"
}
grp_conf 1
ctl reload >/dev/null && wait_state d running || fail "grp/d not added"
ctl stop d >/dev/null && ctl delete-child d >/dev/null || fail "stop + delete-child d"
grp_conf 2
out=$(ctl reload 2>&1) || fail "reload with d deleted: $out"
ctl restart grp >/dev/null && wait_state d running || fail "d not back after grp restarted: $(ctl status d 2>&1)"
grep -qz "D=2" /proc/"$(json d pid)"/environ && pass "the deleted child came back with its new spec" \
	|| fail "d environ: $(tr '\0' ' ' < /proc/$(json d pid)/environ)"

# --- the root cannot become simple_one_for_one while otpd runs --------------
cp "$T/otp.conf" "$T/before.conf"
conf <<EOF2
[supervisor root]
strategy = simple_one_for_one
[worker tpl]
exec = $TW
EOF2
out=$(ctl reload 2>&1); rc=$?
expect_eq "root reshaped: refused" "$rc" 1
case $out in *"restart otpd"*"nothing changed"*) pass "says why";; *) fail "reload output: $out";; esac
expect_eq "root reshaped: keep untouched" "$(json keep pid)" "$keep"
cp "$T/before.conf" "$T/otp.conf"

# --- reloads asked for during a reload wait for it; the last config wins
# (issue 18.11: a SIGHUP during a slow removal was refused and lost) ---------
write "env = V=3" temporary "[worker slow]
exec = $TW --ignore-term
shutdown = 2500ms"
ctl reload >/dev/null && wait_state slow running || fail "slow not added"
write "env = V=3" temporary ""
ctl reload > "$T/r1" 2>&1 & r1=$!
wait_state slow stopping 5s || fail "slow is not being removed"
write "env = V=3" temporary "[worker first]
exec = $TW"
ctl reload > "$T/r2" 2>&1 & r2=$!
write "env = V=3" temporary "[worker late1]
exec = $TW"
kill -HUP "$OTPD_PID"
write "env = V=3" temporary "[worker late2]
exec = $TW"
kill -HUP "$OTPD_PID"
wait $r1; expect_eq "the first reload ends ok" $? 0
wait $r2; expect_eq "the one asked for meanwhile waits and ends ok" $? 0
grep -q "follows it" "$T/r2" && pass "it was told it waits" || fail "r2 said: $(cat "$T/r2")"
wait_state late2 running 5s && pass "the newest config was applied" || fail "late2 not added: $(ctl status)"
ctl status first >/dev/null 2>&1; expect_eq "an older one in between is not" $? 1
ctl status late1 >/dev/null 2>&1; expect_eq "nor is an older SIGHUP's" $? 1
ctl status slow >/dev/null 2>&1; expect_eq "slow was removed" $? 1
write "env = V=3" temporary ""
ctl reload >/dev/null

# --- otpd is still well ----------------------------------------------------
ctl shutdown >/dev/null; otpd_wait
expect_eq "clean exit after reloads" "$RC" 0
grep -v -e sometimes -e "root supervisor" "$T/err" | grep -qi "error\|warning: cannot" && fail "errors logged: $(grep -v -e sometimes -e "root supervisor" "$T/err" | grep -i "error\|warning: cannot")"
finish
