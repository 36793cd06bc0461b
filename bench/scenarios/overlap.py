"""overlap.py: 8 callers during worker upgrades (issue 12).

bench/overlap_bench.c does the measuring against an echo worker under otpd
(tests/helpers/techo, ready = notify: the library says READY=1 once it
serves): 8 callers calling without a pause (a connection per call), first
with no restart (otpd-steady), then during overlapping restarts
(otpctl restart --overlap: otpd), then during plain restarts
(otpd-restart: calls wait in the backlog while no process serves).
Targets: no failed call during overlaps, and their p99 within 2x of the
steady p99.
"""
import os

from peers.otpd import mailbox_worker

NOTES = {
    "otpd": "restart --overlap, 8 one-shot callers, no pause",
    "otpd-restart": "plain restart (stop, then start), the same callers",
    "otpd-steady": "no restart, the same callers",
}


def run(ctx):
    d, run, path = mailbox_worker(ctx, "overlap", ['mailbox = true', 'ready = notify'])
    bcg = ctx.cgroup("overlap-callers")
    out = os.path.join(d, "bench.out")
    rounds = "5" if ctx.quick else "20"
    b = None
    try:
        with open(out, "w") as f:
            b = ctx.spawn([f"{ctx.b}/bench/overlap_bench", path, f"{ctx.b}/otpctl",
                           f"{d}/run/otpd.sock", "w0", rounds], bcg, out=f)
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
    for m in ("upgrade_calls_8", "upgrade_p99", "upgrade_failed"):
        for system, text in NOTES.items():
            ctx.note(m, system, text)
