#!/bin/sh
# The systemd case: otpd's Debian package under a real systemd (PID 1).
# Run by vm-case.service once the machine is up (tests/vm/run.sh).
#
#   1. dpkg -i the packages: the unit is installed disabled, the
#      packaged /etc/otp/otp.conf is a valid (empty) tree, the shell
#      completions are where the shells look
#   2. `systemctl enable --now otpd` with /case/otp.conf (and a drop-in
#      WatchdogSec=2s): the unit is active only once the whole tree is
#      started (slow sends READY=1 after 3 s)
#   3. every worker's cgroup is below the unit's delegated cgroup;
#      worker lines are journal entries of their own (OTPD_WORKER=,
#      SYSLOG_IDENTIFIER=, OTPD_PID=, PRIORITY=)
#   4. hog is killed by the OOM killer: otpd reports last_exit oom and
#      restarts it; systemd neither stops nor restarts the unit
#   5. the watchdog: otpd keeps a 2 s watchdog fed for 6 s (and more)
#      since it became active, while a unit that does not ping is killed
#      by it (the control)
#   6. `systemctl reload` applies a new worker, refuses a broken config
#   7. `systemctl stop` stops the workers one at a time in reverse start
#      order and the unit ends clean (status 0, nothing left to kill)
#   8. `dpkg --purge` stops a running otpd and leaves nothing behind
#
# WHY texts are in single quotes: check expands them after the assertion.
. /vm/lib.sh
export SYSTEMD_PAGER= SYSTEMD_COLORS=0
prop() { systemctl show -p "$1" --value otpd; }
is_active() { [ "$(systemctl is-active otpd)" = active ]; }
# snap: the whole tree at once in /run/tree, one node's own fields a line
# (each otpctl run costs ~0.3 s under TCG); sfield NAME FIELD reads it.
snap() { ctl status --json 2>/dev/null | sed 's/{"name"/\n{"name"/g' > /run/tree; }
sfield() {
	grep "^{\"name\":\"$1\"" /run/tree | sed -n -e "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" \
		-e "s/.*\"$2\":\([^,}\"]*\).*/\1/p" | head -1 | grep . || echo null
}

# --- 1. the package -----------------------------------------------------------
# The control for step 5 first: a unit that never pings, under the same
# watchdog, has all the time until then to be killed by it.
systemd-run --quiet --unit=wd-control -p WatchdogSec=2s /bin/sleep 1000
# The test's own drop-in, read by the daemon-reload of the package's postinst.
mkdir -p /etc/systemd/system/otpd.service.d
printf '[Service]\nWatchdogSec=2s\n' > /etc/systemd/system/otpd.service.d/watchdog.conf
out=$(dpkg -i /case/debs/otpd_*.deb /case/debs/libotp-mailbox-dev_*.deb 2>&1)
check deb.install 'dpkg -i of both packages ($(echo "$out" | tail -2 | tr "\n" " "))' \
	sh -c '[ "$(dpkg-query -W -f="\${Status}\n" otpd libotp-mailbox-dev | grep -c "^install ok installed$")" = 2 ]'
check deb.conffile '/etc/otp/otp.conf is a conffile of otpd' \
	sh -c 'dpkg-query -W -f="\${Conffiles}" otpd | grep -q "/etc/otp/otp.conf"'
check deb.default_tree 'the packaged /etc/otp/otp.conf is a valid empty tree ($(otpd --check 2>&1 | tr "\n" " "))' \
	sh -c '[ "$(otpd --check)" = "root (supervisor, one_for_one, intensity 1/5s)" ]'
check deb.dev 'otp_mailbox.h, the .a and the .pc ($(grep libdir= /usr/lib/x86_64-linux-gnu/pkgconfig/otp_mailbox.pc 2>&1))' \
	test -f /usr/include/otp_mailbox.h -a -f /usr/lib/x86_64-linux-gnu/libotp_mailbox.a \
	-a -f /usr/lib/x86_64-linux-gnu/pkgconfig/otp_mailbox.pc
check deb.disabled 'the unit is installed disabled (is-enabled: $(systemctl is-enabled otpd 2>&1))' \
	[ "$(systemctl is-enabled otpd 2>&1)" = disabled ]
# bash's completion of "otpctl sta" with the packaged script (otpctl(1), COMPLETION)
bash_sta() {
	bash -c '. /usr/share/bash-completion/completions/otpctl
		COMP_WORDS=(otpctl sta); COMP_CWORD=1; _otpctl; echo "${COMPREPLY[*]}"' 2>&1
}
completions_ok() {
	[ -f /usr/share/zsh/vendor-completions/_otpctl ] &&
		[ -f /usr/share/fish/vendor_completions.d/otpctl.fish ] &&
		[ "$(bash_sta)" = "status start start-child" ]
}
check deb.completion 'bash, zsh and fish completions; bash completes "otpctl sta" to: $(bash_sta)' \
	completions_ok

