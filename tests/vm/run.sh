#!/bin/bash
# Boots one VM per case of tests/vm/cases/ with otpd as PID 1 and prints
# "vm: N passed, N failed, N skipped" (and how many pending).
#
#   tests/vm/run.sh [CASE...]        (make check-vm runs every case)
#
# A case directory holds otp.conf (installed as /etc/otp/otp.conf, where
# otpd looks by default) and whatever its checker needs; the whole
# directory is /case in the guest, with /case/name = the case's name.
# Optional files:
#   exit      otpd's expected exit status (default 0)
#   timeout   seconds before the VM counts as hung (default 90)
#   expect    a line otpd must print, for a case without a checker
#   pending   the case tests something not built yet: a failure counts as
#             pending, not failed (delete the file when the feature lands)
#   systemd   PID 1 is Debian's systemd, not otpd (see below)
#
# A case passes when the serial log has otpd's last words
# "otpd: info: exit status N, powering off" with the expected N, at least
# one "RESULT ... PASS" line (or, for a case without a checker, the line in
# its `expect` file) and no "RESULT ... FAIL", no kernel panic, and
# qemu exited 0 (the guest powered off).  A panic also ends qemu with 0
# (panic=-1 -no-reboot), which is why otpd's line is required; a hang is
# ended by timeout.
#
# A case with a `systemd` file boots the root file system that
# tests/vm/setup.sh builds (tests/vm/systemd/rootfs.sh: Debian with systemd,
# cached by its recipe's hash) with the case appended: /case (its otp.conf
# stays there, nothing is installed), /case/debs/ (the packages of `make
# deb`), /vm/lib.sh, /vm/run-case.sh and /helpers.  The image's
# vm-case.service runs the checker and powers off; the case passes with
# "vm: case NAME finished, status N" (N from `exit`, default 0) in place
# of otpd's last words, and the rest as above.
#
# Environment: BUILD (default ./build), OTPD_VM_CACHE (where
# tests/vm/setup.sh put the kernel), OTPD_VM_KERNEL (a vmlinux to boot
# instead), OTPD_VM_ACCEL (tcg|kvm; default kvm only where it works),
# VM_JOBS (VMs at once, default and at most 2), VM_CASES (another
# directory of cases, for trying cases out).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
CASEDIR=${VM_CASES:-$HERE/cases}
CACHE=${OTPD_VM_CACHE:-/var/cache/otpd-vm}
KERNEL=${OTPD_VM_KERNEL:-$CACHE/current/vmlinux}
JOBS=${VM_JOBS:-2}
[ "$JOBS" -ge 1 ] && [ "$JOBS" -le 2 ] || JOBS=2
W=$BUILD/vm
QEMU=qemu-system-x86_64
BUSYBOX=/bin/busybox
SD_ROOTFS=$CACHE/systemd-rootfs-$("$HERE/systemd/rootfs.sh" --hash)/rootfs.cpio.zst

# --- prerequisites -----------------------------------------------------------
not_set_up() {
	echo "vm: not set up: $1; run tests/vm/setup.sh (scripts/setup.sh does)" >&2
	exit 1
}
command -v $QEMU >/dev/null || not_set_up "$QEMU missing"
command -v cpio >/dev/null || not_set_up "cpio missing"
[ -s "$KERNEL" ] || not_set_up "no kernel at $KERNEL"
# The guest has no libc of its own: busybox must be the static one.
$BUSYBOX --list >/dev/null 2>&1 && ! ldd $BUSYBOX >/dev/null 2>&1 ||
	not_set_up "no static busybox at $BUSYBOX (package busybox-static)"
for f in otpd otpctl; do
	[ -x "$BUILD/$f" ] || { echo "vm: $BUILD/$f missing: run make first" >&2; exit 1; }
done
if ! out=$($QEMU -version 2>&1); then
	echo "vm: $QEMU cannot run here: $out" >&2
	exit 77
fi

