# Sandbox, capabilities: the bounding set is what `capabilities` keeps; a
# root worker starts with exactly those, a non-root one gets them as ambient
# capabilities (binding port 80 as nobody), and without the key a non-root
# worker has none.  Ports are bound in a private network namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
getent passwd nobody >/dev/null || { echo "no user nobody"; exit 77; }
has_cap 10 && has_cap 5 || { echo "needs CAP_NET_BIND_SERVICE and CAP_KILL"; exit 77; }
conf <<EOF2
[worker r]
exec = $TP status CapBnd status CapEff status CapPrm status CapInh status CapAmb sleep
capabilities = CAP_NET_BIND_SERVICE CAP_KILL
[worker none]
exec = $TP status CapBnd status CapEff status CapPrm sleep
capabilities =
[worker amb]
exec = $TP status CapBnd status CapEff status CapAmb ids bind 80 sleep
user = nobody
capabilities = net_bind_service
private_network = true
[worker plain]
exec = $TP status CapEff status CapPrm status CapAmb bind 80 sleep
user = nobody
private_network = true
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for w in r none amb plain; do probe_done $w; done
caps() { probe "$1" "$2:" | sed 's/.*:[[:space:]]*//'; }
expect_eq "root: bounding set is what it keeps" "$(caps r CapBnd)" 0000000000000420
expect_eq "root: effective" "$(caps r CapEff)" 0000000000000420
expect_eq "root: permitted" "$(caps r CapPrm)" 0000000000000420
expect_eq "root: nothing inheritable" "$(caps r CapInh)" 0000000000000000
expect_eq "root: no ambient" "$(caps r CapAmb)" 0000000000000000
expect_eq "empty list: bounding set empty" "$(caps none CapBnd)" 0000000000000000
expect_eq "empty list: root without capabilities" "$(caps none CapEff)" 0000000000000000
expect_eq "nobody: bounding" "$(caps amb CapBnd)" 0000000000000400
expect_eq "nobody: ambient" "$(caps amb CapAmb)" 0000000000000400
expect_eq "nobody: effective after execve" "$(caps amb CapEff)" 0000000000000400
expect_probe "nobody binds port 80" amb "bind 80" "bind 80 ok"
expect_probe "it is nobody" amb "uid=" "uid=$(id -u nobody) gid=$(id -g nobody) groups=$(id -G nobody | tr ' ' '\n' | sort -n | paste -sd,)"
expect_eq "nobody without the key: no effective" "$(caps plain CapEff)" 0000000000000000
expect_eq "nobody without the key: no permitted" "$(caps plain CapPrm)" 0000000000000000
expect_eq "nobody without the key: no ambient" "$(caps plain CapAmb)" 0000000000000000
expect_probe "nobody without the key cannot bind port 80" plain "bind 80" "bind 80 EACCES"
expect_eq "status --json: bounding and ambient" \
	"$(jq_sandbox amb "','.join(s['capabilities']), ','.join(s['ambient'])")" \
	"CAP_NET_BIND_SERVICE CAP_NET_BIND_SERVICE"
ctl status r | grep -q "^  capabilities  bounding: CAP_KILL,CAP_NET_BIND_SERVICE; effective: CAP_KILL,CAP_NET_BIND_SERVICE; ambient: none$" &&
	pass "status shows the capabilities in force" || fail "status: $(ctl status r)"
finish