# --- 2. enable --now: active only when the tree is ------------------------------
cp /case/otp.conf /etc/otp/otp.conf
systemctl enable --now otpd > /run/enable.out 2>&1 &
enable_pid=$!
seen_activating=0 early=""
end=$(($(uptime_s) + 60))
while [ "$(uptime_s)" -lt "$end" ]; do
	st=$(systemctl is-active otpd)
	[ "$st" = activating ] && seen_activating=1
	if [ "$st" = active ]; then
		# active at that instant: the whole tree was started by then
		snap
		for w in a slow b hog c; do
			[ "$(sfield $w state)" = running ] || early="$early $w:$(sfield $w state)"
		done
		break
	fi
	[ "$st" = failed ] && break
	sleep 0.5
done
wait $enable_pid
rc=$?
t_active=$(uptime_s)
check enable_now 'systemctl enable --now otpd: rc $rc, $(systemctl is-enabled otpd) ($(tr "\n" " " < /run/enable.out))' \
	sh -c "[ $rc = 0 ] && [ '$(systemctl is-enabled otpd)' = enabled ]"
check ready.active 'the unit became active ($(systemctl is-active otpd))' is_active
check ready.activating 'it was activating while slow was not ready' [ $seen_activating = 1 ]
check ready.tree 'every worker was running when it became active (not:${early:- none})' \
	[ -z "$early" ]
main=$(prop MainPID)
t1=$(prop WatchdogTimestampMonotonic)

# --- 3. cgroups -----------------------------------------------------------------
unit_cg=$(prop ControlGroup)
check cgroup.delegate 'Delegate=$(prop Delegate), unit cgroup $unit_cg' \
	[ "$(prop Delegate)" = yes ]
snap
for w in a slow b hog c; do
	rel=$(sfield $w cgroup) pid=$(sfield $w pid)
	check "cgroup.$w" '$w in $rel, below $unit_cg, pid $pid in its cgroup.procs' \
		sh -c "case '$rel' in '$unit_cg'/*) grep -qx '$pid' '$CG_ROOT$rel/cgroup.procs' ;; *) false ;; esac"
done
check cgroup.otpd 'otpd itself in $(cut -d: -f3 /proc/$main/cgroup), below the unit' \
	sh -c "cut -d: -f3 /proc/$main/cgroup | grep -q '^$unit_cg/'"

# The journal: otpd's stdout is the journal's stream, so each line of a
# worker is an entry of its own, with its priority (stderr 3, stdout 6,
# "<N>" prefix).
jl() { journalctl -q -o cat --no-pager OTPD_WORKER=talk "$@" | sort | tr '\n' ' '; }
talk_pid=$(sfield talk pid)
check journal.entries 'journalctl OTPD_WORKER=talk: $(jl)' \
	wait_for 20 sh -c "[ \"\$(journalctl -q -o cat --no-pager OTPD_WORKER=talk | sort | tr '\n' ' ')\" = 'talk-err talk-out talk-warn ' ]"
check journal.priority 'priority 3: $(jl -p 3..3), 4: $(jl -p 4..4), 6: $(jl -p 6..6)' \
	sh -c "[ '$(jl -p 3..3)' = 'talk-err ' ] && [ '$(jl -p 4..4)' = 'talk-warn ' ] && [ '$(jl -p 6..6)' = 'talk-out ' ]"
check journal.fields 'SYSLOG_IDENTIFIER=talk OTPD_PID=$talk_pid OTPD_SUPERVISOR=root: $(journalctl -q -o cat -t talk OTPD_PID=$talk_pid OTPD_SUPERVISOR=root | wc -l) entries' \
	[ "$(journalctl -q -o cat --no-pager -t talk OTPD_PID=$talk_pid OTPD_SUPERVISOR=root | wc -l)" = 3 ]

# --- 4. the OOM killer ----------------------------------------------------------
check oom.last_exit 'hog: last_exit $(json hog last_exit) (oom expected)' \
	wait_for 30 field_is hog last_exit oom
check oom.restarted 'hog restarted by otpd: state $(json hog state), restarts $(json hog restarts)' \
	wait_for 10 field_is hog state running
check oom.unit 'the unit is still $(systemctl is-active otpd), MainPID $(prop MainPID) (was $main), NRestarts $(prop NRestarts)' \
	sh -c "[ '$(systemctl is-active otpd)' = active ] && [ '$(prop MainPID)' = '$main' ] && [ '$(prop NRestarts)' = 0 ]"

