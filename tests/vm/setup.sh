#!/bin/sh
# Installs what `make check-vm` needs: qemu (TCG is enough), a static
# busybox for the guest's userland, cpio and gzip for the initramfs,
# Debian's kernel, downloaded as a .deb and extracted, never installed,
# and for the cases whose PID 1 is systemd (tests/vm/cases/*/systemd) a
# Debian root file system with systemd, built by mmdebstrap and packed as
# a zstd initramfs (tests/vm/systemd/rootfs.sh), plus dpkg-dev for the
# .deb those cases install (make deb).
#
# The kernel lands in $OTPD_VM_CACHE (default /var/cache/otpd-vm), outside
# the build tree: `make clean` must not cost a 70 MB download, and every
# checkout on the machine shares the one copy.  Layout:
#
#   $OTPD_VM_CACHE/<KVER>/vmlinux   uncompressed ELF: PVH direct boot under
#                                   TCG skips SeaBIOS and the decompressor
#   $OTPD_VM_CACHE/<KVER>/config    the kernel's build config
#   $OTPD_VM_CACHE/current          symlink to <KVER>
#   $OTPD_VM_CACHE/systemd-rootfs-<HASH>/rootfs.cpio.zst
#                                   <HASH>: of the recipe (rootfs.sh --hash);
#                                   a changed recipe builds a new one and the
#                                   old one is removed
#
# Idempotent: when everything is present it touches neither apt nor the
# network.  KVER is what linux-image-amd64 depends on now; an older cached
# kernel is replaced when that moves.
set -eu
CACHE=${OTPD_VM_CACHE:-/var/cache/otpd-vm}
PKGS="qemu-system-x86 busybox-static cpio gzip xz-utils coreutils mmdebstrap zstd dpkg-dev"
HERE=$(cd "$(dirname "$0")" && pwd)
APT="-o DPkg::Lock::Timeout=300"
updated=""

say() { echo "vm-setup: $*" >&2; }

apt_update() {
	[ -n "$updated" ] && return 0
	apt-get update -qq $APT
	updated=1
}

need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	say "$1 (run as root)"
	exit 1
}

install_packages() {
	missing=$("$HERE/../../scripts/missing-packages.sh" $PKGS)
	[ -z "$missing" ] && return 0
	need_root "missing packages:$missing"
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt_update
	apt-get install -y -qq --no-install-recommends $APT $missing >/dev/null
}

# The version linux-image-amd64 points at, e.g. 6.1.0-56-amd64.
kernel_version() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-/ { sub("linux-image-", "", $2); print $2; exit }'
}

# vmlinuz is a bzImage whose payload is an xz stream; the ELF inside is
# what PVH boots.  xz exits 1 on the bzImage's trailing data: the output is
# still whole, so the ELF magic is what decides.
extract_vmlinux() {
	off=$(LC_ALL=C grep -abo "$(printf '\3757zXZ')" "$1" | head -1 | cut -d: -f1)
	[ -n "$off" ] || { say "no xz payload in $1"; return 1; }
	tail -c +$((off + 1)) "$1" | xz -dc > "$2" 2>/dev/null || true
	[ "$(head -c 4 "$2" | od -An -c | tr -d ' ')" = '177ELF' ] ||
		{ say "$1: the xz payload is not an ELF kernel"; return 1; }
}

fetch_kernel() {
	kver=$1
	dir=$CACHE/$kver
	[ -s "$dir/vmlinux" ] && return 0
	tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	say "downloading linux-image-$kver (about 70 MB, extracted, not installed)"
	# apt's download sandbox user must be able to write there.
	chmod 0755 "$tmp"
	id _apt >/dev/null 2>&1 && chown _apt "$tmp" 2>/dev/null || true
	# Called under `if`, where set -e does not act: every step checks.
	(cd "$tmp" && apt-get download -qq $APT "linux-image-$kver" >/dev/null) || return 1
	dpkg-deb --fsys-tarfile "$tmp"/linux-image-"${kver}"_*.deb |
		tar -x -C "$tmp" "./boot/vmlinuz-$kver" "./boot/config-$kver" || return 1
	mkdir -p "$tmp/out" &&
		extract_vmlinux "$tmp/boot/vmlinuz-$kver" "$tmp/out/vmlinux" &&
		mv "$tmp/boot/config-$kver" "$tmp/out/config" || return 1
	rm -rf "$dir" && mv "$tmp/out" "$dir" || return 1
	rm -rf "$tmp"
	trap - EXIT
}

use_kernel() {
	ln -sfn "$1" "$CACHE/.current.new"
	mv -T "$CACHE/.current.new" "$CACHE/current"
	for d in "$CACHE"/*; do
		case $(basename "$d") in systemd-rootfs-*) continue ;; esac
		[ -d "$d" ] && [ ! -L "$d" ] && [ "$(basename "$d")" != "$1" ] && rm -rf "$d"
	done
	return 0
}

# The systemd cases' root file system, once per recipe (about 30 s).
systemd_rootfs() {
	dir=$CACHE/systemd-rootfs-$("$HERE/systemd/rootfs.sh" --hash)
	[ -s "$dir/rootfs.cpio.zst" ] && return 0
	need_root "no systemd root file system in $dir"
	mkdir -p "$CACHE"
	exec 8> "$CACHE/.rootfs.lock"
	flock 8
	[ -s "$dir/rootfs.cpio.zst" ] && return 0     # built while we waited
	say "building the systemd root file system (mmdebstrap, about 30 s)"
	mkdir -p "$dir"
	"$HERE/systemd/rootfs.sh" "$dir/rootfs.cpio.zst"
	for d in "$CACHE"/systemd-rootfs-*; do
		[ "$d" = "$dir" ] || rm -rf "$d"
	done
	say "systemd root file system ready in $dir"
}

install_packages
kver=$(kernel_version)
if [ -z "$kver" ]; then
	need_root "apt does not know linux-image-amd64 yet"
	apt_update
	kver=$(kernel_version)
fi
[ -n "$kver" ] || { say "apt-cache depends linux-image-amd64 names no kernel"; exit 1; }
if [ -s "$CACHE/$kver/vmlinux" ] && [ "$(readlink "$CACHE/current" 2>/dev/null)" = "$kver" ]; then
	systemd_rootfs
	exit 0
fi
mkdir -p "$CACHE"
# Two checkouts setting up at once share the cache: one fetches, one waits.
exec 9> "$CACHE/.lock"
flock 9
rm -rf "$CACHE"/.fetch.*        # left by a fetch that was killed
if ! fetch_kernel "$kver"; then
	# A stale list names a .deb the mirror no longer has: refresh once.
	need_root "cannot download linux-image-$kver"
	apt_update
	kver=$(kernel_version)
	fetch_kernel "$kver"
fi
use_kernel "$kver"
say "kernel $kver ready in $CACHE/$kver"
systemd_rootfs
