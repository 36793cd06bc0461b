"""scale.py: issue 18's scale figures.  10,000 workers started and
supervised on the machine's default limits; `otpd --check` and
`otpctl reload` of 40,000 nodes.

10,000 workers (scale_*): one otpd, N workers running the stamp helper
("stay"), launched under the limits the bench itself has (never raised:
otpd runs as a plain service would; what otpd does with its own soft
RLIMIT_NOFILE is its business and is shown in the notes, read from
/proc/PID/limits).  Four variants, each once (a 10,000 start is 20-40 s
here): otpd and otpd-cg (each worker in a cgroup of its own, as in
start.py) with the default output (`stdout = log`: stdout and stderr
apart, two pipes otpd holds the read ends of), otpd with `stderr =
stdout` (otpd-merged: one pipe) and otpd-cg with `stdout = null`
(otpd-cg-null: no pipe), to tell the cost of the pipes from the rest.

  scale_started      workers that reached main() before otpd gave up, or N
  scale_start        launch -> the N-th worker in main() (its own stamp)
  scale_start_first1k, scale_start_last1k   launch -> the 1,000th in main(),
                     and the time the last 1,000 that started took (also
                     when otpd gave up before N): a start whose cost grows
                     with what otpd holds shows here
  scale_fds          otpd's open fds (/proc/PID/fd) with N running
  scale_fds_worker   the same over N
  scale_mem          otpd's private memory (core.private_kib) with N running
  scale_restart_100  100 random workers SIGKILLed at once -> the 100th
                     replacement in main(), KILL_ROUNDS times
  scale_status       `otpctl status` of the whole tree (the command's whole
                     run), STATUS_REPS times
  scale_shutdown     SIGTERM to otpd -> its cgroup empty (OTP's order: one
                     worker at a time, last started first)

A variant that does not reach N is a finding: the number started, otpd's
first error line and the limits go into the note and its target FAILs.

40,000 nodes (check_40k, reload_*): a generated tree of 1 root, SUPS
supervisors (nested up to 6 deep, all three strategies) and the rest
workers with a mix of keys (restart types, shutdown, restart_delay, env,
stop_signal, workdir, nice, rlimit_core).  RUNNING of the workers run the
stamp helper; the others are one-shots (`exec = /bin/true`, transient,
`stdout = null`).

  check_40k          `otpd --check -c FILE`, wall time (its tree to /dev/null)
  check_40k_rss      its peak RSS (wait4's ru_maxrss)
  check_40k_cpu      its CPU time (user + system, wait4): what a busy
                     machine changes least
  check_40k_wide     `otpd --check` of 40,000 nodes in another shape: a
                     supervisor of 20,000 workers, then 19,998 workers under
                     the root (11 s before the warnings found a parent by
                     its index: bench/PROFILE.md, "Scale")

A running otpd cannot hold 40,000 nodes by booting them on this machine:
every worker is started at boot, 39,600 processes do not fit in pid_max
(32,768 here), and one-shots that exit are not reaped before the boot ends
(bench/PROFILE.md, "Scale").  So otpd boots the supervisors and the RUNNING
workers, and `otpctl reload --keep-running` (OTP's form: specs swapped,
nothing started) brings the tree to the 40,000-node file; its other
workers are in the tree, not running (as after their one run).  Then:

  reload_grow        that `reload --keep-running`: 800 -> 40,000 nodes
  reload_40k_same    `otpctl reload` of the same 40,000-node file (nothing
                     changes: the parse and the diff alone)
  reload_40k         `otpctl reload` to a file where ~1% of the workers
                     changed (env: a process-level key, so the running ones
                     among them restart), 100 were added (one-shots: started)
                     and 100 removed (a few of them running: stopped), and
                     back, RELOAD_REPS times; from the request to its answer
                     (the command's whole run)
  reload_40k_cpu     otpd's CPU time during each of those (user + system,
                     /proc/PID/stat: 10 ms ticks)
  reload_status      `otpctl status NAME` (a running worker), back to back,
                     while nothing else happens
  reload_status_max  the same, run back to back in a thread during each
                     reload_40k: the slowest that overlapped a reload (the
                     event loop's responsiveness during a reload)
  reload_rss         otpd's peak RSS (VmHWM) after the reloads
"""
import os
import random
import subprocess
import threading
import time

