"""start.py: start N workers to running; memory; status with 1,000 children.

start_N      the supervisor launched -> the N-th child in main() (its stamp),
             N = 100 and 1,000, interleaved A B C A B C.  Floors: a bare C
             loop starting them one after the other, each confirmed exec'd
             ("floor", OTP's sequential start and nothing else), all at
             once ("floor-par"), and one after the other, each born in a
             cgroup made for it ("floor-cg": what otpd-cg is held to).
             otpd, otpd-cg and the floors run ROUNDS times at each N (they
             are compared with each other: otpd <= floor, otpd-cg <=
             floor-cg in the same run); s6 and runit ROUNDS times at 100, once
             at 1,000 (12-13 s each), supervisord once (42 s at 1,000).
mem_N        private memory (Private_Clean + Private_Dirty, /proc/PID/smaps,
             less clean pages of files: see core.private_kib) of the
             supervisor's own processes, N = 10, 100, 1,000 children;
mem_child    (mem_1000 - mem_10) / 990, mem_base = mem_10 - 10 * mem_child.
status_1000  one status of every child, as its user would ask it (the
             command's whole run, fork and exec included), N = 1,000.
             otpd-cg: each worker in its own cgroup; the listing reads the
             cgroup stats of the supervisors, not of each worker
             (otpctl(1)), and its target (< 5 ms) is checked as otpd's.
             otpd and otpd-cg: STATUS_REPS in each of the ROUNDS rounds.
"""
import os
import time

from lib.core import now_ns, private_kib, read_stamps, wait_count


def timed_cmd(argv):
    """Wall time (ms) of one run of argv, output to /dev/null; None on failure."""
    null = os.open(os.devnull, os.O_WRONLY)
    fa = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    t0 = now_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=fa)
    _, st = os.waitpid(pid, 0)
    t1 = now_ns()
    os.close(null)
    return (t1 - t0) / 1e6 if os.waitstatus_to_exitcode(st) == 0 else None


STATUS_REPS = {"otpd": 7, "otpd-cg": 7, "runit": 5, "supervisord": 3, "s6": 1}
ROUNDS = 3
# Compared with each other in every round; the others once at 1,000.
REPEATED = {100: ("otpd", "otpd-cg", "floor", "floor-par", "floor-cg", "s6", "runit"),
            1000: ("otpd", "otpd-cg", "floor", "floor-par", "floor-cg")}


def one(ctx, sup, n, measure, status):
    label = f"start{n}-{sup.name}"
    d = ctx.dir(label)
    f = f"{d}/stamps"
    t0 = now_ns()
    run = sup.start(ctx, [[ctx.stamp, f, "stay"]] * n, label)
    ok = wait_count(f, "s", n, timeout=180, poll=0.005, alive=run.alive)
    if not ok:
        print(f"  start: {sup.name} ran {len([1 for s in read_stamps(f) if s[0] == 's'])} of {n}")
        run.kill()
        return
    last = max(ns for tag, ns, _ in read_stamps(f) if tag == "s")
    if n >= 100:
        ctx.sample(f"start_{n}", sup.name, [(last - t0) / 1e6], "ms")
    if measure and sup.memory:
        time.sleep(0.5)
        ctx.value(f"mem_{n}", sup.name, sum(private_kib(p) for p in run.own_pids()), "KiB")
    if status and sup.memory:
        argv = run.status_argv()
        if n == 1000 and argv:
            t = [timed_cmd(argv) for _ in range(STATUS_REPS.get(sup.name, 3))]
            if None in t:
                print(f"  status: {' '.join(argv[:3])}... failed")
            ctx.sample("status_1000", sup.name, [x for x in t if x is not None], "ms")
    run.kill()


def run(ctx, sups):
    sizes = [(10, 1), (100, ROUNDS), (1000, ROUNDS)]
    if ctx.quick:
        sizes = [(10, 1), (100, 1), (1000, 1)]
    for n, reps in sizes:
        for r in range(reps):
            for sup in sups:
                if r == 0 or sup.name in REPEATED.get(n, ()):
                    one(ctx, sup, n, measure=(r == 0),
                        status=(r == 0 or sup.name.startswith("otpd")))
    for sup in sups:
        m10, m1000 = ctx.stats("mem_10", sup.name), ctx.stats("mem_1000", sup.name)
        if m10 and m1000:
            per = (m1000["p50"] - m10["p50"]) / 990
            ctx.value("mem_child", sup.name, per, "KiB")
            ctx.value("mem_base", sup.name, m10["p50"] - 10 * per, "KiB")
    for sup in sups:
        if sup.note and sup.name.startswith("otpd"):
            ctx.note("start_1000", sup.name, sup.note)
