"""logs.py: what capturing workers' output costs, per line.

10 workers each write 10,000 lines a second of 80 bytes for 5 s
(bench/helpers/lines.c: 100,000 lines/s in all, 500,000 lines).  Measured:
the CPU time (/proc/PID/schedstat: on-CPU ns) of whatever captures and
writes the lines, divided by the lines:

  otpd          stdout = file:DIR/wN.log (otpd writes the files: time stamp,
                name, pid, stream, rotation at 1 MB keeping 20)
  otpd-stdout   stdout = log: "name[pid]: line" on otpd's stdout (a file)
  s6-log        10 x `lines | s6-log T s1000000 n20 DIR` (one s6-log each,
                TAI64N-ish ISO time stamps)
  svlogd        10 x `lines | svlogd -tt DIR` (runit's logger, one each)

The producers' own CPU is not counted.  A run ends once the producers are
done and the loggers' files stop growing; lines lost would show as a short
byte count ("short" note).
"""
import os
import time

from lib.core import wait_count

N = 10
RATE = 10000
SECS = 5


def cpu_ns(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def dir_bytes(d):
    n = 0
    for root, _, files in os.walk(d):
        for f in files:
            try:
                n += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return n


def settle(d, want, timeout=60):
    """Until the files below d stop growing (and hold at least want bytes)."""
    end = time.monotonic() + timeout
    last = -1
    while time.monotonic() < end:
        n = dir_bytes(d)
        if n >= want and n == last:
            return n
        last = n
        time.sleep(0.3)
    return dir_bytes(d)


def lines_argv(ctx, secs, done):
    return [f"{ctx.b}/bench/lines", str(RATE), str(secs), done]


def otpd_conf(ctx, d, secs, done, to_file):
    lines = ["[otpd]", f"run_dir = {d}/run", "cgroup = off", "[supervisor root]"]
    for i in range(N):
        lines += [f"[worker w{i}]", "exec = " + " ".join(lines_argv(ctx, secs, done))]
        if to_file:
            lines += [f"stdout = file:{d}/logs/w{i}.log", "log_max_size = 1M", "log_keep = 20"]
    path = os.path.join(d, "otp.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def run_otpd(ctx, name, secs, to_file):
    d = ctx.dir(f"logs-{name}")
    os.makedirs(f"{d}/logs")
    done = f"{d}/done"
    conf = otpd_conf(ctx, d, secs, done, to_file)
    cg = ctx.cgroup(f"logs-{name}")
    out = open(f"{d}/logs/stdout", "w")
    p = ctx.spawn([ctx.otpd, "-c", conf], cg, out=out, err=open(f"{d}/err", "w"))
    return d, done, cg, [p]


def run_peer(ctx, name, secs, logger):
    d = ctx.dir(f"logs-{name}")
    done = f"{d}/done"
    cg = ctx.cgroup(f"logs-{name}")
    procs = []
    for i in range(N):
        ld = f"{d}/logs/w{i}"
        os.makedirs(ld)
        producer = " ".join(lines_argv(ctx, secs, done))
        procs.append(ctx.spawn(["sh", "-c", f"{producer} | exec {logger} {ld}"], cg))
    return d, done, cg, procs


def logger_pids(cg, exe_name):
    out = []
    for p in cg.procs():
        try:
            if os.path.basename(os.readlink(f"/proc/{p}/exe")) == exe_name:
                out.append(p)
        except OSError:
            pass
    return out


def measure(ctx, name, started, secs, exe_name=None):
    d, done, cg, procs = started
    total = N * RATE * secs
    if not wait_count(done, "done", N, timeout=secs * 10 + 60):
        print(f"  logs: {name}: the producers did not finish")
    got = settle(f"{d}/logs", total * 80)
    pids = logger_pids(cg, exe_name) if exe_name else [procs[0].pid]
    ns = cpu_ns(pids)
    ctx.value("logs_cpu_line", name, ns / total, "ns")
    if got < total * 80:
        ctx.note("logs_cpu_line", name, f"short: {got} of {total * 80}+ bytes")
    for q in procs:
        ctx.end(q)
    cg.kill()
    cg.wait_empty(30)
    cg.remove()


def run(ctx, peers_available):
    secs = 2 if ctx.quick else SECS
    measure(ctx, "otpd", run_otpd(ctx, "otpd", secs, True), secs)
    measure(ctx, "otpd-stdout", run_otpd(ctx, "otpd-stdout", secs, False), secs)
    if "s6-log" in peers_available:
        measure(ctx, "s6-log", run_peer(ctx, "s6-log", secs, "s6-log -b T s1000000 n20"), secs,
                "s6-log")
    if "svlogd" in peers_available:
        measure(ctx, "svlogd", run_peer(ctx, "svlogd", secs, "svlogd -tt"), secs, "svlogd")
