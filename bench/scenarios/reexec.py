"""reexec.py: otpctl reexec with 1,000 children (issue 11).

reexec_1000  the request (otpctl reexec launched) -> otpd answering
             `otpctl status` again from the new image (both commands'
             whole runs, fork and exec included), 1,000 workers (a stamp
             helper each, cgroup = off), REPS re-executions in a row.
Every sample also checks what must not change: the same pid for every
worker, zero restarts, and no line lost: one worker prints numbered lines
the whole time, and its lines in otpd's stdout must be consecutive.
systemd's `daemon-reexec` is not measured: systemd is not PID 1 here (said
in the table's note).
"""
import json
import os
import re
import subprocess
import time

from lib.core import now_ns, wait_count
from peers.otpd import OtpdRun, conf_text

N = 1000
REPS = 10
PRINTER = ["/bin/sh", "-c", "'i=0; while :; do i=$((i+1)); echo n $i; "
           "[ $((i % 50)) = 0 ] && sleep 0.01; done'"]


def pids_restarts(run):
    r = run.ctl("status", "--json")
    if r.returncode != 0:
        return None, None
    pids, restarts = {}, 0

    def walk(n):
        nonlocal restarts
        if n.get("type") == "worker":
            pids[n["name"]] = n.get("pid")
            restarts += n.get("restarts") or 0
        for c in n.get("children", []):
            walk(c)
    walk(json.loads(r.stdout))
    return pids, restarts


def lines_whole(path):
    with open(path, errors="replace") as f:
        nums = [int(m.group(1)) for m in re.finditer(r"^w0\[\d+\]: n (\d+)$", f.read(), re.M)]
    return len(nums), all(b == a + 1 for a, b in zip(nums, nums[1:]))


def run(ctx):
    d = ctx.dir("reexec")
    cg = ctx.cgroup("reexec")
    f = f"{d}/stamps"
    children = [PRINTER] + [[ctx.stamp, f, "stay"]] * (N - 1)
    conf = conf_text(ctx, d, children)
    out = os.path.join(d, "out")
    p = ctx.spawn([ctx.otpd, "-c", conf], cg, out=open(out, "w"),
                  err=open(os.path.join(d, "err"), "w"))
    run = OtpdRun(ctx, p, cg, d)
    try:
        if not wait_count(f, "s", N - 1, timeout=180, poll=0.01, alive=run.alive) or \
                not run.wait_socket():
            print("  reexec: the 1,000 workers did not start")
            return
        time.sleep(0.5)
        before, r0 = pids_restarts(run)
        samples, bad = [], []
        for _ in range(3 if ctx.quick else REPS):
            t0 = now_ns()
            a = run.ctl("reexec")
            b = run.ctl("status")
            t1 = now_ns()
            if a.returncode != 0 or b.returncode != 0:
                bad.append((a.stderr or b.stderr).strip())
                continue
            samples.append((t1 - t0) / 1e6)
            time.sleep(0.2)
        after, r1 = pids_restarts(run)
        if after != before or r1 != r0:
            bad.append(f"pids or restarts changed ({r0} -> {r1} restarts)")
        run.ctl("stop", "w0")
        n, whole = lines_whole(out)
        if not whole or n == 0:
            bad.append(f"the printer's {n} lines are not whole")
        for b in bad:
            print(f"  reexec: {b}")
        if samples:
            ctx.sample("reexec_1000", "otpd", samples, "ms")
        ctx.note("reexec_1000", "otpd",
                 (f"pids kept, 0 restarts, {n} lines whole" if not bad else "; ".join(bad)[:120])
                 + "; systemd's daemon-reexec not measured (systemd is not PID 1 here)")
    finally:
        run.close()