# --- 5. the watchdog ------------------------------------------------------------
check watchdog.armed 'WatchdogUSec=$(prop WatchdogUSec)' [ "$(prop WatchdogUSec)" = 2s ]
# 6 s of a 2 s watchdog since the unit became active (steps 3 and 4 count;
# whole seconds of uptime: 7 of them are at least 6 s).
left=$((t_active + 7 - $(uptime_s)))
[ $left -gt 0 ] && sleep $left
t2=$(prop WatchdogTimestampMonotonic)
check watchdog.alive '$(($(uptime_s) - t_active)) s after it became active: $(systemctl is-active otpd), MainPID $(prop MainPID) (was $main), NRestarts $(prop NRestarts)' \
	sh -c "[ '$(systemctl is-active otpd)' = active ] && [ '$(prop MainPID)' = '$main' ] && [ '$(prop NRestarts)' = 0 ]"
check watchdog.pings 'systemd heard WATCHDOG=1 (WatchdogTimestampMonotonic $t1 -> $t2)' \
	[ "$t2" -gt "$t1" ]
check watchdog.control 'the unit that never pings was killed by the watchdog (Result=$(systemctl show -p Result --value wd-control))' \
	[ "$(systemctl show -p Result --value wd-control)" = watchdog ]

# --- 6. reload ------------------------------------------------------------------
snap
a_pid=$(sfield a pid)
{ cat /case/otp.conf; printf '\n[worker d]\nexec = /bin/sh /case/stamp.sh d\n'; } > /etc/otp/otp.conf
out=$(systemctl reload otpd 2>&1)
check reload.ok 'systemctl reload: rc 0 ($out)' [ -z "$out" ]
check reload.added 'the new worker d is $(json d state)' wait_for 10 field_is d state running
snap
check reload.kept 'a kept its pid $a_pid ($(sfield a pid)), MainPID $(prop MainPID)' \
	sh -c "[ '$(sfield a pid)' = '$a_pid' ] && [ '$(prop MainPID)' = '$main' ]"
cp /etc/otp/otp.conf /run/good.conf
printf '\n[worker e]\nexec = /bin/true\nbogus_key = 1\n' >> /etc/otp/otp.conf
check reload.invalid 'systemctl reload of a broken config fails' \
	sh -c '! systemctl reload otpd 2>/dev/null'
snap
check reload.invalid_kept 'and changes nothing: e is $(sfield e state), d $(sfield d state), the unit $(systemctl is-active otpd)' \
	sh -c "[ '$(sfield e state)' = null ] && [ '$(systemctl is-active otpd)' = active ] && [ '$(sfield d state)' = running ]"
cp /run/good.conf /etc/otp/otp.conf

# --- 7. stop --------------------------------------------------------------------
: > /run/stop-order
since=$(date +%s)
systemctl stop otpd
order=$(tr '\n' ' ' < /run/stop-order)
check stop.order 'stop order: $order' \
	[ "$order" = "term d exit d term c exit c term b exit b term a exit a " ]
check stop.clean 'the unit ends $(prop ActiveState), Result=$(prop Result), status $(prop ExecMainStatus)' \
	sh -c "[ '$(prop ActiveState)' = inactive ] && [ '$(prop Result)' = success ] && [ '$(prop ExecMainStatus)' = 0 ]"
killed=$(journalctl -q -u otpd --since "@$since" | grep -c 'Killing process')
check stop.nothing_left 'systemd had nothing to kill after otpd ($killed processes)' [ "$killed" = 0 ]
check stop.cgroup 'no process left in $unit_cg' \
	sh -c "! grep -q . $CG_ROOT$unit_cg/cgroup.procs 2>/dev/null && ! find $CG_ROOT$unit_cg -name cgroup.procs -exec cat {} + 2>/dev/null | grep -q ."

# --- 8. purge -------------------------------------------------------------------
systemctl start otpd
out=$(dpkg --purge otpd libotp-mailbox-dev 2>&1)
check purge.stopped 'dpkg --purge stops the running tree: $(systemctl is-active otpd 2>&1) ($(echo "$out" | tail -1))' \
	sh -c "! systemctl is-active -q otpd && ! grep -qs . $CG_ROOT$unit_cg/cgroup.procs"
check purge.files 'the unit, /etc/otp and the enable link are gone ($(ls -d /lib/systemd/system/otpd.service /etc/otp /etc/systemd/system/multi-user.target.wants/otpd.service 2>/dev/null | tr "\n" " "))' \
	sh -c '! ls -d /lib/systemd/system/otpd.service /etc/otp/otp.conf /etc/systemd/system/multi-user.target.wants/otpd.service 2>/dev/null | grep -q .'

if [ "$FAILS" -ne 0 ]; then
	echo "--- journal of otpd.service"
	journalctl -q -u otpd --no-pager | tail -60
fi
finish
