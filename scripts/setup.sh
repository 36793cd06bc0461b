#!/bin/sh
# Installs every Debian package otpd's build, tests and demo need.
# Idempotent: when everything is present it does nothing (no apt-get at all).
set -eu
PKGS="gcc make pkg-config libc6-dev libsystemd-dev libseccomp-dev libinih-dev
      libcriterion-dev groff-base man-db util-linux procps iproute2 python3
      python3-prometheus-client erlang-nox zsh fish bash-completion
      clang libclang-rt-dev"        # clang's libFuzzer, ASan, UBSan: make fuzz, check-fuzz
missing=$("$(dirname "$0")/missing-packages.sh" $PKGS)
"$(dirname "$0")/../tests/vm/setup.sh"       # qemu, busybox and a kernel for make check-vm
"$(dirname "$0")/../tests/container/setup.sh"  # podman, runc, tini for make check-container
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 $missing >/dev/null