from lib.core import count_tag, now_ns, private_kib, read_stamps, wait_count
from peers.otpd import OtpdRun, conf_text
from scenarios.start import timed_cmd

N = 10000
KILL = 100
KILL_ROUNDS = 3
STATUS_REPS = 5
NODES = 40000
SUPS = 400
RUNNING = 400
CHANGED = 400           # ~1% of the workers
ADDED = 100
REMOVED = 100
RELOAD_REPS = 3
CHECK_REPS = 5
VARIANTS = (("otpd", False, []), ("otpd-cg", True, []),
            ("otpd-merged", False, ["stderr = stdout"]), ("otpd-cg-null", True, ["stdout = null"]))


# --- /proc -----------------------------------------------------------------------


def limit(pid, what):
    """(soft, hard) of "Max open files" etc. from /proc/PID/limits."""
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith(what):
                    w = line[len(what):].split()
                    return w[0], w[1]
    except OSError:
        pass
    return "?", "?"


def limits_text(pid="self"):
    nf, npr = limit(pid, "Max open files"), limit(pid, "Max processes")
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            pm = f.read().strip()
    except OSError:
        pm = "?"
    return f"RLIMIT_NOFILE {nf[0]}:{nf[1]}, RLIMIT_NPROC {npr[0]}:{npr[1]}, pid_max {pm}"


