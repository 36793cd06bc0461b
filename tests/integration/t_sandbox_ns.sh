# Sandbox, namespaces: a file in a private /tmp is invisible outside; a
# read-only path refuses writes (and private_tmp stays writable on top of
# read_only_paths = /); an inaccessible path cannot be read; a private
# network has only lo, up; a private /dev has only pseudo devices.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root (mount namespaces)"; exit 77; }
unshare --mount true 2>/dev/null || { echo "cannot create mount namespaces here"; exit 77; }
tp_outside_tmp
mkdir -p "$T/ro" "$T/ro/sub" "$T/secret"
echo hidden > "$T/secret/file"
echo hidden > "$T/secret.txt"
chmod 0755 "$T" "$T/secret"        # readable by nobody, but for the sandbox
tag=otpd-sbx-$$-$RANDOM
conf <<EOF2
[worker tmp]
exec = $TP write /tmp/$tag read /tmp/$tag write /var/tmp/$tag ls /tmp sleep
private_tmp = true
[worker ro]
exec = $TP write $T/ro/x write $T/ro/sub/y read $T/ro/sub write $T/elsewhere sleep
read_only_paths = $T/ro -/nonexistent-otpd
[worker rootro]
exec = $TP write /etc/$tag write /tmp/$tag-ro read /etc/hostname sleep
read_only_paths = /
private_tmp = true
[worker hide]
exec = $TP read $T/secret/file ls $T/secret line $T/secret.txt write $T/secret/new read /etc/hostname sleep
inaccessible_paths = $T/secret $T/secret.txt -/nonexistent-otpd
[worker hidenobody]
exec = $TP ls $T/secret read $T/secret.txt sleep
inaccessible_paths = $T/secret $T/secret.txt
user = nobody
[worker seen]
exec = $TP ls $T/secret read $T/secret.txt sleep
user = nobody
[worker net]
exec = $TP ifaces bind 8 sleep
private_network = true
[worker dev]
exec = $TP ls /dev ls /dev/pts write /dev/null read /dev/urandom write /dev/newnode sleep
private_devices = true
[worker host]
exec = $TP ifaces ls /tmp sleep
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for w in tmp ro rootro hide hidenobody seen net dev host; do probe_done $w; done
expect_probe "private /tmp: the worker writes" tmp "write /tmp/" "write /tmp/$tag ok"
expect_probe "private /tmp: and reads it back" tmp "read /tmp/" "read /tmp/$tag ok"
expect_probe "private /tmp: it is fresh" tmp "ls /tmp=" "ls /tmp=$tag"
expect_probe "private /var/tmp too" tmp "write /var/tmp/" "write /var/tmp/$tag ok"
[ ! -e "/tmp/$tag" ] && pass "the file is invisible outside" || fail "/tmp/$tag leaked out"
[ ! -e "/var/tmp/$tag" ] && pass "/var/tmp too" || fail "/var/tmp/$tag leaked out"
[ "$(probe host "ls /tmp=")" != "ls /tmp=" ] && pass "a worker without private_tmp sees the host's /tmp" ||
	fail "host: $(probe host "ls /tmp")"
expect_probe "read-only path refuses writes" ro "write $T/ro/x" "write $T/ro/x EROFS"
expect_probe "... below it as well" ro "write $T/ro/sub/y" "write $T/ro/sub/y EROFS"
expect_probe "... reading works" ro "read $T/ro/sub" "read $T/ro/sub ok"
expect_probe "... the rest stays writable" ro "write $T/elsewhere" "write $T/elsewhere ok"
[ ! -e "$T/ro/x" ] && pass "nothing was written" || fail "$T/ro/x exists"
touch "$T/ro/host-writes" && pass "the host still writes there" || fail "host cannot write $T/ro"
expect_probe "read_only_paths = /: root cannot write /etc" rootro "write /etc/" "write /etc/$tag EROFS"
expect_probe "... but reads" rootro "read /etc/hostname" "read /etc/hostname ok"
expect_probe "private_tmp stays writable over read_only_paths = /" rootro "write /tmp/" "write /tmp/$tag-ro ok"
[ ! -e "/etc/$tag" ] && pass "nothing was written to /etc" || fail "/etc/$tag exists"
expect_probe "inaccessible directory: its content is gone" hide "read $T/secret/file" "read $T/secret/file ENOENT"
expect_probe "... it is empty (root)" hide "ls $T/secret=" "ls $T/secret="
expect_probe "inaccessible file: its content is gone (root)" hide "line $T/secret.txt" "line $T/secret.txt="
expect_probe "... and nothing can be written" hide "write $T/secret/new" "write $T/secret/new EROFS"
expect_probe "the rest stays readable" hide "read /etc/hostname" "read /etc/hostname ok"
expect_probe "(without the key, nobody lists it)" seen "ls $T/secret=" "ls $T/secret=file"
expect_probe "(and reads the file)" seen "read $T/secret.txt" "read $T/secret.txt ok"
expect_probe "nobody cannot even list the directory" hidenobody "ls $T/secret=" "ls $T/secret=EACCES"
expect_probe "nobody cannot open the file" hidenobody "read $T/secret.txt" "read $T/secret.txt EACCES"
[ "$(cat "$T/secret/file")" = hidden ] && pass "the host still reads it" || fail "host lost $T/secret/file"
expect_probe "private network: only lo, up" net "ifaces=" "ifaces=lo+"
expect_probe "loopback works" net "bind 8" "bind 8 ok"
expect_probe "private /dev: pseudo devices only" dev "ls /dev=" \
	"ls /dev=$(private_dev_list)"
expect_probe "a new devpts instance" dev "ls /dev/pts=" "ls /dev/pts=ptmx"
expect_probe "/dev/null works" dev "write /dev/null" "write /dev/null ok"
expect_probe "/dev/urandom works" dev "read /dev/urandom" "read /dev/urandom ok"
expect_probe "nothing can be added to /dev" dev "write /dev/newnode" "write /dev/newnode EROFS"
expect_eq "status --json: namespaces" "$(jq_sandbox ro "','.join(s['namespaces']), s['private_tmp'], ','.join(s['read_only_paths'])")" \
	"mount False $T/ro,-/nonexistent-otpd"
expect_eq "status --json: network" "$(jq_sandbox net "','.join(s['namespaces'])")" "network"
expect_eq "status --json: none" "$(jq_sandbox host "len(s['namespaces'])")" 0
finish
