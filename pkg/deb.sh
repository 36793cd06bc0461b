#!/bin/sh
# Builds otpd's Debian packages from a staged `make install` (make deb):
#
#   VERSION=0.1.0 OUT=build pkg/deb.sh DIR
#
# DIR/root holds the files as `make install DESTDIR=DIR/root PREFIX=/usr`
# left them.  They are split into two packages, in DIR/debian/<package>
# (the layout dpkg-shlibdeps expects):
#
#   otpd                otpd, otpctl, the unit, /etc/otp (conffile), man
#                       pages, the example worker and its configs
#   libotp-mailbox-dev  otp_mailbox.h, libotp_mailbox.a, otp_mailbox.pc
#                       (Debian policy 8.3: static libraries and headers
#                       go in a -dev package)
#
# and written to OUT/<package>_<VERSION>_<arch>.deb with dpkg-deb, as root
# owner and group whoever runs this (no fakeroot needed).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$1
OUT=${OUT:-build}
VERSION=${VERSION:?VERSION must be set}
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
MA=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

PKGV=$VERSION     # a native package: upstream is the packager
STAGE=$DIR/debian
umask 022

say() { echo "deb: $*" >&2; }

# move_out SRC_ROOT DEST_ROOT PATH...: move each PATH from one tree to the other.
move_out() {
	src=$1 dst=$2
	shift 2
	for p in "$@"; do
		mkdir -p "$dst/$(dirname "$p")"
		mv "$src/$p" "$dst/$p"
	done
}

# Debian's doc files: copyright and a compressed changelog.
docs() {
	d=$1/usr/share/doc/$2
	mkdir -p "$d"
	install -m 0644 "$HERE/debian/copyright" "$d/copyright"
	gzip -9n < "$HERE/debian/changelog" > "$d/changelog.gz"   # native: not .Debian
}

# As dh_strip: no debug sections, .comment or .note in what is shipped.
strip_bins() {
	for f in "$@"; do
		strip --remove-section=.comment --remove-section=.note "$f"
	done
}

# control PKG FILE: DEBIAN/control from a template, with the version, the
# installed size and ${shlibs:Depends}.
control() {
	pkg=$1 root=$STAGE/$1 depends=${3:-}
	size=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
	mkdir -p "$root/DEBIAN"
	sed -e "s|@VERSION@|$PKGV|g" -e "s|@ARCH@|$ARCH|g" -e "s|@SIZE@|$size|g" \
		-e "s|@DEPENDS@|$depends|g" "$2" > "$root/DEBIAN/control"
}

md5sums() {
	(cd "$STAGE/$1" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
		LC_ALL=C sort | xargs md5sum) > "$STAGE/$1/DEBIAN/md5sums"
	chmod 0644 "$STAGE/$1/DEBIAN/md5sums"
}

build_deb() {
	md5sums "$1"
	dpkg-deb --root-owner-group -Zxz --build "$STAGE/$1" \
		"$OUT/${1}_${PKGV}_$ARCH.deb" >/dev/null
	say "$OUT/${1}_${PKGV}_$ARCH.deb"
}

rm -rf "$STAGE"
mkdir -p "$STAGE/otpd" "$STAGE/libotp-mailbox-dev"
cp -a "$DIR/root/." "$STAGE/otpd/"
O=$STAGE/otpd
D=$STAGE/libotp-mailbox-dev

# --- libotp-mailbox-dev ------------------------------------------------------
move_out "$O" "$D" usr/include/otp_mailbox.h "usr/lib/$MA/libotp_mailbox.a" \
	"usr/lib/$MA/pkgconfig/otp_mailbox.pc"
rmdir "$O/usr/include" "$O/usr/lib/$MA/pkgconfig" "$O/usr/lib/$MA" "$O/usr/lib"
strip --strip-debug --remove-section=.comment --remove-section=.note \
	--enable-deterministic-archives "$D/usr/lib/$MA/libotp_mailbox.a"
docs "$D" libotp-mailbox-dev

# --- otpd --------------------------------------------------------------------
strip_bins "$O/usr/sbin/otpd" "$O/usr/bin/otpctl" "$O/usr/libexec/otpd/counter"
find "$O/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
docs "$O" otpd
ex=$O/usr/share/doc/otpd/examples
mkdir -p "$ex"
install -m 0644 "$HERE/../etc/examples/counter.c" "$HERE/../etc/examples/hardened.conf" "$ex/"
# The example's exec points at where this package puts the worker.
sed 's|/usr/local/libexec/otpd/counter|/usr/libexec/otpd/counter|g' \
	"$HERE/../etc/examples/counter.conf" > "$ex/counter.conf"
install -m 0644 "$HERE/../README.md" "$O/usr/share/doc/otpd/README.md"
gzip -9n "$O/usr/share/doc/otpd/README.md"

# --- control files -----------------------------------------------------------
# dpkg-shlibdeps wants a debian/control naming the packages, run from DIR.
printf 'Source: otpd\n\nPackage: otpd\nArchitecture: any\n' > "$STAGE/control"
deps=$(cd "$DIR" && dpkg-shlibdeps -O -e debian/otpd/usr/sbin/otpd \
	-e debian/otpd/usr/bin/otpctl -e debian/otpd/usr/libexec/otpd/counter 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$deps" ] || { say "dpkg-shlibdeps found no dependencies (is dpkg-dev installed?)"; exit 1; }
# otpd dlopen()s libseccomp when a sandbox first needs it (util/libseccomp.c):
# dpkg-shlibdeps cannot see that, so it is named here.
deps="$deps, libseccomp2 (>= 2.5)"
control otpd "$HERE/debian/otpd.control" "$deps"
printf '/etc/otp/otp.conf\n' > "$O/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "$HERE/debian/otpd.$s" "$O/DEBIAN/$s"
done
control libotp-mailbox-dev "$HERE/debian/libotp-mailbox-dev.control"

chmod -R u+w,go-w "$STAGE/otpd" "$STAGE/libotp-mailbox-dev"
mkdir -p "$OUT"
rm -f "$OUT"/otpd_*.deb "$OUT"/libotp-mailbox-dev_*.deb
build_deb otpd
build_deb libotp-mailbox-dev
