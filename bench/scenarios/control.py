"""control.py: mailbox call round trips, next to floors without the library.

bench/mailbox_bench.c does the measuring against an echo worker under otpd
(tests/helpers/techo); its "metric NAME SYSTEM VALUE UNIT" lines are taken
over.  Its "floor" is the same work without otpd's mailbox library: one
connection per call to one plain accept/recv/send/close server; its
"socketpair" is the raw IPC cost (no connect, no accept, a server per
caller), shown for scale.  (otpctl status with 1,000 children is measured
in start.py.)
"""
import os
import time

from peers.otpd import OtpdRun, conf_text

METRICS = ("mailbox_rtt_p50", "mailbox_rtt_p99", "mailbox_calls_1", "mailbox_calls_8")
NOTES = {
    "floor": "no library: socket/connect/send/recv/close per call, "
             "one plain accept/recv/send/close server",
    "socketpair": "one connection for all calls, a server per caller: not comparable",
}


def run(ctx):
    d = ctx.dir("mailbox")
    cg = ctx.cgroup("mailbox")
    conf = conf_text(ctx, d, [[f"{ctx.b}/helpers/techo"]])
    with open(conf, "a") as f:
        f.write("mailbox = true\n")
    p = ctx.spawn([ctx.otpd, "-c", conf], cg)
    run = OtpdRun(ctx, p, cg, d)
    path = f"{d}/run/mailbox/w0"
    end = time.monotonic() + 10
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.2)
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
    for m in METRICS:
        for system, text in NOTES.items():
            ctx.note(m, system, text)
