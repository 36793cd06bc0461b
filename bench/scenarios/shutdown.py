"""shutdown.py: stop a tree of 100 workers that exit 100 ms after SIGTERM.

From the stop request (each system's documented one: SIGTERM, or SIGHUP to
runsvdir) until nothing of the tree runs any more (its cgroup is empty).
otpd's static tree stops its children one at a time in reverse start order,
as OTP does ("otpd": 100 x 100 ms); with `shutdown_order = parallel`
("otpd-par", when this otpd has the key, issue 19.1) all at once; a
simple_one_for_one supervisor stops its dynamic children in parallel
("otpd-dyn").  Every system ROUNDS times, interleaved (supervisord, 17 s a
run, once).
"""
import time

from lib.core import now_ns, read_stamps, wait_count

N = 100
WORK_MS = 100
ROUNDS = 3


def once(ctx, sup):
    label = f"shutdown-{sup.name}"
    d = ctx.dir(label)
    f = f"{d}/stamps"
    run = sup.start(ctx, [[ctx.stamp, f, "term", str(WORK_MS)]] * N, label)
    try:
        if not wait_count(f, "s", N, timeout=120, alive=run.alive):
            print(f"  shutdown: {sup.name} did not start its {N} children")
            return
        time.sleep(0.5)
        t0 = now_ns()
        run.stop()
        if not run.cg.wait_empty(120):
            print(f"  shutdown: {sup.name} did not stop in 120 s")
            return
        ctx.sample("shutdown_100", sup.name, [(now_ns() - t0) / 1e6], "ms")
    finally:
        run.kill()
    st = read_stamps(f)
    terms = [ns for tag, ns, _ in st if tag == "t"]
    ends = [ns for tag, ns, _ in st if tag == "e"]
    if terms:
        ctx.sample("shutdown_signalled", sup.name, [(max(terms) - t0) / 1e6], "ms")
    if ends:
        ctx.sample("shutdown_workers", sup.name, [(max(ends) - t0) / 1e6], "ms")


def run(ctx, sups):
    for r in range(1 if ctx.quick else ROUNDS):
        for sup in sups:
            if r == 0 or sup.name != "supervisord":     # it takes ~17 s: once
                once(ctx, sup)
