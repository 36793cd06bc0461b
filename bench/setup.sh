#!/bin/sh
# bench/setup.sh: install the peers make bench compares otpd with, from
# Debian: s6, runit, supervisor (supervisord), tini, dumb-init, catatonit,
# plus strace and perf for the profiles.  Idempotent (no apt-get when all are
# present).  Never lets a package start a daemon: a temporary policy-rc.d
# refuses service starts while installing, when none exists already.
# Peers that still cannot be installed are reported by the bench itself.
set -u
PKGS="s6 execline runit supervisor tini dumb-init catatonit strace linux-perf"
missing=$("$(dirname "$0")/../scripts/missing-packages.sh" $PKGS)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "bench/setup: missing:$missing (run as root to install them)" >&2
	exit 0
fi
echo "bench/setup: installing$missing" >&2
POLICY=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$POLICY" ]; then
	printf '#!/bin/sh\n# temporary, from otpd bench/setup.sh: start no services\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
	ours=1
	trap 'rm -f "$POLICY"' EXIT INT TERM
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# --no-install-recommends: runit recommends runit-init, which would replace /sbin/init.
for p in $missing; do
	apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "$p" >/dev/null ||
		echo "bench/setup: cannot install $p" >&2
done
[ -n "$ours" ] && rm -f "$POLICY"
exit 0
