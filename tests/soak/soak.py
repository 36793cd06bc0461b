#!/usr/bin/env python3
"""soak.py: chaos against one otpd for a while, with invariants checked throughout.

    soak.py --build build [--seconds 600] [--seed N]

The tree (config A, or B on every other reload) has a supervisor of each
strategy (one_for_one, one_for_all, rest_for_one, simple_one_for_one), a
restart storm (a worker exiting 1 every 100 ms under a supervisor that
allows it), two mailbox workers, and workers printing numbered lines
(tests/helpers/tcount).  At once, in threads:
  killer     SIGKILL of a random worker's main process (through a pidfd,
             after checking it is otpd's child), sometimes of a whole
             supervisor's workers at once
  storms     otpctl restart of supervisors and workers
  reloader   otpctl reload, the config file switched between A and B
             (workers added, removed, restarted, respecced)
  freezer    otpctl freeze, then thaw (when otpd has cgroups)
  pool       otpctl start-child / stop (which removes) on the simple_one_for_one
  clients    status, count, logs -n, wait: every request answered in time,
             with an exit code that is not usage (2) or unreachable (3);
             logs show each pid's lines in order, none missing
  mailbox    otpctl call to the mailbox workers: the echo comes back, or
             the call fails while that worker was being killed or restarted
  monitor    every 0.5 s: otpd alive; no child of otpd a zombie for more
             than 2 s; every worker's process in its own cgroup (with
             cgroups); otpd's fd count and RSS sampled
After a warm-up (a quarter of the run, at most 60 s) and at the end, the
chaos pauses, the tree is brought back to config A with no dynamic
children, and otpd's fds and RSS are measured: the end may not exceed the
warm-up (fds: +2, RSS: +20% + 4 MiB).  Then otpd is stopped (SIGTERM, exit
0) and its stdout is read: every pid's lines are numbered 1, 2, ... with no
gap, and each ends with its clean-exit line unless the killer SIGKILLed it.

Exit 0 when every invariant held; otherwise the first broken one is printed
and the run directory kept in build/soak-fail-SEED/.
"""
import argparse
import os
import random
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Otpd, Hang  # noqa: E402

LINE = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[(\d+)\])?: tcount (\d+) (\d+)(?: (end|exit \d+))?$")
DROPPED = re.compile(r"otpd: (\d+) lines dropped")


class Failure(Exception):
    pass


def config(tc, te, variant):
    """The tree; variant 'B' adds, removes, restarts and respecs nodes."""
    b = variant == "B"
    return """
[supervisor root]
strategy = one_for_one
intensity = 1000000
period = 1s

[supervisor s-ofo]
strategy = one_for_one
intensity = 1000000
period = 1s

[worker ofo-1]
parent = s-ofo
exec = {tc} --every 20

[worker ofo-2]
parent = s-ofo
exec = {tc} --every 20
{ofo2_env}
{extra}
[supervisor s-ofa]
strategy = one_for_all
intensity = {ofa_int}
period = 1s

[worker ofa-1]
parent = s-ofa
exec = {tc} --every 20

[worker ofa-2]
parent = s-ofa
exec = {tc} --every 30

[supervisor s-rfo]
strategy = rest_for_one
intensity = 1000000
period = 1s

[worker rfo-1]
parent = s-rfo
exec = {tc} --every 20

[worker rfo-2]
parent = s-rfo
exec = {tc} --every 20

[worker rfo-3]
parent = s-rfo
exec = {tc} --every 20

[supervisor s-pool]
strategy = simple_one_for_one
intensity = 1000000
period = 1s

[worker pool-t]
parent = s-pool
exec = {tc} --every 40

[supervisor s-storm]
strategy = one_for_one
intensity = 1000000
period = 1s

[worker storm-1]
parent = s-storm
exec = {tc} --every 5 --exit-after {storm_ms} 1

[worker mb-1]
exec = {te}
mailbox = true

[worker mb-2]
exec = {te}
mailbox = true
""".format(tc=tc, te=te, ofo2_env="env = SOAK=B" if b else "",
           extra=("\n[worker extra-1]\nparent = s-ofo\nexec = %s --every 25\n" % tc) if b else "",
           ofa_int=999999 if b else 1000000, storm_ms=150 if b else 100)


