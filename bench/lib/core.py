"""core.py: what every scenario of make bench shares.

Ctx holds the run: the build paths, a private temporary directory, the
bench's own cgroup2 directory (every system under test runs in a cgroup
below it, so that everything it started can be found, frozen, killed and
counted), the samples and the machine-readable results.

Cleanup: every process is started through Ctx.spawn into a cgroup of ours;
Ctx.close() kills what is left through cgroup.kill (and by pid), waits for
the cgroups to empty and removes them, and removes the temporary
directory.  bench.py calls it from a finally block and turns SIGINT,
SIGTERM and SIGHUP into an exception, so this also runs when interrupted.

The bench itself (this process, and what it runs directly: otpctl, perf,
core_bench) runs in a leaf of that cgroup, "bench", so that the CPU it and
everything it started used can be told from what the rest of the machine
used (lib/load.py); Ctx.close() moves it back where it came from before
removing anything.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

CG2_FALLBACK = "/sys/fs/cgroup"


def now_ns():
    return time.monotonic_ns()


def cgroup2_mount():
    """Where cgroup2 is mounted (from /proc/self/mountinfo), or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    return None


class Cgroup:
    """A cgroup2 directory of ours."""

    def __init__(self, path):
        self.path = path
        os.makedirs(path, exist_ok=True)

    def sub(self, name):
        return Cgroup(os.path.join(self.path, name))

    def procs(self):
        """Pids in this cgroup and below."""
        out = []
        for d, _, _ in os.walk(self.path):
            try:
                with open(os.path.join(d, "cgroup.procs")) as f:
                    out += [int(x) for x in f.read().split()]
            except OSError:
                pass
        return out

    def populated(self):
        with open(os.path.join(self.path, "cgroup.events")) as f:
            for line in f:
                k, v = line.split()
                if k == "populated":
                    return v == "1"
        return False

    def wait_empty(self, timeout):
        """Until nothing runs in it (zombies do not count); True if so."""
        end = time.monotonic() + timeout
        while self.populated():
            if time.monotonic() > end:
                return False
            time.sleep(0.0005)
        return True

    def kill(self):
        try:
            with open(os.path.join(self.path, "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            for pid in self.procs():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def remove(self):
        """Kill what is left, wait, rmdir depth-first."""
        if not os.path.isdir(self.path):
            return
        self.kill()
        self.wait_empty(10)
        for d, _, _ in sorted(os.walk(self.path), key=lambda t: -len(t[0])):
            for _ in range(200):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def stats(values):
    v = sorted(values)
    n = len(v)
    if not n:
        return None

    def pct(p):
        return v[min(n - 1, int(n * p / 100))]
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return {"n": n, "p50": med, "p99": pct(99), "min": v[0], "max": v[-1]}


# Few samples: min/median/max; many: median and p99.
FEW = 20


class Ctx:
    def __init__(self, build, quick=False):
        self.b = os.path.abspath(build)
        self.quick = quick
        self.otpd = f"{self.b}/otpd"
        self.otpctl = f"{self.b}/otpctl"
        self.stamp = f"{self.b}/bench/stamp"
        self.floor = f"{self.b}/bench/floor"
        self.reaper = f"{self.b}/bench/reaper"
        self.orphans = f"{self.b}/bench/orphans"
        self.tmp = tempfile.mkdtemp(prefix="otpd-bench.")
        self.procs = []
        self.samples = {}       # (metric, system) -> (values, unit)
        self.results = []       # (metric, system, value, unit)
        self.notes = {}         # (metric, system) -> text
        self.missing = {}       # system -> why
        self.seq = 0
        mnt = cgroup2_mount()
        if not mnt:
            raise SystemExit("bench: no cgroup2 mount: cannot contain what the bench starts")
        self.cg_mount = mnt
        self.cg = Cgroup(os.path.join(mnt, f"otpd-bench.{os.getpid()}"))
        self.scenario = None    # the one running (bench.py)
        self.where = {}         # (metric, system) -> scenario it was measured in
        self.loads = {}         # scenario -> lib.load result
        self.home = self.enter()

    # --- files and processes ------------------------------------------------

    def dir(self, name):
        self.seq += 1
        d = os.path.join(self.tmp, f"{self.seq:03d}-{name}")
        os.makedirs(d)
        return d

    def cgroup(self, name):
        self.seq += 1
        return self.cg.sub(f"{self.seq:03d}-{name}")

    def spawn(self, argv, cg, out=None, err=None, env=None, cwd=None):
        """Start argv inside cgroup cg (joined before exec)."""
        procs = os.path.join(cg.path, "cgroup.procs")

        def join():
            with open(procs, "w") as f:
                f.write("0")
        p = subprocess.Popen(argv, preexec_fn=join, stdin=subprocess.DEVNULL,
                             stdout=out or subprocess.DEVNULL,
                             stderr=err or subprocess.DEVNULL, env=env, cwd=cwd,
                             start_new_session=True)
        self.procs.append(p)
        return p

    def end(self, p, cg=None, timeout=10):
        """Stop p (TERM, then KILL), then whatever is left in cg."""
        if p and p.poll() is None:
            try:
                p.terminate()
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if cg:
            cg.remove()

    def enter(self):
        """Move this process into the leaf "bench"; the cgroup.procs file it
        came from (to go back to), or None when it stays where it is."""
        try:
            with open("/proc/self/cgroup") as f:
                rel = next(l.strip()[3:] for l in f if l.startswith("0::"))
            home = os.path.join(self.cg_mount, rel.lstrip("/"), "cgroup.procs")
            with open(os.path.join(self.cg.sub("bench").path, "cgroup.procs"), "w") as f:
                f.write("0")
            return home
        except (OSError, StopIteration):
            return None

    def leave(self):
        """Back to where enter() found this process: True when out of our cgroups."""
        if not self.home:
            return True
        try:
            with open(self.home, "w") as f:
                f.write("0")
            self.home = None
            return True
        except OSError as e:
            print(f"bench: cannot leave {self.cg.path}: {e}", flush=True)
            return False

    def close(self):
        if not self.leave():
            # Never kill ourselves: remove what the systems ran in, keep "bench".
            for p in self.procs:
                if p.poll() is None:
                    p.kill()
            for d in sorted(os.listdir(self.cg.path)):
                full = os.path.join(self.cg.path, d)
                if d != "bench" and os.path.isdir(full):
                    Cgroup(full).remove()
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        for p in self.procs:
            if p.poll() is None:
                try:
                    p.kill()
                except OSError:
                    pass
        self.cg.remove()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- results ----------------------------------------------------------------

    def sample(self, metric, system, values, unit):
        """Record samples; results get p50/p99 or min/median/max."""
        vals, _ = self.samples.setdefault((metric, system), ([], unit))
        vals.extend(values)
        if self.scenario:
            self.where[(metric, system)] = self.scenario

    def value(self, metric, system, value, unit):
        self.sample(metric, system, [value], unit)

    def note(self, metric, system, text):
        self.notes[(metric, system)] = text

    def finish_results(self):
        for (metric, system), (vals, unit) in self.samples.items():
            s = stats(vals)
            if not s:
                continue
            if s["n"] == 1:
                self.results.append((metric, system, s["p50"], unit))
            elif s["n"] >= FEW:
                self.results.append((metric + "_p50", system, s["p50"], unit))
                self.results.append((metric + "_p99", system, s["p99"], unit))
            else:
                for k in ("min", "p50", "max"):
                    self.results.append((f"{metric}_{'median' if k == 'p50' else k}", system,
                                         s[k], unit))
            self.results.append((metric + "_n", system, s["n"], "samples"))

    def stats(self, metric, system):
        e = self.samples.get((metric, system))
        return stats(e[0]) if e else None

    def load_of(self, metric, system="otpd"):
        """The lib.load result of the scenario metric was measured in, or None."""
        return self.loads.get(self.where.get((metric, system)))


# --- stamps ---------------------------------------------------------------------


def read_stamps(path):
    """[(tag, ns, pid)] in file order."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) >= 2:
                    out.append((p[0], int(p[1]), int(p[2]) if len(p) > 2 else 0))
    except FileNotFoundError:
        pass
    return out


def count_tag(path, tag):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return 0
    t = tag.encode()
    return data.count(b"\n" + t + b" ") + (1 if data.startswith(t + b" ") else 0)


def wait_count(path, tag, n, timeout, poll=0.002, alive=None):
    """Until `path` holds n lines tagged `tag`; True if so."""
    end = time.monotonic() + timeout
    while count_tag(path, tag) < n:
        if time.monotonic() > end or (alive and not alive()):
            return False
        time.sleep(poll)
    return True


def gaps_exit_to_start(path):
    """Exit stamp -> next start stamp, in ms (a restart each)."""
    out, last_e = [], None
    for tag, ns, _ in read_stamps(path):
        if tag == "s" and last_e is not None:
            out.append((ns - last_e) / 1e6)
            last_e = None
        elif tag == "e":
            last_e = ns
    return out


# --- /proc -----------------------------------------------------------------------


def private_kib(pid):
    """Private_Clean + Private_Dirty of pid, from /proc/PID/smaps, less the
    clean pages of files (program and library text): those count as
    private only while no other process maps the same file, which made a
    single process's figure swing by 800 KiB between runs on a shared
    machine (libsystemd, libgcrypt)."""
    kib, file_backed = 0, False
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                c = line[0]
                if c in "0123456789abcdef" and "-" in line.split(" ", 1)[0]:
                    parts = line.split(None, 5)
                    file_backed = len(parts) > 5 and parts[5].startswith("/")
                elif line.startswith("Private_Dirty:") or \
                        (line.startswith("Private_Clean:") and not file_backed):
                    kib += int(line.split()[1])
    except OSError:
        pass
    return kib


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def ctxt_switches(pid):
    n = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                    n += int(line.split()[1])
    except OSError:
        pass
    return n


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def wait_child(pid, timeout=5):
    """The first child of pid (e.g. the namespace init under unshare)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        c = children_of(pid)
        if c:
            return c[0]
        time.sleep(0.001)
    return None
