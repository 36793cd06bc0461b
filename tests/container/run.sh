#!/bin/bash
# tests/container/run.sh: otpd as the PID 1 of real containers (podman +
# runc), side by side with tini where tini has the feature.  make
# check-container runs it; it prints "ok"/"FAIL"/"PEND" lines, a table,
# and exits 0, 1, or 77 when no container engine can be installed.
#
# The image is made here from the build tree, never pulled: a static
# busybox, build/static/otpd and otpctl (make static), the helpers sigrec
# and orphans linked statically, Debian's /usr/bin/tini-static, and the
# tree of etc/examples/container/otp.conf as /etc/otp/otp.conf.  podman
# runs with a private containers.conf (runc, no network namespace set-up,
# ulimits this host can grant, cgroupfs, events to a file: TESTBEDS.md §2),
# so /etc/containers is never read or written.
#
# Everything it makes is named otpd-ct-<pid>-*: containers, the image, the
# secret, the pod; all are removed at exit, also on failure, with the empty
# libpod_parent cgroups podman leaves behind.
#
# PENDING lists checks that wait for work of other branches: they print
# PEND instead of FAIL until they pass (then the list must lose them).
#   (none now)
PENDING=""
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
S=$BUILD/static
ID=otpd-ct-$$
IMG=localhost/$ID:test
FAILS=0

