# rest_for_one (OTP order_of_children): kill the middle child; the ones after
# it are stopped in reverse order and all restarted in start order.
# ready = notify: each child stamps "start" before it reports ready, and
# otpd starts the next only then, so the stamp order is the start order
# (with ready = exec two fresh children race to write their stamps).
. "$(dirname "$0")/lib.sh"
conf <<EOF2
[supervisor root]
strategy = rest_for_one
intensity = 5
period = 60s
[worker ch7]
exec = $TW --stamp $T/stamps --notify-ready 0
ready = notify
[worker ch3]
exec = $TW --stamp $T/stamps --notify-ready 0
ready = notify
[worker ch10]
exec = $TW --stamp $T/stamps --notify-ready 0
ready = notify
[worker ch2]
exec = $TW --stamp $T/stamps --notify-ready 0
ready = notify
[worker ch5]
exec = $TW --stamp $T/stamps --notify-ready 0
ready = notify
EOF2
start_otpd || { fail "otpd did not start"; finish; }
for c in ch7 ch3 ch10 ch2 ch5; do wait_state $c running; done
p7=$(json ch7 pid); p3=$(json ch3 pid); p2=$(json ch2 pid); p5=$(json ch5 pid); p10=$(json ch10 pid)
: > "$T/stamps"
ctl kill ch10 KILL >/dev/null
wait_for grep -q "start" "$T/stamps"
for c in ch10 ch2 ch5; do wait_state $c running; done
# running (exec done) can come before the new process wrote its stamp
wait_for sh -c "[ \$(grep -c '^start' $T/stamps) -ge 3 ]"
# terms: ch5 then ch2 (ch10 was killed); then starts ch10, ch2, ch5
grep -v '^ready' "$T/stamps" > "$T/order"
got=$(awk '{print $1}' "$T/order" | tr '\n' ' ')
expect_eq "stop ch5 then ch2, then three starts" "$got" "term term start start start "
term1=$(awk 'NR==1{print $2}' "$T/order"); term2=$(awk 'NR==2{print $2}' "$T/order")
expect_eq "ch5 stopped first" "$term1" "$p5"
expect_eq "ch2 stopped second" "$term2" "$p2"
s1=$(awk 'NR==3{print $2}' "$T/order"); s2=$(awk 'NR==4{print $2}' "$T/order"); s3=$(awk 'NR==5{print $2}' "$T/order")
expect_eq "ch10 started first" "$s1" "$(json ch10 pid)"
expect_eq "ch2 started second" "$s2" "$(json ch2 pid)"
expect_eq "ch5 started third" "$s3" "$(json ch5 pid)"
expect_eq "ch7 kept its pid" "$(json ch7 pid)" "$p7"
expect_eq "ch3 kept its pid" "$(json ch3 pid)" "$p3"
finish