class Soak:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.tc = os.path.abspath(os.path.join(a.build, "helpers", "tcount"))
        self.te = os.path.abspath(os.path.join(a.build, "helpers", "techo"))
        self.o = Otpd(os.path.abspath(os.path.join(a.build, "otpd")),
                      os.path.abspath(os.path.join(a.build, "otpctl")), prefix="otpd-soak")
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.pause = threading.Event()      # set: drivers hold still
        self.idle = {}                      # driver -> True while it holds still
        self.failure = None
        self.variant = "A"
        self.nodes = []                     # last status, flat
        self.sigkilled = set()              # pids the killer SIGKILLed
        self.disturbed = []                 # (name, t0, t1): killed or restarted then
        self.dynamic = set()
        self.frozen = set()
        self.counts = {}
        self.samples = []                   # (t, fds, rss_kb)
        self.requests = 0

    # --- plumbing -----------------------------------------------------------

    def fail(self, msg):
        with self.lock:
            if self.failure is None:
                self.failure = msg
        self.stop.set()

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def ctl(self, *args, timeout=15, ok=(0, 1, 4)):
        """otpctl ARGS; a request not answered in `timeout` s is a failure."""
        t0 = time.monotonic()
        try:
            rc, out, err = self.o.ctl(*args, timeout=timeout)
        except Hang as e:
            raise Failure(str(e))
        with self.lock:
            self.requests += 1
        if rc not in ok:
            raise Failure("otpctl %s: exit %d after %.1fs: %s" % (" ".join(args), rc,
                                                                time.monotonic() - t0, err.strip()[-300:]))
        return rc, out, err

    def refresh(self):
        nodes = self.o.nodes(timeout=15)
        with self.lock:
            self.nodes = nodes
        return nodes

    def workers(self, running=True):
        with self.lock:
            return [n for n in self.nodes if n["type"] == "worker" and (n.get("pid") or not running)]

    def disturb(self, name, t0, t1=None):
        with self.lock:
            self.disturbed.append((name, t0, t1 if t1 is not None else time.monotonic()))

    def was_disturbed(self, name, t0, t1):
        with self.lock:
            return any(n == name and a <= t1 + 1 and b >= t0 - 1 for n, a, b in self.disturbed)

    def driver(self, name, fn, every):
        """Run fn every `every` (lo, hi) seconds until the end; hold still on pause."""
        def loop():
            try:
                while not self.stop.is_set():
                    if self.pause.is_set():
                        self.idle[name] = True
                        time.sleep(0.05)
                        continue
                    self.idle[name] = False
                    fn()
                    self.count(name)
                    self.stop.wait(self.rng.uniform(*every))
            except Failure as e:
                self.fail("%s: %s" % (name, e))
            except Exception as e:  # a bug of the driver is a failure too
                self.fail("%s: %r" % (name, e))
            finally:
                self.idle[name] = True
        t = threading.Thread(target=loop, name=name, daemon=True)
        self.idle[name] = False
        t.start()
        return t

    # --- the chaos ----------------------------------------------------------

    def sigkill(self, pid, name):
        """SIGKILL pid only if it is still otpd's child (pidfd: no reuse race)."""
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return False
        try:
            with open("/proc/%d/stat" % pid) as f:
                st = f.read()
            if int(st[st.rindex(")") + 2:].split()[1]) != self.o.pid:
                return False
            t = time.monotonic()
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            with self.lock:
                self.sigkilled.add(pid)
            self.disturb(name, t)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    def kill_one(self):
        ws = self.workers()
        if self.rng.random() < 0.1:
            sup = self.rng.choice(["s-ofa", "s-rfo", "s-ofo"])
            for w in ws:
                if w["parent"] == sup:
                    self.sigkill(w["pid"], w["name"])
        elif ws:
            w = self.rng.choice(ws)
            self.sigkill(w["pid"], w["name"])

    def storm(self):
        target = self.rng.choice(["s-ofa", "s-rfo", "s-ofo", "ofo-1", "rfo-1", "mb-1", "mb-2", "s-storm"])
        t0 = time.monotonic()
        self.ctl("restart", target)
        for n in self.subtree(target):
            self.disturb(n, t0)

    def subtree(self, name):
        with self.lock:
            nodes = list(self.nodes)
        out, todo = [], [name]
        while todo:
            n = todo.pop()
            out.append(n)
            todo += [c["name"] for c in nodes if c["parent"] == n]
        return out

    def reload(self, variant=None):
        v = variant or ("B" if self.variant == "A" else "A")
        self.o.write_config(config(self.tc, self.te, v), otpd_keys="log_lines = 100\n")
        t0 = time.monotonic()
        rc, out, err = self.ctl("reload", timeout=30)
        if rc != 0 and "in progress" not in err:
            raise Failure("reload to %s refused: %s" % (v, err.strip()[-300:]))
        if rc == 0:
            self.variant = v
            for line in out.splitlines():
                parts = line.split()
                if parts and parts[0] in ("restarted", "removed"):
                    self.disturb(parts[-1], t0)
            self.disturb("ofo-2", t0)   # its env changes: restarted
        self.refresh()

    def freeze(self):
        if not self.o.cgbase:
            return
        name = self.rng.choice(["ofo-1", "rfo-2", "mb-2", "s-ofa"])
        rc, _, err = self.ctl("freeze", name, "--timeout", "3s")
        if rc == 0:
            with self.lock:
                self.frozen.add(name)
            self.stop.wait(self.rng.uniform(0.1, 1.0))
        self.thaw(name)

    def thaw(self, name):
        rc, _, err = self.ctl("thaw", name)
        with self.lock:
            self.frozen.discard(name)

    def pool(self):
        with self.lock:
            dyn = sorted(self.dynamic)
        if dyn and (len(dyn) >= 5 or self.rng.random() < 0.4):
            name = self.rng.choice(dyn)
            self.remove_dynamic(name)
        else:
            name = "d-%d" % self.rng.randrange(1000000)
            rc, _, _ = self.ctl("start-child", "s-pool", "--name", name)
            if rc == 0:
                with self.lock:
                    self.dynamic.add(name)

    def remove_dynamic(self, name):
        """Stopping a dynamic child removes it from the tree (otpctl(1))."""
        t0 = time.monotonic()
        self.ctl("stop", name, ok=(0,))
        self.disturb(name, t0)
        with self.lock:
            self.dynamic.discard(name)

    def check_logs(self, name, out):
        """The ring: per pid, numbers that follow each other."""
        last = {}
        for line in out.splitlines():
            m = re.search(r"tcount (\d+) (\d+)(?: (end|exit \d+))?$", line)
            if not m:
                continue
            pid, n, tail = int(m.group(1)), int(m.group(2)), m.group(3)
            if pid in last and not tail and n != last[pid] + 1 and n != 1:
                raise Failure("logs %s: pid %d line %d after %d" % (name, pid, n, last[pid]))
            last[pid] = n

    def client(self):
        ws = [w["name"] for w in self.workers(running=False)] or ["ofo-1"]
        r = self.rng.random()
        if r < 0.3:
            self.refresh()
        elif r < 0.4:
            self.ctl("count", "s-pool", "--json")
        elif r < 0.8:
            name = self.rng.choice(ws)
            rc, out, _ = self.ctl("logs", name, "-n", str(self.rng.choice([5, 20, 100])))
            if rc == 0:
                self.check_logs(name, out)
        else:
            self.ctl("wait", self.rng.choice(ws), "--state", "running", "--timeout", "2s")

    def mailbox(self):
        name = self.rng.choice(["mb-1", "mb-2"])
        msg = "soak-%d" % self.rng.randrange(1 << 30)
        t0 = time.monotonic()
        rc, out, err = self.ctl("call", name, msg, "--timeout", "5s", timeout=20)
        t1 = time.monotonic()
        if rc == 0 and out.strip() != msg:
            raise Failure("call %s %s: replied %r" % (name, msg, out[:200]))
        if rc != 0:
            self.count("mailbox-failed")
            if not self.was_disturbed(name, t0, t1):
                raise Failure("call %s failed (exit %d) with no kill or restart of it: %s"
                              % (name, rc, err.strip()[-200:]))

    # --- invariants checked throughout ----------------------------------------

    def monitor(self):
        zombies = {}
        misplaced = {}
        cg = {}
        while not self.stop.is_set():
            now = time.monotonic()
            if not self.o.alive():
                self.fail("otpd died (exit %s)" % self.o.proc.returncode)
                return
            kids = self.o.children()
            for pid, st in kids.items():
                if st == "Z":
                    first = zombies.setdefault(pid, now)
                    if now - first > 2:
                        self.fail("zombie: otpd's child %d unreaped for %.1fs" % (pid, now - first))
                        return
            zombies = {p: t for p, t in zombies.items() if kids.get(p) == "Z"}
            if self.o.cgbase:
                with self.lock:
                    cg = {w["pid"]: (w["name"], w.get("cgroup")) for w in self.nodes
                          if w["type"] == "worker" and w.get("pid")}
                for pid, st in kids.items():
                    if st == "Z":
                        continue
                    where = Otpd.cgroup_of(pid)
                    want = cg.get(pid, (None, None))[1]
                    ok = where is not None and where.startswith(self.o.cg_rel + "/root/") and \
                        (want is None or where == want)
                    if where is None or ok:
                        misplaced.pop(pid, None)
                        continue
                    first = misplaced.setdefault(pid, now)
                    if now - first > 2 and self._still_misplaced(pid, where):
                        self.fail("process %d (%s) in cgroup %s, not %s" % (
                            pid, cg.get(pid, ("?",))[0], where, want or self.o.cg_rel + "/root/..."))
                        return
            try:
                self.samples.append((now, self.o.fd_count(), self.o.rss_kb()))
            except OSError:
                pass
            self.stop.wait(0.5)

    def _still_misplaced(self, pid, where):
        """Against a fresh status: the one seen may predate a restart."""
        try:
            nodes = self.refresh()
        except (Failure, Hang, RuntimeError):
            return True
        want = {n["pid"]: n.get("cgroup") for n in nodes if n.get("pid")}.get(pid)
        where = Otpd.cgroup_of(pid)
        return where is not None and not (where.startswith(self.o.cg_rel + "/root/") and
                                          (want is None or where == want))

    # --- quiet points -------------------------------------------------------

    def quiesce(self):
        """Drivers still, the tree back to config A with no dynamic child."""
        self.pause.set()
        deadline = time.monotonic() + 30
        while not all(self.idle.values()):
            if time.monotonic() > deadline:
                raise Failure("drivers did not pause in 30 s (a request hangs?)")
            time.sleep(0.05)
        with self.lock:
            frozen, dyn = list(self.frozen), list(self.dynamic)
        for n in frozen:
            self.thaw(n)
        for n in dyn:
            self.remove_dynamic(n)
        if self.variant != "A":
            self.reload("A")
        deadline = time.monotonic() + 15
        while True:
            nodes = self.refresh()
            down = [n["name"] for n in nodes if n["type"] == "worker" and n["state"] != "running"
                    and not n["name"].startswith("storm") and n["parent"] != "s-pool"]
            if not down:
                break
            if time.monotonic() > deadline:
                raise Failure("tree not back to running in 15 s: %s" % down)
            time.sleep(0.1)
        time.sleep(1)
        # The storm worker restarts all the time: take the lowest of a few
        # samples so that a start in flight is not counted.
        fds = min(self._sample_fds() for _ in range(10))
        return fds, self.o.rss_kb()

    def _sample_fds(self):
        time.sleep(0.1)
        return self.o.fd_count()

    def dump_fds(self):
        """What otpd holds, into the run directory (kept on failure)."""
        d = "/proc/%d/fd" % self.o.pid
        with open(os.path.join(self.o.dir, "fds"), "w") as f:
            for fd in sorted(os.listdir(d), key=int):
                try:
                    f.write("%s -> %s\n" % (fd, os.readlink(os.path.join(d, fd))))
                except OSError:
                    pass

    def resume(self):
        self.pause.clear()

    # --- the end: every line accounted for ------------------------------------

    def account_lines(self):
        text = open(self.o.out_path, "rb").read().decode(errors="replace")
        seq = {}            # pid -> last number seen in the current incarnation
        ended = {}          # pid -> how the current incarnation ended
        dropped = sum(int(m.group(1)) for m in DROPPED.finditer(text))
        gaps, lines, incarnations = [], 0, 0
        for line in text.splitlines():
            m = LINE.match(line)
            if not m:
                continue
            lines += 1
            pid, n, tail = int(m.group(3)), int(m.group(4)), m.group(5)
            if m.group(2) is None or int(m.group(2)) != pid:
                gaps.append("line of pid %d labelled [%s]" % (pid, m.group(2) or ""))
            if tail:
                if n != seq.get(pid, 0):
                    gaps.append("pid %d: '%s' after line %d, says %d" % (pid, tail, seq.get(pid, 0), n))
                ended[pid] = tail
                continue
            if n == 1 and (pid not in seq or pid in ended or pid in self.sigkilled):
                if pid in seq:
                    self._check_end(pid, ended.get(pid), gaps)
                seq[pid] = 1
                ended.pop(pid, None)
                incarnations += 1
                continue
            if pid in ended or n != seq.get(pid, 0) + 1:
                gaps.append("pid %d: line %d after %d%s" % (pid, n, seq.get(pid, 0),
                                                            " (" + ended[pid] + ")" if pid in ended else ""))
            seq[pid] = n
        for pid in seq:
            self._check_end(pid, ended.get(pid), gaps)
        if gaps and not (dropped and len(gaps) <= dropped):
            raise Failure("%d lines unaccounted for (%d dropped by otpd): %s"
                          % (len(gaps), dropped, "; ".join(gaps[:8])))
        return lines, incarnations, dropped

    def _check_end(self, pid, how, gaps):
        if how is None and pid not in self.sigkilled:
            gaps.append("pid %d ended without its last line and was not SIGKILLed" % pid)

    # --- the run ------------------------------------------------------------

    def run(self):
        a = self.a
        self.o.write_config(config(self.tc, self.te, "A"), otpd_keys="log_lines = 100\n")
        self.o.start()
        self.refresh()
        mon = threading.Thread(target=self.monitor, name="monitor", daemon=True)
        mon.start()
        drivers = [
            self.driver("killer", self.kill_one, (0.1, 0.6)),
            self.driver("storms", self.storm, (1.0, 4.0)),
            self.driver("reloader", self.reload, (3.0, 8.0)),
            self.driver("freezer", self.freeze, (0.5, 2.0)),
            self.driver("pool", self.pool, (0.2, 1.0)),
            self.driver("mailbox", self.mailbox, (0.05, 0.3)),
        ] + [self.driver("client-%d" % i, self.client, (0.02, 0.2)) for i in range(4)]
        t0 = time.monotonic()
        warm = min(a.seconds / 4, 60)
        self.stop.wait(warm)
        if self.failure:
            raise Failure(self.failure)
        fds0, rss0 = self.quiesce()
        rss_warm = max([s[2] for s in self.samples] + [rss0])
        self.resume()
        self.stop.wait(max(0, a.seconds - (time.monotonic() - t0)))
        if self.failure:
            raise Failure(self.failure)
        fds1, rss1 = self.quiesce()
        if self.failure:
            raise Failure(self.failure)
        peak = max(s[1] for s in self.samples)
        if fds1 > fds0 + 2:
            self.dump_fds()
            raise Failure("otpd's fds grew: %d after the warm-up, %d at the end" % (fds0, fds1))
        if peak > fds0 + 80:
            raise Failure("otpd held %d fds at one point (%d after the warm-up)" % (peak, fds0))
        if rss1 > rss_warm * 1.2 + 4096:
            raise Failure("otpd's RSS grew: %d KiB during the warm-up, %d KiB at the end" % (rss_warm, rss1))
        self.stop.set()
        for t in drivers + [mon]:
            t.join(30)
        code = self.o.stop(timeout=30)
        if code != 0:
            raise Failure("otpd exited %s on SIGTERM" % code)
        lines, incarnations, dropped = self.account_lines()
        return dict(fds=(fds0, fds1, peak), rss=(rss_warm, rss1), lines=lines,
                    processes=incarnations, dropped=dropped)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(root, "build"))
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("--seed", type=int, default=None)
    a = p.parse_args()
    if a.seed is None:
        a.seed = random.randrange(1 << 32)
    s = Soak(a)
    t0 = time.monotonic()
    try:
        r = s.run()
    except (Failure, Hang, RuntimeError, OSError) as e:
        s.stop.set()
        where = os.path.join(root, "build", "soak-fail-%d" % a.seed)
        if s.o.dir:
            s.o.keep(where)
        print("SOAK FAIL (seed %d, after %.0fs): %s" % (a.seed, time.monotonic() - t0, e))
        print("    kept: %s (config, otpd's stdout and stderr)" % where)
        s.o.cleanup()
        return 1
    s.o.cleanup()
    print("soak: %.0fs (seed %d): %d control requests answered, %d processes, %d lines accounted "
          "for (%d dropped), fds %d -> %d (peak %d), RSS %d -> %d KiB; nothing broke"
          % (time.monotonic() - t0, a.seed, s.requests, r["processes"], r["lines"], r["dropped"],
             r["fds"][0], r["fds"][1], r["fds"][2], r["rss"][0], r["rss"][1]))
    print("    " + ", ".join("%s %d" % kv for kv in sorted(s.counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
