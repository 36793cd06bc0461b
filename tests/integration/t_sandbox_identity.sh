# Sandbox, identity: a `user = nobody` worker sees nobody's uid, gid, groups
# and environment; supplementary_groups and umask; a numeric user without a
# passwd entry; `otpctl status NAME` shows it all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (to switch users)"; exit 77; }
getent passwd nobody >/dev/null || { echo "no user nobody"; exit 77; }
uid=$(id -u nobody); gid=$(id -g nobody)
groups=$(id -G nobody | tr ' ' '\n' | sort -n | paste -sd,)
IFS=: read -r _ _ _ _ _ home shell <<<"$(getent passwd nobody)"
free_id=4242
while getent passwd $free_id >/dev/null || getent group $free_id >/dev/null; do free_id=$((free_id + 1)); done
conf <<EOF2
[worker n]
exec = $TP ids env HOME env USER env LOGNAME env SHELL umask env OTP_NAME sleep
user = nobody
umask = 0027
[worker g]
exec = $TP ids env HOME sleep
user = nobody
supplementary_groups = daemon 7
env = HOME=/srv/home
[worker num]
exec = $TP ids env HOME env USER env SHELL sleep
user = $free_id
[worker grp]
exec = $TP ids sleep
group = daemon
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for w in n g num grp; do probe_done $w; done
expect_probe "nobody: ids" n "uid=" "uid=$uid gid=$gid groups=$groups"
expect_probe "nobody: HOME from passwd" n "env HOME" "env HOME=$home"
expect_probe "nobody: USER" n "env USER" "env USER=nobody"
expect_probe "nobody: LOGNAME" n "env LOGNAME" "env LOGNAME=nobody"
expect_probe "nobody: SHELL from passwd" n "env SHELL" "env SHELL=$shell"
expect_probe "umask" n "umask=" "umask=0027"
expect_probe "otpd's own variables stay" n "env OTP_NAME" "env OTP_NAME=n"
daemon_gid=$(getent group daemon | cut -d: -f3)
expect_probe "supplementary_groups replace the user's" g "uid=" \
	"uid=$uid gid=$gid groups=$(printf '%s\n' "$daemon_gid" 7 | sort -n | paste -sd,)"
expect_probe "env = HOME=... wins over the user's HOME" g "env HOME" "env HOME=/srv/home"
expect_probe "numeric user without an entry" num "uid=" "uid=$free_id gid=$free_id groups="
expect_probe "numeric user: HOME=/" num "env HOME" "env HOME=/"
expect_probe "numeric user: USER is the number" num "env USER" "env USER=$free_id"
expect_probe "group alone: root with that group, no supplementary groups" grp "uid=" \
	"uid=0 gid=$daemon_gid groups="
# The operator's view
st=$(ctl status n)
echo "$st" | grep -q "^  user          nobody: uid $uid, gid $gid, groups " && pass "status shows the identity in force" ||
	fail "status: $st"
expect_eq "status --json: user" "$(jq_sandbox n "s['user'], s['uid'], s['gid'], s['source']")" "nobody $uid $gid process"
expect_eq "status --json: umask" "$(jq_sandbox n "s['umask']")" "0027"
finish
