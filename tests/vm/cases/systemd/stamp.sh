#!/bin/sh
# stamp.sh NAME: a worker that notes when it is told to stop and when it
# is done, 300 ms later, in /run/stop-order.  Stopped one at a time, the
# workers' lines pair up ("term c", "exit c", "term b", ...); stopped all
# at once (systemd's KillMode=control-group), the "term" lines come first.
name=$1
trap 'echo "term $name" >> /run/stop-order; sleep 0.3; echo "exit $name" >> /run/stop-order; exit 0' TERM
while :; do
	sleep 1 &
	wait $!
done
