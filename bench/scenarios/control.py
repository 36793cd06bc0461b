"""control.py: mailbox call round trips, next to a socketpair floor.

bench/mailbox_bench.c does the measuring against an echo worker under otpd
(tests/helpers/techo); its "metric NAME SYSTEM VALUE UNIT" lines are taken
over.  (otpctl status with 1,000 children is measured in start.py.)
"""
import os
import subprocess
import time

from peers.otpd import OtpdRun, conf_text


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
    r = subprocess.run([f"{ctx.b}/bench/mailbox_bench", path], capture_output=True, text=True,
                       timeout=300)
    run.close()
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0] == "metric" and len(f) == 5:
            ctx.value(f[1], f[2], float(f[3]), f[4])
