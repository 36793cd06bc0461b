# sandbox_lib.sh: helpers of the t_sandbox*.sh tests (sourced after lib.sh).
#
# Workers run build/helpers/tprobe, which prints what it sees from inside
# as "probe: ..." lines, then "probe: done"; the tests read them back with
# `otpctl logs`.
TP=$BUILD/helpers/tprobe
# tp_outside_tmp: private_tmp hides /tmp and /var/tmp, and a build tree
# there (a clone in /tmp) would vanish from the worker's view: run a copy
# of the probe from /var/cache then (not /run: otpd as PID 1 may mount a
# fresh /run).
tp_outside_tmp() {
	local d
	case "$TP" in
	/tmp/* | /var/tmp/*)
		d=$(mktemp -d /var/cache/otpd-it-probe.XXXXXX) && cp "$TP" "$d/" &&
			chmod 0755 "$d" && TP=$d/tprobe && CLEAN_DIRS="$CLEAN_DIRS $d"
		;;
	esac
}

# probe_done NAME: wait until NAME's probe finished its commands, and keep
# its lines (in $T/probe.NAME) for `probe`.
probe_done() {
	wait_for sh -c "'$OTPCTL' -s '$SOCK' logs '$1' 2>/dev/null | grep -q '^probe: done'" ||
		fail "$1: the probe did not finish: $(ctl logs "$1" 2>&1 | tail -3)"
	ctl logs "$1" | sed -n "s/^probe: //p" > "$T/probe.$1"
}

# probe NAME TEXT: the last line of NAME's probe containing TEXT, without
# "probe: " (bash only: no process to start per check).
probe() {
	local line found=
	while IFS= read -r line; do
		[[ $line == *"$2"* ]] && found=$line
	done < "$T/probe.$1"
	printf '%s\n' "$found"
}

# restarts NAME: the RESTARTS column of `otpctl status NAME`.
restarts() {
	ctl status "$1" | awk 'NR == 2 { print $5 }'
}

# expect_probe WHAT NAME PREFIX WANT: the probe line starting with PREFIX is WANT.
expect_probe() {
	expect_eq "$1" "$(probe "$2" "$3")" "$4"
}

# jq_sandbox NAME EXPR: a Python expression over s = the "sandbox" object
# of `status NAME --json`.
jq_sandbox() {
	ctl status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin)['sandbox']; print($2)"
}

# boot_fails STEP CONFIG-LINES...: a worker with these keys fails to start
# with start_failed:STEP:..., which ends otpd (exit 1) during boot.
boot_fails() {
	local step=$1; shift
	{ printf '[otpd]\nrun_dir = %s/run\n[worker w]\nexec = %s sleep\n' "$T" "$TP"
	  printf '%s\n' "$@"; } > "$T/otp.conf"
	start_otpd; otpd_wait
	expect_eq "$*: otpd exits 1" "$RC" 1
	if grep -q "w: start_failed:$step:" "$T/err"; then
		pass "$*: start_failed:$step:$(sed -n "s/.*w: start_failed:$step://p" "$T/err" | head -1)"
	else
		fail "$*: wanted start_failed:$step, stderr: $(cat "$T/err")"
	fi
}

# has_cap N: does this shell have capability N in its effective set?
has_cap() {
	local eff
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
	(( (0x$eff >> $1) & 1 ))
}

# What `ls /dev` shows under private_devices (tty only when the host has one).
private_dev_list() {
	local tty=
	[ -e /dev/tty ] && tty=tty,
	echo "fd,full,null,ptmx,pts,random,shm,stderr,stdin,stdout,${tty}urandom,zero"
}
