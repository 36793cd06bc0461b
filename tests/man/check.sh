#!/usr/bin/env bash
# tests/man/check.sh: render every man page and fail on any warning.
#
#   tests/man/check.sh             check man/*.[1-8] of this repository
#   tests/man/check.sh FILE...     check these files instead
#
# A page passes when it renders with all groff warnings enabled and nothing
# at all is printed on stderr, when no macro call leaked into the rendered
# text (a request glued to the end of a line, "exit 0..SH", draws no groff
# warning), and when its source has the sections NAME, SYNOPSIS and
# DESCRIPTION.  Prints "ok PAGE" or "FAIL PAGE", one line per
# page, then "N passed, N failed" on stdout; the reasons of a failure go to
# stderr.  Exits 1 if any page failed, 2 if there is no page or no renderer.
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if (($# > 0)); then
	pages=("$@")
else
	shopt -s nullglob
	pages=("$repo"/man/*.[1-8])
	shopt -u nullglob
fi
if ((${#pages[@]} == 0)); then
	echo "check.sh: no man pages found" >&2
	exit 2
fi

# man(1) runs the page through the same pipeline a user sees; groff alone is
# the fallback where man-db is not installed.
if command -v man >/dev/null 2>&1; then
	renderer="man"
	render() { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$1"; }
elif command -v groff >/dev/null 2>&1; then
	renderer="groff"
	# Plain text (no bold or underline codes), so that it can be searched.
	render() { LC_ALL=C.UTF-8 groff -man -ww -Tutf8 -P-cbou "$1"; }
else
	echo "check.sh: neither man nor groff is installed" >&2
	exit 2
fi

# A man(7) macro or common request name right after a dot, in running text.
leak_re='(^|[^[:alnum:]])\.(SH|SS|TP|TQ|PP|LP|IP|HP|RS|RE|EX|EE|B|I|BR|BI|IB|IR|RB|RI|SM|SB|br|sp|nf|fi|in|ti)([[:space:]]|$)'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/otpd-man.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# Print the reasons `page` fails, nothing when it passes.
page_problems() {
	local page=$1 sec rc
	if [[ ! -f $page || ! -r $page ]]; then
		echo "cannot read $page"
		return
	fi
	render "$page" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if ((rc != 0)); then
		echo "$renderer exited with status $rc"
	fi
	if [[ -s $tmp/err ]]; then
		echo "$renderer printed on stderr:"
		sed 's/^/  /' "$tmp/err"
	fi
	if [[ ! -s $tmp/out ]]; then
		echo "rendered page is empty"
	fi
	if grep -nE "$leak_re" "$tmp/out" >"$tmp/leak"; then
		echo "macro calls leaked into the text:"
		sed 's/^/  /' "$tmp/leak"
	fi
	for sec in NAME SYNOPSIS DESCRIPTION; do
		if ! grep -Eq "^\.SH[[:space:]]+\"?$sec\"?[[:space:]]*$" "$page"; then
			echo "missing section $sec"
		fi
	done
}

passed=0
failed=0
for page in "${pages[@]}"; do
	name=${page#"$repo"/}
	problems=$(page_problems "$page")
	if [[ -z $problems ]]; then
		echo "ok $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		printf '%s\n' "$problems" | sed "s|^|$name: |" >&2
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
((failed == 0))
