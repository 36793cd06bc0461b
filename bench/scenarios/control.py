"""control.py: mailbox call round trips, next to floors without the library.

bench/mailbox_bench.c does the measuring against an echo worker under otpd
(tests/helpers/techo); its "metric NAME SYSTEM VALUE UNIT" lines are taken
over.  Two pairs of rows:
  mailbox_rtt_*, mailbox_calls_*: one connection per call (otp_call_path);
    the floor is the same work without otpd's mailbox library, one
    connection per call to one plain accept/recv/send/close server;
  mailbox_keep_*: a connection kept across calls (otp_conn_call); the
    floor is a socketpair per caller with a plain blocking echo process of
    its own (the raw IPC cost: no connect, no accept, no poll, and with 8
    callers 8 servers where otpd has one worker).
(otpctl status with 1,000 children is measured in start.py.)
"""
import os

from peers.otpd import mailbox_worker

METRICS = ("mailbox_rtt_p50", "mailbox_rtt_p99", "mailbox_calls_1", "mailbox_calls_8")
KEEP_METRICS = ("mailbox_keep_p50", "mailbox_keep_p99", "mailbox_keep_calls_1",
                "mailbox_keep_calls_8")
NOTES = {
    "floor": "no library: socket/connect/send/recv/close per call, "
             "one plain accept/recv/send/close server",
}
KEEP_NOTES = {
    "otpd": "otp_conn_call on a kept connection, one worker for every caller",
    "floor": "socketpair per caller, a plain blocking echo process each",
}


def run(ctx):
    d, run, path = mailbox_worker(ctx, "mailbox", ['mailbox = true'])
    # The callers and the floors' servers run in a cgroup of their own.
    bcg = ctx.cgroup("mailbox-callers")
    out = os.path.join(d, "bench.out")
    b = None
    try:
        with open(out, "w") as f:
            b = ctx.spawn([f"{ctx.b}/bench/mailbox_bench", path,
                           os.path.join(d, "floor.sock")], bcg, out=f)
            b.wait(300)
        with open(out) as f:
            lines = f.read().splitlines()
    finally:
        ctx.end(b, bcg)
        run.close()
    for line in lines:
        w = line.split()
        if w and w[0] == "metric" and len(w) == 5:
            ctx.value(w[1], w[2], float(w[3]), w[4])
    for metrics, notes in ((METRICS, NOTES), (KEEP_METRICS, KEEP_NOTES)):
        for m in metrics:
            for system, text in notes.items():
                ctx.note(m, system, text)