skip() { echo "container: skipped: $*" >&2; exit 77; }
die() { echo "container: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root (podman with runc, secrets, --privileged)"
if ! "$HERE/setup.sh"; then
	command -v podman >/dev/null || skip "no container engine, and it cannot be installed here"
fi
for c in podman runc; do command -v $c >/dev/null || die "$c missing after tests/container/setup.sh"; done
for f in "$S/otpd" "$S/otpctl"; do [ -x "$f" ] || die "$f missing: make static"; done
BB=$(readlink -f /bin/busybox)
[ -x "$BB" ] && ! ldd "$BB" >/dev/null 2>&1 || die "no static busybox at /bin/busybox (busybox-static)"
TINI=/usr/bin/tini-static
[ -x "$TINI" ] || die "no $TINI (package tini)"

W=$(mktemp -d "/tmp/$ID.XXXXXX")
cat > "$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF=$W/containers.conf

POD_ID=""          # kube play's pod: its cgroups are removed by hand
PAUSE_IMG=""       # the pause image kube play builds, when it was not there before
cleanup() {
	local c
	for c in $(podman pod ls --format '{{.Name}}' 2>/dev/null | grep "^$ID"); do
		podman pod rm -f -t 0 "$c" >/dev/null 2>&1
	done
	for c in $(podman ps -a --format '{{.Names}}' 2>/dev/null | grep "^$ID"); do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	podman secret rm "$ID-secret" >/dev/null 2>&1
	podman rmi -f "$IMG" $PAUSE_IMG >/dev/null 2>&1
	# a pod's cgroups (kube play), then podman's empty parents (TESTBEDS.md
	# §2); a busy one stays (rmdir fails)
	[ -n "$POD_ID" ] && for c in /sys/fs/cgroup/*/libpod_parent/$POD_ID; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for c in /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent; do
		[ -d "$c" ] && [ -z "$(cat "$c/cgroup.procs" 2>/dev/null)" ] && rmdir "$c" 2>/dev/null
	done
	rm -rf "$W"
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
# check NAME COND-RESULT(0/1) TEXT: pending names print PEND instead of FAIL
check() {
	local name=$1 ok=$2 text=$3
	case " $PENDING " in
	*" ${name%%:*} "*)
		[ "$ok" -eq 0 ] && echo "ok: $text (PENDING $name passes now: take it off the list)" ||
			echo "PEND: $text (waits for ${name%%:*})" ;;
	*)	[ "$ok" -eq 0 ] && pass "$text" || fail "$text" ;;
	esac
}
expect_eq() { [ "$2" = "$3" ] && pass "$1" || fail "$1: got '$2', want '$3'"; }
row() { printf '%-38s %-26s %s\n' "$1" "$2" "$3" >> "$W/table"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- the image -----------------------------------------------------------------
R=$W/root
mkdir -p "$R"/{bin,proc,sys,dev,tmp,run,etc/otp,ct,srv/www,var/tmp}
chmod 1777 "$R/tmp" "$R/var/tmp"
cp "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do [ "$a" = busybox ] || ln -s busybox "$R/bin/$a"; done
cp "$S/otpd" "$S/otpctl" "$R/"
ln -s /otpctl "$R/bin/otpctl"
cp "$TINI" "$R/tini"
for h in sigrec orphans; do
	cc -static -O2 -Wall -Werror -o "$R/$h" "$ROOT/tests/helpers/$h.c" || die "cannot link $h statically"
done
printf 'root:x:0:0:root:/:/bin/sh\napp:x:1000:1000:app:/tmp:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\napp:x:1000:\n' > "$R/etc/group"
cp "$ROOT/etc/examples/container/otp.conf" "$R/etc/otp/otp.conf"
echo 'hello from otpd' > "$R/srv/www/index.html"
ln -s /tmp/stats.txt "$R/srv/www/stats.txt"
# The trees of the checks below.
cat > "$R/ct/main.conf" <<'EOF'
[supervisor root]
auto_shutdown = any_significant
[worker prog]
exec = /bin/sh -c 'eval "$PROG"'
restart = temporary
significant = true
EOF
cat > "$R/ct/signals.conf" <<'EOF'
[supervisor root]
auto_shutdown = any_significant
[worker app]
exec = /sigrec /tmp/app
restart = transient
significant = true
[worker side]
exec = /sigrec /tmp/side
EOF
cat > "$R/ct/stubborn.conf" <<'EOF'
[worker stubborn]
exec = /bin/sh -c "trap '' TERM; while :; do sleep 1; done"
shutdown = 1s
EOF
cat > "$R/ct/run.conf" <<'EOF'
[supervisor root]
auto_shutdown = any_significant
[worker probe]
exec = /bin/sh -c 'cat /run/secrets/* /run/vol/file; test -e /run/.containerenv && echo containerenv'
restart = temporary
significant = true
EOF
cat > "$R/ct/streams.conf" <<'EOF'
[supervisor root]
auto_shutdown = any_significant
[worker talk]
exec = /bin/sh -c 'echo to-out; echo to-err >&2'
restart = temporary
significant = true
EOF
t0=$(ms)
tar -C "$R" -c . | podman import -q --change 'ENV PATH=/bin' --change 'CMD ["/otpd"]' \
	- "$IMG" >/dev/null || die "podman import failed"
pass "image $IMG built ($(( $(ms) - t0 )) ms)"
: > "$W/table"
row "check" "otpd" "tini"
row "-----" "----" "----"

# wait_exec C CMD...: until `podman exec C CMD` succeeds, at most 10 s
wait_exec() {
	local c=$1 end=$(( $(ms) + 10000 )); shift
	until podman exec "$c" "$@" >/dev/null 2>&1; do
		[ "$(ms)" -lt $end ] || return 1
		[ "$(podman inspect -f '{{.State.Running}}' "$c" 2>/dev/null)" = true ] || return 1
		sleep 0.05
	done
}
# wait_log C PATTERN: until podman logs C (both streams) has PATTERN, at most 10 s
wait_log() {
	local end=$(( $(ms) + 10000 ))
	until podman logs "$1" 2>&1 | grep -q "$2"; do
		[ "$(ms)" -lt $end ] || return 1
		sleep 0.05
	done
}
exit_code() { podman wait "$1" 2>/dev/null || podman inspect -f '{{.State.ExitCode}}' "$1"; }

# --- 1. exit statuses of the main program -------------------------------------
# matrix RUNNER...: the statuses of exit 0, 3, 42, SIGKILL, SIGSEGV
matrix() {
	local out="" p
	for p in 'exit 0' 'exit 3' 'exit 42' 'kill -KILL $$' 'kill -SEGV $$'; do
		podman run --rm -e PROG="$p" "$IMG" "$@" >/dev/null 2>&1
		out="$out${out:+/}$?"
	done
	echo "$out"
}
want=0/3/42/137/139
o=$(matrix /otpd -- /bin/sh -c 'eval "$PROG"')
t=$(matrix /tini -- /bin/sh -c 'eval "$PROG"')
c=$(matrix /otpd -c /ct/main.conf)
expect_eq "otpd -- CMD: exit statuses" "$o" $want
expect_eq "tini -- CMD: exit statuses" "$t" $want
expect_eq "otpd, a significant worker: exit statuses" "$c" $want
row "exit 0/3/42/KILL/SEGV (-- CMD)" "$o" "$t"
row "same, significant worker of a tree" "$c" "-"
podman run --rm "$IMG" /otpd -- /no/such/program >/dev/null 2>&1; o=$?
podman run --rm "$IMG" /tini -- /no/such/program >/dev/null 2>&1; t=$?
expect_eq "otpd -- missing program" "$o" 127
row "missing program" "$o" "$t"

# --- 2. podman stop --------------------------------------------------------------
# stop_run NAME STOP_T RUN-ARGS...: run detached, wait for WAIT_CMD, podman stop;
# prints "STATUS MS"
stop_run() {
	local c=$ID-$1 t=$2 t0; shift 2
	podman run -d --name "$c" "$@" >/dev/null || { echo "run-failed -"; return; }
	wait_exec "$c" $WAIT_CMD || { echo "not-up -"; return; }
	t0=$(ms)
	podman stop -t "$t" "$c" >/dev/null 2>&1
	echo "$(exit_code "$c") $(( $(ms) - t0 ))"
}
WAIT_CMD="otpctl status web"
read -r st ms_ <<< "$(stop_run ex 10 "$IMG")"
# (status 0: otpd stopped the tree itself; podman's SIGKILL would be 137;
# times go to the table, not into assertions)
expect_eq "podman stop of the example tree: exit 0 ($ms_ ms)" "$st" 0
row "podman stop, example tree" "$st in $ms_ ms" "-"
WAIT_CMD="pidof sleep"
read -r o om <<< "$(stop_run stop-o 10 "$IMG" /otpd -- sleep 1000)"
read -r t tm <<< "$(stop_run stop-t 10 "$IMG" /tini -- sleep 1000)"
expect_eq "podman stop, otpd -- sleep: TERM passed on" "$o" 143
row "podman stop, -- sleep" "$o in $om ms" "$t in $tm ms"
stubborn="trap '' TERM; while :; do sleep 1; done"
read -r c cm <<< "$(stop_run stop-c 3 "$IMG" /otpd -c /ct/stubborn.conf)"
read -r o om <<< "$(stop_run stop-so 3 "$IMG" /otpd -- /bin/sh -c "$stubborn")"
read -r t tm <<< "$(stop_run stop-st 3 "$IMG" /tini -- /bin/sh -c "$stubborn")"
expect_eq "podman stop -t 3, a worker ignoring TERM (shutdown = 1s): otpd kills it, exits 0 ($cm ms)" "$c" 0
expect_eq "podman stop -t 3, otpd -- a program ignoring TERM: 137 (as tini)" "$o" 137
row "stop -t 3, TERM ignored: tree" "$c in $cm ms" "-"
row "stop -t 3, TERM ignored: -- CMD" "$o in $om ms" "$t in $tm ms"

# --- 3. orphans ----------------------------------------------------------------------
o=$(podman run --rm "$IMG" /otpd -- /orphans 2000 2>&1); orc=$?
t=$(podman run --rm "$IMG" /tini -- /orphans 2000 2>&1); trc=$?
echo "$o" | grep -q "^zombies 0 " && [ $orc -eq 0 ] && pass "2000 orphans reaped: $(grep ^zombies <<< "$o")" ||
	fail "orphans: $o (rc $orc)"
row "2000 double-forked orphans" "$(echo "$o" | grep -o 'zombies [0-9]*')" "$(echo "$t" | grep -o 'zombies [0-9]*')"

# --- 4. what is under /run stays visible ----------------------------------------
printf s3cret | podman secret create "$ID-secret" - >/dev/null || die "podman secret create"
mkdir -p "$W/vol"; echo vol-data > "$W/vol/file"
runprobe() { # ARGS...: the probe's output, as PID 1's tree sees /run
	podman run --rm --secret "$ID-secret" -v "$W/vol:/run/vol:ro" "$@" 2>&1
}
for caps in "--cap-add SYS_ADMIN" "--privileged" ""; do
	out=$(runprobe $caps "$IMG" /otpd -c /ct/run.conf)
	grep -q "s3cret" <<< "$out" && grep -q "vol-data" <<< "$out" && grep -q containerenv <<< "$out" &&
		pass "${caps:-default capabilities}: secret, -v volume and .containerenv under /run visible" ||
		fail "${caps:-default}: $out"
	grep -q "warning: mount" <<< "$out" && fail "${caps:-default}: a mount warning: $out" ||
		pass "${caps:-default capabilities}: no mount warning"
done
out=$(runprobe --privileged "$IMG" /tini -- /bin/sh -c 'cat /run/secrets/* /run/vol/file')
row "--privileged: /run/secrets, -v /run/x" "visible, no warning" \
	"$(grep -q vol-data <<< "$out" && echo visible || echo hidden)"

# --- 5. --user 1000, --read-only ------------------------------------------------------
podman run --rm --user 1000 "$IMG" /otpd -- /bin/sh -c 'test -S /tmp/otp-1000/otpd.sock && exit 5' \
	>/dev/null 2>&1; o=$?
podman run --rm --user 1000 "$IMG" /tini -- /bin/sh -c 'exit 5' >/dev/null 2>&1; t=$?
expect_eq "--user 1000: otpd -- CMD runs, sockets in /tmp/otp-1000" "$o" 5
row "--user 1000, -- CMD exits 5" "$o" "$t"
c=$ID-ro
podman run -d --name $c --user 1000 --read-only "$IMG" >/dev/null
if wait_exec $c otpctl status web; then
	pass "--user 1000 --read-only: podman exec otpctl status (run_dir /tmp/otp-1000)"
	podman exec $c wget -qO- http://127.0.0.1:8080/ | grep -q "hello from otpd" &&
		pass "... and web serves" || fail "web does not serve"
else
	fail "--user 1000 --read-only: $(podman logs $c 2>&1 | tail -5)"
fi
podman stop -t 10 $c >/dev/null; st=$(exit_code $c)
expect_eq "--user 1000 --read-only: podman stop, exit 0" "$st" 0
row "--user 1000 --read-only, example tree" "runs, stop -> $st" "-"

# --- 6. podman exec, and poweroff in a container --------------------------------------
c=$ID-boot
podman run -d --name $c --cap-add SYS_BOOT "$IMG" >/dev/null
wait_exec $c otpctl status web && pass "podman exec otpctl status" || fail "otpctl status: $(podman logs $c 2>&1 | tail -3)"
podman exec $c wget -qO- http://127.0.0.1:8080/stats.txt >/dev/null 2>&1 &&
	pass "side worker stats writes what web serves" || fail "no stats.txt"
podman exec $c otpctl poweroff >/dev/null || fail "otpctl poweroff refused"
st=$(exit_code $c)
expect_eq "otpctl poweroff with CAP_SYS_BOOT: a shutdown, exit 0 (no reboot(2))" "$st" 0
podman logs $c 2>&1 | grep -q "exit status 0 (poweroff asked for" && pass "the logged status is the container's" ||
	fail "log: $(podman logs $c 2>&1 | tail -3)"
row "otpctl poweroff (CAP_SYS_BOOT)" "exit $st" "-"

# --- 7. every signal of podman kill -s ----------------------------------------------
PASSED="QUIT USR1 USR2 ALRM WINCH PWR URG CONT TSTP XCPU XFSZ VTALRM PROF IO STKFLT RTMIN+1 RTMAX"
DROPPED="PIPE TTIN TTOU SYS"
# sigrun NAME FILE RUN-ARGS...: a detached container whose sigrec writes FILE
sigrun() {
	local c=$ID-$1 f=$2; shift 2
	podman run -d --name "$c" "$IMG" "$@" >/dev/null
	wait_exec "$c" grep -q ready "$f" || echo "$c: sigrec not ready" >&2
}
# sigsend NAME SIG...: podman kill -s each, in order
sigsend() { local c=$ID-$1 s; shift; for s in "$@"; do podman kill -s "$s" "$c" >/dev/null; done; }
# got NAME FILE SIG...: how many of SIG... FILE holds (waits for the last one)
got() {
	local c=$ID-$1 f=$2 n=0 s last; shift 2
	for last; do :; done
	wait_exec "$c" grep -qx "$last" "$f"
	for s in "$@"; do podman exec "$c" grep -qx "$s" "$f" 2>/dev/null && n=$((n + 1)); done
	echo $n
}
npassed=$(wc -w <<< "$PASSED")
sigrun sig-c /tmp/app /otpd -c /ct/signals.conf
sigrun sig-o /tmp/m /otpd -- /sigrec /tmp/m
sigrun sig-t /tmp/m /tini -- /sigrec /tmp/m
for n in sig-c sig-o sig-t; do sigsend $n $DROPPED $PASSED; done
c=$(got sig-c /tmp/app $PASSED); o=$(got sig-o /tmp/m $PASSED); t=$(got sig-t /tmp/m $PASSED)
expect_eq "tree: signals otpd does not act on reach the significant worker" "$c" $npassed
expect_eq "tree: ... and not the other worker" "$(podman exec $ID-sig-c grep -vc ready /tmp/side)" 0
expect_eq "otpd -- CMD: they reach CMD" "$o" $npassed
row "$npassed signals otpd does not act on" "tree: $c to app; --: $o" "$t"
dc=$(podman exec $ID-sig-c grep -cxE "$(tr ' ' '|' <<< "$DROPPED")" /tmp/app)
do_=$(podman exec $ID-sig-o grep -cxE "$(tr ' ' '|' <<< "$DROPPED")" /tmp/m)
dt=$(podman exec $ID-sig-t grep -cxE "$(tr ' ' '|' <<< "$DROPPED")" /tmp/m)
expect_eq "PIPE TTIN TTOU SYS are not passed on" "$dc/$do_" 0/0
row "PIPE TTIN TTOU SYS passed on" "$dc, --: $do_" "$dt"
sigsend sig-c HUP; sigsend sig-o HUP; sigsend sig-t HUP
wait_log $ID-sig-c "SIGHUP: reopening output files, reloading" && pass "tree: SIGHUP reloads, logged by name" ||
	fail "no reload logged: $(podman logs $ID-sig-c 2>&1 | tail -3)"
o=$(got sig-o /tmp/m HUP); t=$(got sig-t /tmp/m HUP)
expect_eq "otpd -- CMD: SIGHUP reaches CMD" "$o" 1
row "SIGHUP" "tree: reload; --: $([ "$o" = 1 ] && echo to CMD)" "$([ "$t" = 1 ] && echo to CMD)"
sigsend sig-o INT; sigsend sig-t INT
o=$(got sig-o /tmp/m INT); t=$(got sig-t /tmp/m INT)
sigsend sig-c INT
st=$(exit_code $ID-sig-c)
expect_eq "tree: SIGINT is an orderly shutdown, exit 0" "$st" 0
podman logs $ID-sig-c 2>&1 | grep -q "SIGINT: shutting down" && pass "... logged by name" || fail "SIGINT not logged"
expect_eq "otpd -- CMD: SIGINT reaches CMD" "$o" 1
row "SIGINT" "tree: stop ($st); --: $([ "$o" = 1 ] && echo to CMD)" "$([ "$t" = 1 ] && echo to CMD)"
podman stop -t 5 $ID-sig-o >/dev/null; o=$(exit_code $ID-sig-o)
podman stop -t 5 $ID-sig-t >/dev/null; t=$(exit_code $ID-sig-t)
expect_eq "otpd -- sigrec: podman stop, SIGTERM to CMD, its status 0" "$o" 0
row "SIGTERM (podman stop)" "tree: stop; --: to CMD ($o)" "to CMD ($t)"

# --- 8. podman logs: stdout and stderr apart --------------------------------------------
podman run --name $ID-lo "$IMG" /otpd -- /bin/sh -c 'echo to-out; echo to-err >&2' >/dev/null 2>&1
podman run --name $ID-lt "$IMG" /tini -- /bin/sh -c 'echo to-out; echo to-err >&2' >/dev/null 2>&1
podman run --name $ID-lc "$IMG" /otpd -c /ct/streams.conf >/dev/null 2>&1
apart() { [ "$(podman logs "$1" 2>/dev/null | grep -c to-)" = 1 ] && podman logs "$1" 2>&1 >/dev/null | grep -q to-err; }
apart $ID-lo; check logs.cmd $? "otpd -- CMD: podman logs keeps CMD's stdout and stderr apart"
apart $ID-lc; check logs.apart $? "tree: podman logs keeps a worker's stdout and stderr apart"
row "podman logs: stdout, stderr apart" "--: $(apart $ID-lo && echo yes || echo no); tree: $(apart $ID-lc && echo yes || echo no)" \
	"$(apart $ID-lt && echo yes || echo no)"

# --- 9. Kubernetes: pod.yaml with podman kube play -------------------------------------
# (no port: with no network namespace set-up podman refuses port mappings)
sed -e "s|^  name: web-otp$|  name: $ID-pod|" -e "s|image: .*|image: $IMG|" \
	-e '/^      ports:$/,/containerPort/d' \
	"$ROOT/etc/examples/kubernetes/pod.yaml" > "$W/pod.yaml"
podman image exists localhost/podman-pause:"$(podman version -f '{{.Client.Version}}')-0" ||
	PAUSE_IMG=localhost/podman-pause:"$(podman version -f '{{.Client.Version}}')-0"
if podman kube play --network none "$W/pod.yaml" > "$W/kube.out" 2>&1; then
	c=$ID-pod-app
	POD_ID=$(podman pod inspect -f '{{.ID}}' $ID-pod)
	wait_exec $c otpctl status web && pass "kube play: the pod runs the tree" || fail "kube: $(podman logs $c 2>&1 | tail -3)"
	hc=$(podman inspect -f '{{json .Config.Healthcheck}}' $c 2>&1)
	grep -q '"otpctl","health"' <<< "$hc" && pass "kube play: the liveness probe is the container's health check" ||
		fail "no health check from the probe: $hc"
	podman healthcheck run $c >/dev/null 2>&1; h=$?
	check health $h "kube play: the probe (otpctl health) says healthy"
	podman exec $c otpctl stop stats >/dev/null 2>&1     # permanent: the tree is not up
	podman healthcheck run $c >/dev/null 2>&1 && h=1
	check health:stop $h "... and unhealthy once a permanent worker is stopped"
	podman kube down "$W/pod.yaml" >/dev/null 2>&1 || podman pod rm -f -t 0 $ID-pod >/dev/null 2>&1
else
	fail "podman kube play: $(cat "$W/kube.out")"
fi

echo
cat "$W/table"
echo
if [ $FAILS -ne 0 ]; then
	echo "container: $FAILS failed"
	exit 1
fi
echo "container: all passed"
