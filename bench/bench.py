#!/usr/bin/env python3
"""bench.py: make bench.  otpd side by side with its peers, in one run.

  python3 bench/bench.py [--quick] [--only restart,start,idle,pid1,control,overlap,shutdown,logs,scale,reexec]

Peers (installed by bench/setup.sh from Debian): s6, runit, supervisord as
supervisors; tini, dumb-init, catatonit as PID 1; plus bare floors
(bench/helpers/floor.c, reaper.c) and otpd's own pure core (core_bench).
Each scenario runs the systems interleaved (A B C A B C ...), measured from
inside the children with CLOCK_MONOTONIC stamps (bench/helpers/stamp.c).

Prints one table and otpd's targets as PASS/FAIL lines (NOISY instead when
the machine was busy during the scenario: lib/load.py); writes
$BUILD/bench/results.txt ("metric system value unit" per line, the
machine's load per scenario as "machine_SCENARIO MEASURE value unit") and
$BUILD/bench/table.md.  Everything it starts runs in a cgroup of its own
below the cgroup2 mount and is killed and removed at the end, also on
SIGINT, SIGTERM and SIGHUP.
"""
import argparse
import datetime
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import load, report                    # noqa: E402
from lib.core import Ctx                         # noqa: E402
from peers.floors import StartFloor               # noqa: E402
from peers.inits import Catatonit, DumbInit, Reaper, Tini   # noqa: E402
from peers.otpd import Otpd, OtpdInit            # noqa: E402
from peers.runit import Runit                    # noqa: E402
from peers.s6 import S6                          # noqa: E402
from peers.supervisord import Supervisord        # noqa: E402
from scenarios import control, idle, logs, overlap, pid1, reexec, restart, scale, shutdown, start  # noqa: E402,E501

SCENARIOS = ["core", "restart", "start", "idle", "pid1", "control", "overlap", "shutdown", "logs",
             "scale", "reexec"]


class Interrupted(Exception):
    pass


def on_signal(sig, frame):
    raise Interrupted(signal.Signals(sig).name)


def available(ctx, systems):
    out = []
    for s in systems:
        why = s.missing()
        if why:
            ctx.missing[s.name] = why
        else:
            out.append(s)
    return out


def core(ctx):
    r = subprocess.run([f"{ctx.b}/bench/core_bench"], capture_output=True, text=True, timeout=300)
    for line in r.stdout.splitlines():
        f = line.split()
        if f and f[0] == "metric" and len(f) == 5:
            ctx.value(f[1], f[2], float(f[3]), f[4])


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return f"{platform.node()}: {cpus} CPU ({model}), Linux {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    ap.add_argument("--only", default=",".join(SCENARIOS))
    ap.add_argument("--noisy-psi", type=float, default=load.PSI_MIN,
                    help="noisy when CPU pressure 'some' over a scenario is at least this (%%)")
    ap.add_argument("--noisy-others", type=float, default=load.OTHERS_MIN,
                    help="... and others used at least this share of the CPUs")
    args = ap.parse_args()
    load.PSI_MIN, load.OTHERS_MIN = args.noisy_psi, args.noisy_others
    only = args.only.split(",")
    build = os.environ.get("BUILD", "build")
    out_dir = os.path.join(build, "bench")
    if os.geteuid() != 0:
        sys.exit("bench: needs root (cgroups, PID namespaces)")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    ctx = Ctx(build, quick=args.quick)
    # make bench has just linked otpd: until writeback (30 s here) its pages
    # are dirty page cache and count as Private_Dirty, which added ~280 KiB
    # to the first memory figure (mem_10) and skewed mem_child and mem_base.
    os.sync()
    t_start = time.monotonic()
    try:
        otpd = Otpd()
        peers = available(ctx, [S6(), Runit(), Supervisord()])
        inits = [OtpdInit()] + available(ctx, [Tini(), DumbInit(), Catatonit()]) + [Reaper()]
        steps = {
            "core": lambda: core(ctx),
            "restart": lambda: restart.run(ctx, otpd, peers),
            "start": lambda: start.run(ctx, [otpd, Otpd(cgroup=True, name="otpd-cg")]
                                       + available(ctx, [Otpd(static=True, name="otpd-static")])
                                       + peers + [StartFloor(True), StartFloor(False),
                                                  StartFloor(cgroup=True)]),
            "idle": lambda: idle.run(ctx, [otpd] + peers, inits[1:-1]),
            "pid1": lambda: pid1.run(ctx, inits),
            "control": lambda: control.run(ctx),
            "overlap": lambda: overlap.run(ctx),
            "shutdown": lambda: shutdown.run(ctx, [otpd] + available(ctx, [
                Otpd(parallel=True, name="otpd-par")]) + [Otpd(dynamic=True, name="otpd-dyn")]
                + peers),
            "logs": lambda: logs.run(ctx, [n for n in ("s6-log", "svlogd") if shutil.which(n)]),
            "scale": lambda: scale.run(ctx),
            "reexec": lambda: reexec.run(ctx),
        }
        for name in SCENARIOS:
            if name in only:
                print(f"bench: {name} ...", flush=True)
                ctx.scenario = name
                mon = load.Monitor(ctx.cg.path)
                try:
                    steps[name]()
                finally:
                    ctx.loads[name] = r = mon.stop()
                    ctx.scenario = None
                print(f"bench: {name} done in {r['wall']:.0f} s; {load.summary(r)}"
                      f"{' (noisy)' if r['noisy'] else ''}", flush=True)
    except Interrupted as e:
        print(f"bench: interrupted ({e}), cleaning up", file=sys.stderr)
        ctx.close()
        sys.exit(130)
    finally:
        ctx.close()
    ctx.finish_results()
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    head = f"make bench, {when}, {machine()}, {time.monotonic() - t_start:.0f} s"
    print()
    print(head)
    print(report.text_table(ctx))
    print()
    print(report.text_machine(ctx))
    for name, why in ctx.missing.items():
        print(f"MISSING {name}: {why}")
    tg = report.targets(ctx)
    print()
    for ok, text in tg:
        print(f"{ok} {text}")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.txt"), "w") as f:
        f.write("\n".join(report.results_lines(ctx)) + "\n")
    with open(os.path.join(out_dir, "table.md"), "w") as f:
        f.write(f"{head}\n\n{report.md_table(ctx)}\n\n{report.md_machine(ctx)}\n\n")
        for name, why in ctx.missing.items():
            f.write(f"- MISSING {name}: {why}\n")
        f.write("\n".join(f"- {ok} {text}" for ok, text in tg) + "\n")
    print(f"\nresults: {out_dir}/results.txt, table: {out_dir}/table.md")


if __name__ == "__main__":
    main()
