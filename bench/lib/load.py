"""load.py: how busy the machine was while a scenario ran.

The bench shares its machine (here 2 CPUs with other sessions' builds and
tests): a busy minute can turn a PASS into a FAIL or back.  Each scenario
runs under a Monitor, which records

  load1        /proc/loadavg, 1-minute load: at the start and the largest
               seen (sampled once a second);
  some10       /proc/pressure/cpu "some avg10": the largest seen (%);
  some         the same pressure over the whole scenario: the growth of its
               "some total" (some_us, us) over the wall time (%): the share
               of the time at least one runnable task waited for a CPU;
  own          that share for the bench's own tasks (cpu.pressure of the
               bench's cgroup: everything it started, itself included);
  others       CPU time used by everything else (the machine's busy time
               from /proc/stat, steal included, less the bench's cgroup
               usage), in CPUs: 0.5 = half a CPU on average.

A scenario is noisy when both (a) tasks waited for a CPU (some >= PSI_MIN)
and (b) the waiting was not only the bench's own doing (others >= OTHERS_MIN
of the machine's CPUs).  The bench's own load alone (8 callers on 2 CPUs)
is the same in a quiet rerun, so it never makes a scenario noisy; a busy
neighbour that left the CPUs idle enough for us does not either.  Timed
targets measured in a noisy scenario print NOISY instead of PASS/FAIL;
memory and idle targets do not depend on CPU load and always get a verdict.
"""
import os
import threading
import time

PSI_MIN = 10.0          # % of the scenario's time some task waited for a CPU
OTHERS_MIN = 0.10       # share of the machine's CPUs used by others
SAMPLE_S = 1.0


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def load1():
    t = _read("/proc/loadavg")
    return float(t.split()[0]) if t else None


def psi_some(path="/proc/pressure/cpu"):
    """(avg10 %, total us) of the "some" line, or (None, None)."""
    t = _read(path)
    if not t:
        return None, None
    for line in t.splitlines():
        f = line.split()
        if f and f[0] == "some":
            kv = dict(x.split("=", 1) for x in f[1:])
            return float(kv["avg10"]), int(kv["total"])
    return None, None


def busy_s():
    """CPU seconds the whole machine has been busy (all CPUs, steal included)."""
    t = _read("/proc/stat")
    if not t:
        return None
    f = t.splitlines()[0].split()
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cg_usage_s(cg):
    t = _read(os.path.join(cg, "cpu.stat"))
    if not t:
        return None
    for line in t.splitlines():
        k, v = line.split()
        if k == "usage_usec":
            return int(v) / 1e6
    return None


class Snap:
    def __init__(self, cg):
        self.t = time.monotonic()
        self.load1 = load1()
        self.some10, self.some_total = psi_some()
        self.own_total = psi_some(os.path.join(cg, "cpu.pressure"))[1]
        self.busy = busy_s()
        self.own_cpu = cg_usage_s(cg)


def _pct(a, b, wall):
    return None if a is None or b is None or wall <= 0 else 100 * (b - a) / 1e6 / wall


class Monitor:
    """Samples the machine's load while a scenario runs; .result() after stop()."""

    def __init__(self, cg):
        self.cg = cg
        self.ncpu = os.cpu_count() or 1
        self.a = Snap(cg)
        self.max_load1, self.max_some10 = self.a.load1, self.a.some10
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(SAMPLE_S):
            self._note(load1(), psi_some()[0])

    def _note(self, l1, s10):
        if l1 is not None:
            self.max_load1 = max(self.max_load1 or 0, l1)
        if s10 is not None:
            self.max_some10 = max(self.max_some10 or 0, s10)

    def stop(self):
        self._stop.set()
        self._thread.join()
        self.b = Snap(self.cg)
        self._note(self.b.load1, self.b.some10)
        return self.result()

    def result(self):
        a, b = self.a, self.b
        wall = b.t - a.t
        others = None
        if None not in (a.busy, b.busy, a.own_cpu, b.own_cpu) and wall > 0:
            others = max(0.0, (b.busy - a.busy) - (b.own_cpu - a.own_cpu)) / wall
        r = {
            "wall": wall,
            "load1": a.load1,
            "load1_max": self.max_load1,
            "some10_max": self.max_some10,
            "some": _pct(a.some_total, b.some_total, wall),
            "some_us": None if None in (a.some_total, b.some_total) else b.some_total - a.some_total,
            "own_us": None if None in (a.own_total, b.own_total) else b.own_total - a.own_total,
            "own": _pct(a.own_total, b.own_total, wall),
            "others": others,
            "ncpu": self.ncpu,
        }
        r["noisy"] = noisy(r)
        return r


def noisy(r):
    """The rule in the module comment; unknown (no PSI) counts as quiet."""
    if r["some"] is None or r["others"] is None:
        return False
    return r["some"] >= PSI_MIN and r["others"] >= OTHERS_MIN * r["ncpu"]


def summary(r):
    """One short text: 'cpu some 23% (own 4%), others 0.61 CPU, load 3.5'."""
    def f(x, spec):
        return "?" if x is None else format(x, spec)
    return (f"cpu some {f(r['some'], '.0f')}% (own {f(r['own'], '.0f')}%), "
            f"others {f(r['others'], '.2f')} CPU, load {f(r['load1_max'], '.1f')}")
