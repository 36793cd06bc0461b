"""pid1.py: process 1 of a container (a new PID namespace).

reap_10k     10,000 orphans re-parented to PID 1 die while PID 1 is stopped
             (SIGSTOP; they are killed through a cgroup of theirs); from
             SIGCONT until PID 1 has reaped them all (its /proc children
             list is down to its own child), by polling from outside.
forward      SIGTERM to PID 1 -> its child's handler runs (the child's own
             CLOCK_MONOTONIC stamp).  "direct": SIGTERM straight to the
             child, no init at all.
"""
import os
import signal
import time

from lib.core import now_ns, read_stamps, wait_count

N_ORPHANS = 10000


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


def first_children(pid):
    """The first pids of pid's children list (cheap: a short read)."""
    try:
        fd = os.open(f"/proc/{pid}/task/{pid}/children", os.O_RDONLY)
    except OSError:
        return []
    try:
        return os.read(fd, 64).split()
    finally:
        os.close(fd)


def reap_once(ctx, init, n):
    label = f"reap-{init.name}"
    d = ctx.dir(label)
    ocg = ctx.cgroup(f"orphans-{init.name}")
    ready = f"{d}/ready"
    run = init.start(ctx, [ctx.orphans, ocg.path, str(n), ready], label)
    try:
        end = time.monotonic() + 120
        # (Not cgroup.procs while they fork: reading it slows fork down.)
        while not os.path.exists(ready) or len(ocg.procs()) > n:
            if time.monotonic() > end or not run.alive():
                print(f"  reap: {init.name}: the orphans did not appear")
                return None
            time.sleep(0.05)
        time.sleep(0.2)                 # the middle process is gone: all re-parented
        pid1 = run.init
        os.kill(pid1, signal.SIGSTOP)
        while proc_state(pid1) != "T":
            time.sleep(0.001)
        ocg.kill()
        if not ocg.wait_empty(60):
            print(f"  reap: {init.name}: orphans did not die")
            return None
        t0 = now_ns()
        os.kill(pid1, signal.SIGCONT)
        while len(first_children(pid1)) > 1:
            time.sleep(0.0002)
        return (now_ns() - t0) / 1e6
    finally:
        run.kill()
        ocg.remove()


def forward_once(ctx, init, label):
    d = ctx.dir(label)
    f = f"{d}/stamps"
    child = [ctx.stamp, f, "term", "0"]
    if init is None:
        cg = ctx.cgroup(label)
        p = ctx.spawn(child, cg)
        target, done = p.pid, lambda: ctx.end(p, cg)
        alive = lambda: p.poll() is None        # noqa: E731
    else:
        run = init.start(ctx, child, label)
        target, done, alive = run.init, run.kill, run.alive
    try:
        if not target or not wait_count(f, "s", 1, timeout=10, alive=alive):
            return None
        time.sleep(0.03)
        t0 = now_ns()
        os.kill(target, signal.SIGTERM)
        if not wait_count(f, "t", 1, timeout=10, poll=0.001):
            return None
        t = [ns for tag, ns, _ in read_stamps(f) if tag == "t"][0]
        return (t - t0) / 1e3
    finally:
        done()


def run(ctx, inits):
    reps = 1 if ctx.quick else 3
    n = 2000 if ctx.quick else N_ORPHANS
    for _ in range(reps):
        for init in inits:
            ms = reap_once(ctx, init, n)
            if ms is not None:
                ctx.sample("reap_10k", init.name, [ms], "ms")
                if n != N_ORPHANS:
                    ctx.note("reap_10k", init.name, f"--quick: {n:,} orphans")
    reps = 5 if ctx.quick else 20
    for _ in range(reps):
        for init in inits + [None]:
            name = init.name if init else "direct"
            us = forward_once(ctx, init, f"fwd-{name}")
            if us is not None:
                ctx.sample("forward", name, [us], "us")
