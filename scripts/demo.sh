#!/bin/sh
# Runs the demo tree (etc/otp.conf) for a few seconds and shows it with
# otpctl, so the flaky worker's restarts can be seen; then stops it cleanly.
set -eu
cd "$(dirname "$0")/.."
B=${BUILD:-build}
SOCK=/run/otp-demo/otpd.sock
echo "== otpd --check -c etc/otp.conf"
"$B/otpd" --check -c etc/otp.conf
echo "== starting otpd (children's output is prefixed name[pid])"
"$B/otpd" -c etc/otp.conf &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT INT TERM
i=0
while [ ! -S "$SOCK" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
for round in 1 2 3; do
	sleep 3
	echo "== otpctl status (after ${round}x3 s)"
	"$B/otpctl" -s "$SOCK" status
done
echo "== otpctl logs flaky -n 4"
"$B/otpctl" -s "$SOCK" logs flaky -n 4
echo "== otpctl kill db KILL (a crash: rest_for_one restarts cache too)"
"$B/otpctl" -s "$SOCK" kill db KILL
"$B/otpctl" -s "$SOCK" wait cache --state running --timeout 5s
sleep 0.2
"$B/otpctl" -s "$SOCK" status backend
echo "== otpctl shutdown"
"$B/otpctl" -s "$SOCK" shutdown
trap - EXIT INT TERM
wait $pid && echo "== otpd exited 0"
