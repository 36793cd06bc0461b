#!/bin/sh
# Installs what `make check-container` needs from Debian: podman with runc
# (naming runc satisfies podman's "crun | runc" and keeps crun out: crun
# refuses hybrid cgroup hosts), fuse-overlayfs and uidmap, tini (the
# reference the tier compares otpd with: its static /usr/bin/tini-static)
# and a static busybox for the image.  Idempotent: when everything is
# there it touches neither apt nor the network.  Never writes /etc/containers:
# the tier brings its own containers.conf (tests/container/run.sh).
set -eu
PKGS="podman runc fuse-overlayfs uidmap tini busybox-static"
missing=$("$(dirname "$0")/../../scripts/missing-packages.sh" $PKGS)
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "container-setup: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "container-setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=300
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 $missing >/dev/null
