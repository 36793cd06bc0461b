# The hardened example (etc/examples/hardened.conf) is valid, and its
# sandbox works as a whole: run with the probe in place of its program.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox_lib.sh"
EX=$ROOT/etc/examples/hardened.conf
"$OTPD" --check -c "$EX" > "$T/check.out" 2>&1
expect_eq "otpd --check accepts the example" "$?" 0
[ "$(id -u)" = 0 ] || { echo "skipped the run: needs root"; finish; }
getent passwd nobody >/dev/null && getent group nogroup >/dev/null ||
	{ echo "skipped the run: no user nobody or group nogroup"; finish; }
case "$TP" in /root/*|/home/*|/tmp/*|/var/tmp/*)
	echo "skipped the run: the probe ($TP) lies where the example hides or replaces"; finish;;
esac
has_cap 10 || { echo "skipped the run: no CAP_NET_BIND_SERVICE"; finish; }
{ printf '[otpd]\nrun_dir = %s/run\n' "$T"
  sed "s|^exec = .*|exec = $TP ids status NoNewPrivs status Seccomp status CapEff status CapAmb umask write /etc/x write /tmp/x line /etc/shadow ls /dev try chroot nice oom sleep|" "$EX"
} > "$T/otp.conf"
start_otpd || { fail "otpd did not start"; finish; }
probe_done web
expect_probe "nobody, nogroup, no supplementary groups" web "uid=" "uid=$(id -u nobody) gid=$(getent group nogroup | cut -d: -f3) groups="
expect_probe "no_new_privs" web "NoNewPrivs" "NoNewPrivs:	1"
expect_probe "filter loaded" web "Seccomp:" "Seccomp:	2"
expect_probe "one capability, ambient" web "CapAmb" "CapAmb:	0000000000000400"
expect_probe "umask" web "umask=" "umask=0077"
expect_probe "read-only root" web "write /etc/x" "write /etc/x EROFS"
expect_probe "private /tmp is writable" web "write /tmp/x" "write /tmp/x ok"
[ -e /etc/shadow ] && expect_probe "shadow passwords hidden" web "line /etc/shadow" "line /etc/shadow=EACCES"
expect_probe "private /dev" web "ls /dev=" "ls /dev=$(private_dev_list)"
expect_probe "chroot is refused with EPERM" web "try chroot" "try chroot EPERM"
expect_probe "nice" web "nice=" "nice=5"
expect_probe "oom_score_adj" web "oom_score_adj=" "oom_score_adj=500"
finish
