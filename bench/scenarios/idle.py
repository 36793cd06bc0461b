"""idle.py: what a quiet tree costs its supervisor over 10 s.

Every system runs at once with 100 sleeping children (the container inits
with one, as process 1 of their namespace); after a second of settling,
for 10 s:
  idle_wakeups   context switches of the supervisor's own processes
                 (voluntary + involuntary, /proc/PID/status), and
  idle_syscalls  their system calls, counted by `perf stat -e
                 raw_syscalls:sys_enter -p PIDS`: a counting tracepoint,
                 no ptrace, so the count does not wake the process.
                 (strace -c would: its attach interrupts the sleeping call.)
otpd runs with FOLLOWERS `otpctl events` clients connected (issue 14.5:
a follower waiting for events must cost no wake-up); they are the
bench's processes, not counted as otpd's own.
"""
import shutil
import subprocess
import time

from lib.core import ctxt_switches, wait_count

IDLE_S = 10
N = 100
FOLLOWERS = 10


def perf_count(pids, secs):
    return subprocess.Popen(["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-p",
                             ",".join(map(str, pids)), "--", "sleep", str(secs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def perf_result(p):
    """The count; "<not counted>" means the task never ran: 0 syscalls."""
    _, err = p.communicate()
    for line in err.splitlines():
        f = line.split(",")
        if len(f) > 2 and "raw_syscalls" in f[2]:
            if f[0].isdigit():
                return int(f[0])
            return 0 if f[0] == "<not counted>" else None
    return None


def run(ctx, sups, inits):
    runs = []
    for sup in sups:
        d = ctx.dir(f"idle-{sup.name}")
        r = sup.start(ctx, [[ctx.stamp, f"{d}/stamps", "stay"]] * N, f"idle-{sup.name}")
        runs.append((sup.name, r, f"{d}/stamps", N))
    for init in inits:
        d = ctx.dir(f"idle-{init.name}")
        r = init.start(ctx, [ctx.stamp, f"{d}/stamps", "stay"], f"idle-{init.name}")
        runs.append((init.name, r, f"{d}/stamps", 1))
    for name, r, f, n in runs:
        if not wait_count(f, "s", n, timeout=120, alive=r.alive):
            print(f"  idle: {name} did not start its children")
    followers = []
    for name, r, f, n in runs:
        if hasattr(r, "sock"):
            followers += [subprocess.Popen([ctx.otpctl, "-s", r.sock(), "events"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                          for _ in range(FOLLOWERS)]
    time.sleep(1)
    have_perf = shutil.which("perf")
    probes = []
    for name, r, f, n in runs:
        pids = r.own_pids()
        probes.append((name, r, pids, {p: ctxt_switches(p) for p in pids},
                       perf_count(pids, IDLE_S) if have_perf else None))
    time.sleep(IDLE_S)
    for name, r, pids, before, perf in probes:
        cs = sum(ctxt_switches(p) - before[p] for p in pids)
        ctx.value("idle_wakeups", name, cs, "switches")
        if perf:
            n = perf_result(perf)
            if n is not None:
                ctx.value("idle_syscalls", name, n, "calls")
    for p in followers:
        p.kill()
        p.wait()
    for name, r, f, n in runs:
        r.kill()
    if not have_perf:
        print("  idle: perf missing, no syscall counts")
