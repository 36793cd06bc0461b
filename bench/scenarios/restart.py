"""restart.py: a child dies -> its replacement reaches main().

restart       the child exits at once (exit 1).  1,000 samples for otpd and
              the floor (a bare fork/exec/waitpid loop), in interleaved
              blocks; fewer for peers whose built-in delay dominates.
restart_kill  the child lives 1.1 s, then dies by SIGKILL: past s6's and
              runit's 1 s throttle, so their own mechanism is measured (s6
              only skips its 1 s wait for a service that reported itself
              ready through notification-fd more than 1 s before it died:
              the stamp helper does so for s6 here).
              All systems run at once, their deaths staggered so that no
              two restarts overlap.
"""
import time

from lib.core import gaps_exit_to_start, wait_count
from peers.s6 import S6

LIVE_MS = 1100


def block(ctx, sup, k, mode, label):
    """Start sup with one child, collect k restarts, end it."""
    d = ctx.dir(label)
    f = f"{d}/stamps"
    run = sup.start(ctx, [[ctx.stamp, f, *mode]], label)
    ok = wait_count(f, "s", k + 1, timeout=30 + k * 1.2, alive=run.alive)
    run.kill()
    gaps = gaps_exit_to_start(f)[:k]
    if not ok:
        print(f"  restart: {sup.name} gave {len(gaps)} of {k} restarts")
    return gaps


def floor_block(ctx, k, mode, label):
    d = ctx.dir(label)
    f = f"{d}/stamps"
    cg = ctx.cgroup(label)
    p = ctx.spawn([ctx.floor, str(k + 1), ctx.stamp, f, *mode], cg)
    p.wait(60 + k * 1.2)
    cg.remove()
    return gaps_exit_to_start(f)[:k]


def run(ctx, otpd, peers):
    n = 200 if ctx.quick else 1000
    rounds = 4
    per = {"otpd": n // rounds, "floor": n // rounds, "supervisord": 2, "s6": 1, "runit": 1}
    for r in range(rounds):
        for sup in [otpd] + peers:
            k = per.get(sup.name, 1)
            ctx.sample("restart", sup.name, block(ctx, sup, k, ["exit"], f"restart-{sup.name}"),
                       "ms")
        ctx.sample("restart", "floor", floor_block(ctx, per["floor"], ["exit"], "restart-floor"),
                   "ms")
    for sup in peers:
        if sup.name in ("s6", "runit"):
            ctx.note("restart", sup.name, "built-in 1 s delay")
        if sup.name == "supervisord":
            for m in ("restart", "restart_kill"):
                ctx.note(m, sup.name, "polls once a second: SIGCHLD does not wake its loop")
    restart_kill(ctx, [otpd] + [S6(notify=True) if s.name == "s6" else s for s in peers])


def restart_kill(ctx, sups):
    k = 6 if ctx.quick else 12
    mode = ["live", str(LIVE_MS)]
    runs = []
    stagger = LIVE_MS / 1000 / (len(sups) + 1)
    for sup in sups:
        d = ctx.dir(f"kill-{sup.name}")
        runs.append((sup.name, f"{d}/stamps", sup.start(ctx, [[ctx.stamp, f"{d}/stamps", *mode]],
                                                       f"kill-{sup.name}")))
        time.sleep(stagger)
    d = ctx.dir("kill-floor")
    cg = ctx.cgroup("kill-floor")
    fl = ctx.spawn([ctx.floor, str(k + 2), ctx.stamp, f"{d}/stamps", *mode], cg)
    end = time.monotonic() + (k + 4) * LIVE_MS / 1000 + 20
    for name, f, r in runs:
        wait_count(f, "s", k + 1, timeout=max(1, end - time.monotonic()), alive=r.alive)
    wait_count(f"{d}/stamps", "s", k + 1, timeout=max(1, end - time.monotonic()))
    for name, f, r in runs:
        r.kill()
        ctx.sample("restart_kill", name, gaps_exit_to_start(f)[:k], "ms")
    ctx.end(fl, cg)
    ctx.sample("restart_kill", "floor", gaps_exit_to_start(f"{d}/stamps")[:k], "ms")
