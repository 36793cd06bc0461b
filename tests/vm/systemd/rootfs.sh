#!/bin/sh
# Builds the systemd tier's root file system: Debian's systemd as PID 1,
# packed as a zstd initramfs (the kernel has virtio_blk and ext4 only as
# modules, which the VM does not load: the initramfs is the root).
#
#   tests/vm/systemd/rootfs.sh OUT.cpio.zst
#   tests/vm/systemd/rootfs.sh --hash      the recipe's hash (names the cache)
#
# tests/vm/setup.sh runs it once into $OTPD_VM_CACHE/systemd-rootfs-<hash>/,
# <hash> being that of this file and vm-case.service: a change to either
# builds a new one.  Run as root (mmdebstrap's root mode, files keep their
# owners in the archive).  About 30 s and 90 MB of downloads.
#
# The image is a minbase Debian with systemd, dbus and what otpd's package
# depends on that systemd does not already pull in (libinih1), so that
# `dpkg -i otpd_*.deb` works offline in the guest.  Units that only cost
# boot time in a VM with no disk, network or login are masked.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" = --hash ]; then
	cat "$HERE/rootfs.sh" "$HERE/vm-case.service" | sha256sum | cut -c1-12
	exit 0
fi
OUT=$1
SUITE=${OTPD_VM_SUITE:-bookworm}
PKGS=systemd,systemd-sysv,dbus,libinih1,libseccomp2,libsystemd0
MASK="getty.target serial-getty@ttyS0.service getty@tty1.service console-getty.service
	systemd-logind.service systemd-networkd.service systemd-resolved.service
	systemd-timesyncd.service systemd-pstore.service systemd-firstboot.service
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer
	e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer
	systemd-journal-flush.service systemd-remount-fs.service
	proc-sys-fs-binfmt_misc.automount"

root=$(mktemp -d "${TMPDIR:-/var/tmp}/otpd-vm-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
rmdir "$root"
# Docs, man pages and locales are dropped at unpack time; the dpkg
# database stays (the case installs otpd's .deb).
mmdebstrap --quiet --variant=minbase --include="$PKGS" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	"$SUITE" "$root"

# A fixed machine id (no first-boot setup), systemd as /init, the probe.
echo 0123456789abcdef0123456789abcdef > "$root/etc/machine-id"
echo otpd-vm > "$root/etc/hostname"
ln -sf /lib/systemd/systemd "$root/init"
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"
for u in $MASK; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
install -m 0644 "$HERE/vm-case.service" "$root/etc/systemd/system/vm-case.service"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/vm-case.service \
	"$root/etc/systemd/system/multi-user.target.wants/vm-case.service"
# The journal in memory only, and never on the console twice.
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\nForwardToConsole=no\n' \
	> "$root/etc/systemd/journald.conf.d/vm.conf"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

mkdir -p "$(dirname "$OUT")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q -3 -T0) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
