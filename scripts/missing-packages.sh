#!/bin/sh
# missing-packages.sh PKG...: prints " PKG" for each Debian package named
# that is not installed (nothing when all are), for the set-up scripts.
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		printf ' %s' "$p"
done
