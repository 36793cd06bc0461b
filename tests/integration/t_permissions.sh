# Control socket: only root and control_group may control otpd; anyone else
# is told "permission denied" (exit 1) even when the socket file lets them in.
# upgrade, which chooses what otpd runs, is root's (or otpd's user's) only.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv (util-linux) missing"; exit 77; }
NOBODY=$(id -u nobody) || { echo "no user nobody"; exit 77; }
chmod 0755 "$T"
conf <<EOF2
[worker w]
exec = $TW
EOF2
start_otpd || { fail "otpd did not start"; finish; }
wait_state w running
chmod 0755 "$T/run"
as_nobody() { setpriv --reuid="$NOBODY" --regid="$1" --clear-groups "$OTPCTL" -s "$SOCK" "${@:2}"; }
as_nobody 65534 status >/dev/null 2>&1; expect_eq "socket mode keeps others out (unreachable)" $? 3
chmod 0666 "$SOCK"
out=$(as_nobody 65534 stop w 2>&1); rc=$?
expect_eq "peer credentials refuse others" "$rc" 1
echo "$out" | grep -q "permission denied" && pass "says permission denied" || fail "said: $out"
expect_eq "refused command changed nothing" "$(json w state)" running
ctl shutdown >/dev/null; otpd_wait
# control_group lets its members in, through the file mode and the peer check
gid=$(getent group daemon | cut -d: -f3) || { echo "no group daemon"; finish; }
OTPD_KEYS="control_group = daemon"
conf <<EOF2
[worker w]
exec = $TW
EOF2
start_otpd || { fail "otpd did not start with control_group"; finish; }
wait_state w running
chmod 0755 "$T/run"
as_nobody "$gid" status w >/dev/null 2>&1; expect_eq "a control_group member is allowed" $? 0
# ... but not to choose what otpd runs (otpctl(1) UPGRADE)
out=$(as_nobody "$gid" upgrade -c "$T/otp.conf" 2>&1); rc=$?
expect_eq "upgrade by a control_group member: exit 1" "$rc" 1
echo "$out" | grep -q "only root or otpd's own user" && pass "upgrade is root's" || fail "said: $out"
chmod 0666 "$SOCK"
as_nobody 65534 status w >/dev/null 2>&1; expect_eq "a non-member is refused by the peer check" $? 1
finish