# KVM only where it truly works: a PVM /dev/kvm (kvm_pvm, no VMX/SVM)
# accepts KVM_CREATE_VM and then hangs any stock kernel.
# With KVM, qemu falls back to TCG by itself when KVM cannot start (-cpu
# max suits both).
accel() {
	case ${OTPD_VM_ACCEL:-} in
	tcg) echo "-accel tcg"; return ;;
	kvm) echo "-accel kvm -accel tcg -cpu max"; return ;;
	esac
	if [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then
		echo "-accel kvm -accel tcg -cpu max"
	else
		echo "-accel tcg"
	fi
}
ACCEL=$(accel)

# --- initramfs ---------------------------------------------------------------
# Copies a binary and every library ldd names (the loader included) into
# the tree at the same paths.
copy_with_libs() {
	local bin=$1 dest=$2 lib
	install -D -m 0755 "$bin" "$W/base$dest"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$W/base$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$W/base$lib"
	done
}

# cpio_gz DIR OUT: DIR as a newc archive, every file owned by root.
cpio_gz() {
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$2"
}

# The part every case shares: otpd as /init, otpctl, helpers, busybox.
build_base() {
	local h bb lib
	rm -rf "$W/base"
	mkdir -p "$W/base"/{bin,sbin,etc/otp,proc,sys,dev,run,tmp,root,case,vm,helpers}
	chmod 1777 "$W/base/tmp"
	copy_with_libs "$BUILD/otpd" /init
	# ... and what it dlopen()s when a sandbox needs it (util/libseccomp.c).
	lib=$(ldconfig -p | sed -n 's|.*libseccomp\.so\.2 (libc6,x86-64) => ||p' | head -1)
	[ -n "$lib" ] || { echo "vm: libseccomp.so.2 not found (libseccomp2)" >&2; exit 1; }
	install -D -m 0755 "$(readlink -f "$lib")" "$W/base$lib"
	copy_with_libs "$BUILD/otpctl" /bin/otpctl
	for h in "$BUILD"/helpers/*; do
		copy_with_libs "$h" "/helpers/$(basename "$h")"
	done
	# --install links the applets to busybox's own path (/usr/bin/busybox
	# with a merged /usr): the binary goes to that same path in the guest.
	bb=$(readlink -f $BUSYBOX)
	install -D -m 0755 "$bb" "$W/base$bb"
	[ -e "$W/base/bin/busybox" ] || ln -s "$bb" "$W/base/bin/busybox"
	$BUSYBOX --install -s "$W/base/bin"
	install -m 0644 "$HERE/lib.sh" "$W/base/vm/lib.sh"
	printf 'root:x:0:0:root:/root:/bin/sh\n' > "$W/base/etc/passwd"
	printf 'root:x:0:\n' > "$W/base/etc/group"
	cpio_gz "$W/base" "$W/base.cpio.gz"
}

is_systemd() { [ -f "$CASEDIR/$1/systemd" ]; }

# A systemd case: its part goes after the Debian root file system; its
# binaries use the image's libraries (the same Debian release as here).
build_systemd_initrd() {
	local name=$1 d=$W/cases/$1 deb
	rm -rf "$d/root" "$d/initrd.gz"
	[ -s "$SD_ROOTFS" ] || { echo "no systemd root file system at $SD_ROOTFS: run tests/vm/setup.sh" > "$d/error"; return 1; }
	mkdir -p "$d/root/case/debs" "$d/root/vm" "$d/root/helpers"
	for deb in "$BUILD"/otpd_*.deb "$BUILD"/libotp-mailbox-dev_*.deb; do
		[ -f "$deb" ] || { echo "no $(basename "$deb") in $BUILD: run make deb" > "$d/error"; return 1; }
		cp "$deb" "$d/root/case/debs/"
	done
	cp -a "$CASEDIR/$name/." "$d/root/case/"
	echo "$name" > "$d/root/case/name"
	cp "$HERE/lib.sh" "$HERE/systemd/run-case.sh" "$d/root/vm/"
	cp "$BUILD"/helpers/* "$d/root/helpers/"
	cpio_gz "$d/root" "$d/case.cpio.gz"
	cat "$SD_ROOTFS" "$d/case.cpio.gz" > "$d/initrd.gz"
}

# The case's own part, appended to the base: the kernel unpacks
# concatenated archives in order.
build_case_initrd() {
	local name=$1 d=$W/cases/$1
	rm -f "$d/error"
	is_systemd "$name" && { build_systemd_initrd "$name"; return; }
	rm -rf "$d/root"
	mkdir -p "$d/root/etc/otp" "$d/root/case"
	cp -a "$CASEDIR/$name/." "$d/root/case/"
	echo "$name" > "$d/root/case/name"
	cp "$CASEDIR/$name/otp.conf" "$d/root/etc/otp/otp.conf"
	cpio_gz "$d/root" "$d/case.cpio.gz"
	cat "$W/base.cpio.gz" "$d/case.cpio.gz" > "$d/initrd.gz"
}

# --- one VM ------------------------------------------------------------------
# boot NAME: runs the case's VM to its end; writes d/rc and d/secs.
boot() {
	local name=$1 d=$W/cases/$1 limit=90 t0 rc mem=256 smp=1
	[ -f "$CASEDIR/$name/timeout" ] && limit=$(cat "$CASEDIR/$name/timeout")
	# systemd's image unpacks to ~150 MB of the guest's memory.
	is_systemd "$name" && mem=1024 smp=2
	t0=$(date +%s%N)
	if [ -f "$d/error" ]; then      # the initramfs could not be built
		: > "$d/console.log"; echo 0 > "$d/ms"; echo 1 > "$d/rc"
		return
	fi
	# loglevel=3 keeps kernel errors (OOM kills, panics) and drops the chatter.
	timeout -s KILL "$limit" $QEMU $ACCEL -m $mem -smp $smp -nodefaults -no-user-config \
		-display none -no-reboot -serial "file:$d/console.log" -pidfile "$d/qemu.pid" \
		-kernel "$KERNEL" -initrd "$d/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3" \
		> "$d/qemu.out" 2>&1 < /dev/null &
	echo $! > "$d/timeout.pid"
	wait $!
	rc=$?
	echo $((($(date +%s%N) - t0) / 1000000)) > "$d/ms"
	rm -f "$d/qemu.pid" "$d/timeout.pid"
	echo $rc > "$d/rc"              # last: it says the boot is over
}

# verdict NAME: prints "PASS" or the reason the case failed.
verdict() {
	local name=$1 d=$W/cases/$1 rc want=0 got log=$W/cases/$1/console.log
	rc=$(cat "$d/rc")
	[ -f "$CASEDIR/$name/exit" ] && want=$(tr -d ' \n' < "$CASEDIR/$name/exit")
	# The last words: otpd's as PID 1, run-case.sh's under systemd.
	if is_systemd "$name"; then
		got=$(grep -a -o "vm: case $name finished, status [0-9]*" "$log" | tail -1 |
			grep -o '[0-9]\+$')
	else
		got=$(grep -a -o 'otpd: info: exit status [0-9]*, powering off' "$log" | tail -1 |
			grep -o '[0-9]\+')
	fi
	if [ -f "$d/error" ]; then
		cat "$d/error"
	elif [ "$rc" -eq 137 ]; then
		echo "hung: killed after $(cat "$d/ms") ms"
	elif [ "$rc" -ne 0 ]; then
		echo "qemu exited $rc: $(tail -3 "$d/qemu.out" | tr '\n' ' ')"
	elif grep -a -q 'Kernel panic' "$log"; then
		echo "kernel panic: $(grep -a -o 'Kernel panic.*' "$log" | head -1 | tr -d '\r')"
	elif [ -z "$got" ]; then
		is_systemd "$name" && echo "no end of the case on the console" ||
			echo "no exit status from otpd on the console"
	elif [ "$got" != "$want" ]; then
		echo "otpd exit status $got, expected $want"
	elif grep -a -q 'RESULT [^ ]* FAIL' "$log"; then
		echo "$(grep -a -c 'RESULT [^ ]* FAIL' "$log") check(s) failed"
	elif [ -f "$CASEDIR/$name/expect" ]; then
		# a case without a checker: a line otpd must have said instead
		grep -a -q -F -f "$CASEDIR/$name/expect" "$log" && echo PASS ||
			echo "no line with: $(cat "$CASEDIR/$name/expect")"
	elif ! grep -a -q 'RESULT [^ ]* PASS' "$log"; then
		echo "no RESULT PASS line"
	else
		echo PASS
	fi
}

# --- main --------------------------------------------------------------------
declare -A PIDS=()
# Interrupted: TERM to each timeout (it passes TERM on to its qemu), KILL
# to each qemu that wrote its pid, and the boot job itself.  By pid only.
stop_all() {
	local n p
	for n in "${!PIDS[@]}"; do
		p=$(cat "$W/cases/$n/timeout.pid" 2>/dev/null)
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null
		p=$(cat "$W/cases/$n/qemu.pid" 2>/dev/null)
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
		kill -KILL "${PIDS[$n]}" 2>/dev/null
	done
	wait 2>/dev/null
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

if [ $# -gt 0 ]; then
	CASES=("$@")
else
	# The long systemd cases first: the short ones share the other slot.
	CASES=()
	for c in "$CASEDIR"/*/; do
		[ -f "$c/otp.conf" ] && [ -f "$c/systemd" ] && CASES+=("$(basename "$c")")
	done
	for c in "$CASEDIR"/*/; do
		[ -f "$c/otp.conf" ] && [ ! -f "$c/systemd" ] && CASES+=("$(basename "$c")")
	done
fi
for n in "${CASES[@]}"; do
	[ -f "$CASEDIR/$n/otp.conf" ] || { echo "vm: no case $n" >&2; exit 2; }
done

echo "vm: kernel $(basename "$(dirname "$(readlink -f "$KERNEL")")"), $ACCEL, $JOBS at once"
mkdir -p "$W"
build_base
passed=0 failed=0 skipped=0 pending=0

report() {
	local n=$1 v ms
	v=$(verdict "$n")
	ms=$(cat "$W/cases/$n/ms")
	if [ "$v" = PASS ]; then
		passed=$((passed + 1))
		echo "PASS $n ($((ms / 1000)).$((ms % 1000 / 100)) s)"
		[ -f "$CASEDIR/$n/pending" ] &&
			echo "    $n passes now: delete tests/vm/cases/$n/pending"
	elif [ -f "$CASEDIR/$n/pending" ]; then
		pending=$((pending + 1))
		echo "PENDING $n: $v"
		grep -a 'RESULT [^ ]* FAIL\|otpd: error' "$W/cases/$n/console.log" |
			tr -d '\r' | sed 's/^/    /'
	else
		failed=$((failed + 1))
		echo "FAIL $n: $v"
		echo "    --- serial log ($W/cases/$n/console.log)"
		tr -d '\r' < "$W/cases/$n/console.log" | tail -200 | sed 's/^/    /'
	fi
}

# A boot is over when it has written its rc (kill -0 would still see an
# unwaited job).
reap_finished() {
	local m
	for m in "${!PIDS[@]}"; do
		[ -f "$W/cases/$m/rc" ] || continue
		wait "${PIDS[$m]}" 2>/dev/null
		unset "PIDS[$m]"
		report "$m"
	done
}

# Two VMs at a time; each finished one is reported as it ends.
for n in "${CASES[@]}"; do
	while [ ${#PIDS[@]} -ge "$JOBS" ]; do
		wait -n 2>/dev/null
		reap_finished
	done
	mkdir -p "$W/cases/$n"
	rm -f "$W/cases/$n"/{console.log,rc,ms,qemu.pid,timeout.pid}
	build_case_initrd "$n"
	boot "$n" 2>/dev/null &       # not bash's "Killed" note on a timeout
	PIDS[$n]=$!
done
while [ ${#PIDS[@]} -gt 0 ]; do
	wait -n 2>/dev/null
	reap_finished
done
trap - EXIT
summary="vm: $passed passed, $failed failed, $skipped skipped"
[ $pending -gt 0 ] && summary="$summary, $pending pending"
echo "$summary"
[ $failed -eq 0 ]
