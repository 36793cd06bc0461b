#!/bin/sh
# run-case.sh: started by vm-case.service in the systemd tier's guest.
# Runs the case's checker and prints the line the runner on the host
# reads as the case's end (there is no otpd "powering off" line here:
# systemd is PID 1); the unit then powers the VM off.
read -r up _ < /proc/uptime
echo "vm: case $(cat /case/name) starting, uptime $up s"
status=0
sh /case/check.sh || status=$?
echo "vm: case $(cat /case/name) finished, status $status"
exit 0