def nfds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def status_kib(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_ms(pid):
    """utime + stime of pid so far (ms, in clock ticks: 10 ms here)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            w = f.read().rsplit(")", 1)[1].split()
        return (int(w[11]) + int(w[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def first_error(path):
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if ": error:" in line or line.startswith("otpd: fatal"):
                    return line.strip()
    except OSError:
        pass
    return "no error line from otpd"


# --- 10,000 workers ----------------------------------------------------------------


def wait_start(run, f, n, timeout):
    """Until n workers stamped (True) or otpd ended or timeout; the most
    fds otpd had meanwhile (sampled about once a second)."""
    end = time.monotonic() + timeout
    next_fd, most = 0, 0
    while True:
        c = count_tag(f, "s")
        if c >= n:
            return True, most
        if not run.alive() or time.monotonic() > end:
            return False, most
        if time.monotonic() > next_fd:
            most = max(most, nfds(run.p.pid) or 0)
            next_fd = time.monotonic() + 1
        time.sleep(0.02)


def kill_some(ctx, name, run, f, rnd, dead):
    """SIGKILL KILL random live workers at once (dead: the pids killed
    before); until all are back."""
    pids = sorted({pid for tag, _, pid in read_stamps(f) if tag == "s"} - dead)
    victims = rnd.sample(pids, KILL)
    dead.update(victims)
    before = count_tag(f, "s")
    t0 = now_ns()
    for pid in victims:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    end = time.monotonic() + 60
    while count_tag(f, "s") < before + KILL and run.alive() and time.monotonic() < end:
        time.sleep(0.005)
    new = [ns for tag, ns, _ in read_stamps(f) if tag == "s" and ns > t0]
    if len(new) < KILL:
        print(f"  scale: {name}: {len(new)} of {KILL} killed workers restarted")
        ctx.note("scale_restart_100", name, f"only {len(new)} of {KILL} back in a round")
        return
    ctx.sample("scale_restart_100", name, [(max(new) - t0) / 1e6], "ms")


def ten_k(ctx, name, cgroup, keys, rnd):
    d = ctx.dir(f"scale-{name}")
    cg = ctx.cgroup(f"scale-{name}")
    f = f"{d}/stamps"
    base = cg.sub("workers").path if cgroup else None
    conf = conf_text(ctx, d, [[ctx.stamp, f, "stay"]] * N, base,
                     worker_keys=keys)
    err = os.path.join(d, "err")
    t0 = now_ns()
    p = ctx.spawn([ctx.otpd, "-c", conf], cg, err=open(err, "w"))
    run = OtpdRun(ctx, p, cg, d)
    try:
        ok, most = wait_start(run, f, N, timeout=300)
        started = count_tag(f, "s")
        ctx.value("scale_started", name, started, "workers")
        st = sorted(ns for tag, ns, _ in read_stamps(f) if tag == "s")
        if len(st) >= 2000:
            ctx.value("scale_start_first1k", name, (st[999] - t0) / 1e6, "ms")
            ctx.value("scale_start_last1k", name, (st[-1] - st[-1001]) / 1e6, "ms")
        if not ok:
            rc = p.poll()
            why = (f"{first_error(err)}; otpd "
                   + (f"exited {rc}" if rc is not None else "still running (timeout)")
                   + f"; most fds seen {most:,}")
            ctx.note("scale_started", name, why)
            print(f"  scale: {name}: started {started:,} of {N:,}: {why}")
            return
        ctx.value("scale_start", name, (st[-1] - t0) / 1e6, "ms")
        time.sleep(0.5)
        n_fd = nfds(p.pid)
        ctx.value("scale_fds", name, n_fd, "fds")
        ctx.value("scale_fds_worker", name, n_fd / N, "fds")
        ctx.value("scale_mem", name, private_kib(p.pid), "KiB")
        soft, hard = limit(p.pid, "Max open files")
        ctx.note("scale_started", name, f"otpd's own RLIMIT_NOFILE {soft}:{hard}")
        dead = set()
        for _ in range(KILL_ROUNDS):
            kill_some(ctx, name, run, f, rnd, dead)
        time.sleep(0.5)
        after = nfds(p.pid)
        if after != n_fd:
            ctx.note("scale_fds", name, f"{after:,} after the {KILL} restarts")
        argv = [ctx.otpctl, "-s", run.sock(), "status"]
        t = [timed_cmd(argv) for _ in range(STATUS_REPS)]
        if None in t:
            print(f"  scale: {name}: otpctl status failed")
        ctx.sample("scale_status", name, [x for x in t if x is not None], "ms")
        t0 = now_ns()
        run.stop()
        if cg.wait_empty(300):
            ctx.value("scale_shutdown", name, (now_ns() - t0) / 1e6, "ms")
        else:
            print(f"  scale: {name}: not stopped in 300 s")
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            rc = None
        if rc != 0:
            ctx.note("scale_shutdown", name, f"otpd exited {rc}")
    finally:
        run.kill()


# --- 40,000 nodes --------------------------------------------------------------------


class Tree:
    """The generated 40,000-node tree, its small form (supervisors and the
    running workers only) and its changed form."""

    def __init__(self, ctx, d, seed=18):
        self.ctx, self.d = ctx, d
        self.stamps = f"{d}/stamps"
        rnd = random.Random(seed)
        self.parents = []
        for i in range(SUPS):
            self.parents.append("root" if i < 20 else f"s{rnd.randrange(20 + (i - 20) // 2)}")
        nw = NODES - 1 - SUPS
        step = nw // RUNNING
        self.workers = [(f"w{j}", f"s{j % SUPS}", j % step == 0 and j // step < RUNNING, j)
                        for j in range(nw)]
        running = [w for w in self.workers if w[2]]
        stopped = [w for w in self.workers if not w[2]]
        # The changed form: a few running workers among each set (RUNNING >= 10).
        self.removed = {w[0] for w in rnd.sample(running, 4) + rnd.sample(stopped, REMOVED - 4)}
        keep = [w for w in self.workers if w[0] not in self.removed]
        self.changed = {w[0] for w in rnd.sample([w for w in keep if w[2]], 4)
                        + rnd.sample([w for w in keep if not w[2]], CHANGED - 4)}
        self.added = [(f"n{k}", f"s{rnd.randrange(SUPS)}", False, k) for k in range(ADDED)]
        self.probe = next(w[0] for w in keep if w[2] and w[0] not in self.changed)

    def worker(self, name, parent, running, j, changed=False):
        out = [f"[worker {name}]", f"parent = {parent}"]
        if running:
            out += [f"exec = {self.ctx.stamp} {self.stamps} stay", "restart = permanent"]
        else:
            out += ["exec = /bin/true", "restart = transient", "stdout = null"]
        k = j % 10
        out += {1: ["shutdown = 2s"], 2: ["shutdown = brutal_kill"],
                3: ["restart_delay = 100ms"], 4: [f"env = JOB={j} MODE=prod"],
                5: [f"env = JOB={j}"], 6: ["stop_signal = SIGINT"], 7: ["workdir = /tmp"],
                8: ["nice = 5"], 9: ["rlimit_core = 0"]}.get(k, [])
        if changed:
            out.append("env = CHANGED=1")
        return out

    def write(self, path, form):
        """form: "small", "full" or "changed"."""
        lines = ["[otpd]", f"run_dir = {self.d}/run", "cgroup = off",
                 "[supervisor root]", "intensity = 1000000", "period = 1s",
                 "shutdown_order = parallel"]
        for i, parent in enumerate(self.parents):
            lines += [f"[supervisor s{i}]", f"parent = {parent}",
                      "strategy = " + ("one_for_one", "rest_for_one", "one_for_all")[i % 3],
                      f"intensity = {10 + i % 7}", f"period = {5 + i % 11}s",
                      "shutdown_order = parallel"]
        for name, parent, running, j in self.workers:
            if form == "small" and not running:
                continue
            if form == "changed" and name in self.removed:
                continue
            lines += self.worker(name, parent, running, j,
                                 changed=form == "changed" and name in self.changed)
        if form == "changed":
            for name, parent, running, j in self.added:
                lines += self.worker(name, parent, running, j)
        tmp = path + ".new"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(tmp, path)


def write_wide(path, d):
    """40,000 nodes in the shape that made --check quadratic (a parent
    found by scanning back over a big sibling subtree): a supervisor with
    20,000 workers, then 19,998 workers under the root."""
    lines = ["[otpd]", f"run_dir = {d}/run", "cgroup = off", "[supervisor root]",
             "shutdown_order = parallel", "[supervisor a]", "shutdown_order = parallel"]
    for j in range(NODES // 2):
        lines += [f"[worker a{j}]", "parent = a", "exec = /bin/true"]
    for j in range(NODES - 2 - NODES // 2):
        lines += [f"[worker r{j}]", "exec = /bin/true"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def timed_check(ctx, conf):
    """(wall ms, peak RSS KiB, CPU ms) of `otpd --check -c conf`; None on failure."""
    null = os.open(os.devnull, os.O_WRONLY)
    fa = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
    t0 = now_ns()
    pid = os.posix_spawn(ctx.otpd, [ctx.otpd, "--check", "-c", conf], os.environ,
                         file_actions=fa)
    _, st, ru = os.wait4(pid, 0)
    t1 = now_ns()
    os.close(null)
    if os.waitstatus_to_exitcode(st) != 0:
        return None
    return (t1 - t0) / 1e6, ru.ru_maxrss, (ru.ru_utime + ru.ru_stime) * 1000


class Probe(threading.Thread):
    """`otpctl status NAME` back to back: [(start_ns, end_ns)]."""

    def __init__(self, argv):
        super().__init__(daemon=True)
        self.argv, self.spans, self.stop, self.failed = argv, [], threading.Event(), 0

    def run(self):
        while not self.stop.is_set():
            t0 = now_ns()
            if timed_cmd(self.argv) is None:
                self.failed += 1
            self.spans.append((t0, now_ns()))


def timed_reload(run, *args):
    """(ms, stdout) of one `otpctl reload`, or (None, why)."""
    t0 = now_ns()
    r = run.ctl("reload", *args)
    ms = (now_ns() - t0) / 1e6
    return (ms, r.stdout) if r.returncode == 0 else (None, (r.stderr or r.stdout).strip()[-300:])


def forty_k(ctx):
    d = ctx.dir("scale-40k")
    tree = Tree(ctx, d)
    conf, full, changed = f"{d}/otp.conf", f"{d}/full.conf", f"{d}/changed.conf"
    tree.write(full, "full")
    tree.write(changed, "changed")
    res = [timed_check(ctx, full) for _ in range(CHECK_REPS)]
    if None in res:
        print("  scale: otpd --check of 40,000 nodes failed")
    ctx.sample("check_40k", "otpd", [r[0] for r in res if r], "ms")
    ctx.sample("check_40k_rss", "otpd", [r[1] / 1024 for r in res if r], "MiB")
    ctx.sample("check_40k_cpu", "otpd", [r[2] for r in res if r], "ms")
    write_wide(f"{d}/wide.conf", d)
    res = [timed_check(ctx, f"{d}/wide.conf") for _ in range(CHECK_REPS)]
    if None in res:
        print("  scale: otpd --check of 40,000 nodes (wide) failed")
    ctx.sample("check_40k_wide", "otpd", [r[0] for r in res if r], "ms")

    cg = ctx.cgroup("scale-40k")
    tree.write(conf, "small")
    p = ctx.spawn([ctx.otpd, "-c", conf], cg, err=open(f"{d}/err", "w"))
    run = OtpdRun(ctx, p, cg, d)
    try:
        if not run.wait_socket(120) or not wait_count(tree.stamps, "s", RUNNING, 120,
                                                      alive=run.alive):
            print(f"  scale: 40k: otpd did not boot: {first_error(d + '/err')}")
            return
        os.rename(full, conf)
        ms, out = timed_reload(run, "--keep-running")
        if ms is None:
            print(f"  scale: reload --keep-running to 40,000 nodes failed: {out}")
            return
        ctx.value("reload_grow", "otpd", ms, "ms")
        ms, out = timed_reload(run)
        if ms is None:
            print(f"  scale: reload of the same 40,000 nodes failed: {out}")
            return
        ctx.value("reload_40k_same", "otpd", ms, "ms")
        probe_argv = [ctx.otpctl, "-s", run.sock(), "status", tree.probe]
        idle = [timed_cmd(probe_argv) for _ in range(20)]
        ctx.sample("reload_status", "otpd", [x for x in idle if x is not None], "ms")
        forms = [changed, f"{d}/back.conf"]
        tree.write(forms[1], "full")
        said = None
        for i in range(RELOAD_REPS if not ctx.quick else 2):
            src = forms[i % 2]
            with open(src) as fi, open(conf + ".new", "w") as fo:
                fo.write(fi.read())
            os.rename(conf + ".new", conf)
            probe = Probe(probe_argv)
            probe.start()
            time.sleep(0.05)
            a, c = now_ns(), cpu_ms(p.pid)
            ms, out = timed_reload(run)
            b, c = now_ns(), cpu_ms(p.pid) - c
            time.sleep(0.05)
            probe.stop.set()
            probe.join(30)
            if ms is None:
                print(f"  scale: reload {i + 1} of 40,000 nodes failed: {out}")
                return
            ctx.sample("reload_40k", "otpd", [ms], "ms")
            ctx.sample("reload_40k_cpu", "otpd", [c], "ms")
            over = [(e - s) / 1e6 for s, e in probe.spans if e > a and s < b]
            if over:
                ctx.sample("reload_status_max", "otpd", [max(over)], "ms")
            if probe.failed:
                ctx.note("reload_status_max", "otpd", f"{probe.failed} status calls failed")
            if i == 0:
                said = summary(out)
        if said:
            ctx.note("reload_40k", "otpd", said)
        hwm = status_kib(p.pid, "VmHWM")
        if hwm:
            ctx.value("reload_rss", "otpd", hwm / 1024, "MiB")
    finally:
        run.kill()


def summary(out):
    """"added 100, removed 100, ..." from otpctl reload's lines."""
    counts = {}
    for line in out.splitlines():
        w = line.split()
        if w and w[0] in ("added", "removed", "restarted", "changed"):
            counts[w[0]] = counts.get(w[0], 0) + 1
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or out.strip()[:80]


def run(ctx):
    ctx.note("scale_started", "limits", limits_text())
    rnd = random.Random(18)
    for name, cgroup, keys in VARIANTS:
        ten_k(ctx, name, cgroup, keys, rnd)
    forty_k(ctx)
