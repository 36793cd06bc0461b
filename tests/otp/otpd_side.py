"""The otpd side of the OTP differential tier: runs one scenario against a
real otpd with real worker processes (build/helpers/otprec) and returns its
raw trace in otpdiff.erl's line format.

Order of events: every worker stamps what it says with CLOCK_MONOTONIC;
exits come from the kernel's process connector (netlink), stamped by the
kernel on the same clock when the process dies, with its wait status.  An
event is stamped before anything it causes can happen, so sorting by stamp
gives the causal order.
"""
import collections
import errno
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time

import model

SETTLE_TIMEOUT = 30.0
ABORT = threading.Event()       # set on SIGINT/SIGTERM: every case stops at its next step


class HarnessError(Exception):
    pass


# --- exits, from the kernel's process connector --------------------------------

class ExitWatch:
    """Every process exit on the machine, kept for a minute, by pid."""

    NETLINK_CONNECTOR = 11
    CN_IDX_PROC = 1
    PROC_EVENT_EXIT = 0x80000000

    def __init__(self):
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, self.NETLINK_CONNECTOR)
        try:
            s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)       # SO_RCVBUFFORCE
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        s.bind((0, self.CN_IDX_PROC))
        op = struct.pack("I", 1)                                # PROC_CN_MCAST_LISTEN
        cn = struct.pack("IIIIHH", self.CN_IDX_PROC, 1, 0, 0, len(op), 0) + op
        s.send(struct.pack("IHHII", 16 + len(cn), 3, 0, 0, 0) + cn)
        self.sock = s
        self.exits = {}
        self.order = collections.deque()
        self.cond = threading.Condition()
        self.lost = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while True:
            try:
                d = self.sock.recv(65536)
            except OSError as e:
                if e.errno == errno.ENOBUFS:
                    with self.cond:
                        self.lost += 1
                    continue
                raise
            off = 0
            while off + 16 <= len(d):
                ln = struct.unpack_from("I", d, off)[0]
                self._event(d, off + 16)
                off += (ln + 3) & ~3
                if ln == 0:
                    break

    def _event(self, d, off):
        if len(d) < off + 20 + 32:
            return
        what, _cpu, ts = struct.unpack_from("IIQ", d, off + 20)
        if what != self.PROC_EVENT_EXIT:
            return
        pid, tgid, code, _sig = struct.unpack_from("IIII", d, off + 36)
        if pid != tgid:
            return
        with self.cond:
            self.exits[pid] = (ts, code)
            self.order.append((time.monotonic(), pid))
            while self.order and self.order[0][0] < time.monotonic() - 120:
                _, p = self.order.popleft()
                if self.exits.get(p, (0,))[0] < (time.monotonic() - 120) * 1e9:
                    self.exits.pop(p, None)
            self.cond.notify_all()

    def wait(self, pid, after_ns, timeout):
        """(stamp, wait status) of pid's exit after after_ns, or None."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                e = self.exits.get(pid)
                if e and e[0] >= after_ns:
                    return e
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)


def exit_reason(status):
    if status & 0x7F == 0:
        code = status >> 8
        return "normal" if code == 0 else "crash"
    sig = status & 0x7F
    return {signal.SIGTERM: "shutdown", signal.SIGKILL: "killed"}.get(sig, "signal:%d" % sig)


# --- cgroups -----------------------------------------------------------------

def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a = line.split()
            i = a.index("-")
            if a[i + 1] == "cgroup2":
                return a[4]
    return None


def cg_cleanup(path):
    """Kill what is left below path (a directory of our own) and remove it."""
    if not path or not os.path.isdir(path):
        return
    dirs = [r for r, _, _ in os.walk(path)]
    for d in reversed(dirs):
        try:
            with open(os.path.join(d, "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            pass
    for _ in range(250):
        try:
            with open(os.path.join(path, "cgroup.events")) as f:
                if "populated 0" in f.read():
                    break
        except OSError:
            break
        time.sleep(0.02)
    for d in reversed(dirs):
        try:
            os.rmdir(d)
        except OSError:
            pass


# --- one case ----------------------------------------------------------------

def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2] not in "ZX"


class Worker:
    def __init__(self, name, pid, conn, mode, ts):
        self.name, self.pid, self.conn, self.mode, self.ts = name, pid, conn, mode, ts
        self.failed = mode[0] == "fail"


class OtpdCase:
    def __init__(self, sc, build, watch, cgmode, cgbase, workdir):
        self.sc = sc
        self.build = build
        self.watch = watch
        self.cgmode = cgmode
        self.cgbase = cgbase
        self.dir = tempfile.mkdtemp(prefix="c", dir=workdir)
        self.sock_path = os.path.join(self.dir, "d.sock")
        self.ctl_sock = os.path.join(self.dir, "run", "otpd.sock")
        self.lock = threading.Lock()
        self.events = []            # (stamp, line)
        self.workers = []           # every Worker, in hello order
        self.by_name = {}           # name -> latest started Worker
        self.attempts = collections.Counter()
        self.held = {}              # name -> Worker waiting for "go"
        self.held_cond = threading.Condition(self.lock)
        self.asyncs = []
        self.otpd = None
        self.requested = False
        self.booted = False
        self.anomalies = []
        self.open_conns = 0         # workers whose connection has not reached EOF
        self.idle_passes = 0        # times the recorder socket found nothing to read

    # --- the recorder socket

    def _serve(self):
        sel = selectors.DefaultSelector()
        sel.register(self.lsock, selectors.EVENT_READ, None)
        sel.register(self.stop_r, selectors.EVENT_READ, "stop")
        while True:
            ready = sel.select(0.05)
            if not ready:
                with self.lock:
                    self.idle_passes += 1
                    self.held_cond.notify_all()
            for key, _ in ready:
                if key.data == "stop":
                    sel.close()
                    return
                if key.data is None:
                    conn, _ = self.lsock.accept()
                    sel.register(conn, selectors.EVENT_READ, [None])
                    with self.lock:
                        self.open_conns += 1
                    continue
                conn = key.fileobj
                try:
                    msg = conn.recv(256).decode()
                except OSError:
                    msg = ""
                if not msg:
                    sel.unregister(conn)
                    with self.lock:
                        self.open_conns -= 1
                        self.held_cond.notify_all()
                    continue
                self._message(conn, key.data, msg)

    def _message(self, conn, slot, msg):
        a = msg.split()
        if a[0] == "hello":
            name, pid, ts = a[1], int(a[2]), int(a[3])
            with self.lock:
                self.attempts[name] += 1
                m = model.mode(self.sc.behaviours[name], self.attempts[name])
                w = Worker(name, pid, conn, m, ts)
                slot[0] = w
                self.workers.append(w)
                if w.failed:
                    self.events.append((ts, "ev fail " + name))
                else:
                    self.by_name[name] = w
                    self.events.append((ts, "ev start " + name))
                    if m[0] == "hold":
                        self.held[name] = w
                        self.held_cond.notify_all()
            conn.send(model.mode_text(m).encode())
            return
        w = slot[0]
        ts = int(a[1])
        with self.lock:
            if a[0] in ("ready", "term"):
                self.events.append((ts, "ev %s %s" % (a[0], w.name)))
            if a[0] == "ready" and self.held.get(w.name) is w:
                del self.held[w.name]
            if a[0] == "term" and w.mode[1] == "hold":
                self.held[w.name] = w
                self.held_cond.notify_all()

    # --- otpd

    def _config(self):
        out = ["[otpd]", "run_dir = %s/run" % self.dir, "cgroup = %s" % self.cgmode]
        if self.cgmode != "off" and self.cgbase:
            out.append("cgroup_base = %s" % self.cgbase)
        rec = "%s/helpers/otprec %s" % (self.build, self.sock_path)

        def dur(v):
            return "%dms" % v if isinstance(v, int) else v

        def node(n, parent):
            if n.kind == "supervisor":
                out.append("")
                out.append("[supervisor %s]" % n.name)
                if parent:
                    out.append("parent = %s" % parent)
                out.append("strategy = %s" % n.strategy)
                out.append("intensity = %d" % n.intensity)
                out.append("period = %ds" % n.period)
                out.append("auto_shutdown = %s" % n.auto_shutdown)
            else:
                out.append("")
                out.append("[worker %s]" % n.name)
                out.append("parent = %s" % parent)
                out.append("exec = %s" % rec)
                out.append("ready = notify")
                out.append("stdout = null")
            if parent:
                out.append("restart = %s" % n.restart)
                out.append("shutdown = %s" % dur(n.shutdown))
                out.append("significant = %s" % ("true" if n.significant else "false"))
            if n.kind == "supervisor":
                for c in n.children:
                    node(c, n.name)
        node(self.sc.tree, None)
        with open(os.path.join(self.dir, "otp.conf"), "w") as f:
            f.write("\n".join(out) + "\n")

    def ctl(self, *args, timeout=60):
        p = subprocess.run([self.build + "/otpctl", "-s", self.ctl_sock] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ended(self):
        return self.otpd.poll() is not None

    def status(self):
        rc, out, err = self.ctl("status", "--json")
        if rc != 0:
            return None
        try:
            return json.loads(out)
        except ValueError:
            # Even while otpd exits, an unanswered request exits 3 (otpctl(1)).
            raise HarnessError("otpctl status --json: rc 0, not JSON: %r %r" % (out, err))

    # --- settling

    def _snapshot(self):
        """A tuple of (name, state, pid) when nothing moves, else None."""
        st = self.status()
        if st is None:
            return None
        snap = []

        def walk(n):
            if n["state"] not in ("running", "stopped", "failed"):
                return False
            if n["type"] == "worker" and n["state"] == "running" and not pid_alive(n["pid"]):
                return False
            snap.append((n["name"], n["state"], n["pid"]))
            return all(walk(c) for c in n.get("children", []))
        return tuple(snap) if walk(st) else None

    def settle(self):
        end = time.monotonic() + SETTLE_TIMEOUT
        last = None
        while time.monotonic() < end:
            if self.ended():
                return
            if ABORT.is_set():
                raise HarnessError("interrupted")
            snap = self._snapshot()
            if snap is not None and snap == last:
                return
            last = snap
            time.sleep(0.01)
        raise HarnessError("otpd did not settle in %ds" % SETTLE_TIMEOUT)

    def after(self, a):
        if a == "settle":
            self.settle()
        elif isinstance(a, tuple):
            self.wait_held(a[1])
        else:
            time.sleep(a / 1000.0)

    def wait_held(self, name):
        with self.lock:
            end = time.monotonic() + 10
            while name not in self.held:
                if time.monotonic() > end:
                    raise HarnessError("%s was never held" % name)
                self.held_cond.wait(0.1)
            return self.held[name]

    def mark(self, text):
        with self.lock:
            self.events.append((time.monotonic_ns(), "mark " + text))

    # --- steps

    def running_worker(self, name):
        with self.lock:
            w = self.by_name.get(name)
        return w if w and pid_alive(w.pid) else None

    def step(self, st):
        if ABORT.is_set():
            raise HarnessError("interrupted")
        kind = st[0]
        if kind == "crash":
            _, name, way, after = st
            w = self.running_worker(name)
            if not w:
                self.mark("crash %s %s = not_running" % (name, way))
            else:
                t0 = time.monotonic_ns()
                self.mark("crash %s %s" % (name, way))
                cmd = {"normal": "exit 0", "abnormal": "exit 3", "shutdown": "term",
                       "killed": "kill"}[way]
                try:
                    w.conn.send(cmd.encode())
                except OSError:
                    pass
                if self.watch.wait(w.pid, t0 - 10**9, 10) is None:
                    raise HarnessError("no exit seen for %s (pid %d)" % (name, w.pid))
            self.after(after)
        elif kind == "call":
            _, verb, target, sup, async_, after = st
            if async_:
                self.mark("async %s %s" % (verb, target))
                p = subprocess.Popen(self._call_argv(verb, target, sup), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
                self.asyncs.append((verb, target, p))
            else:
                ts = time.monotonic_ns()
                p = subprocess.run(self._call_argv(verb, target, sup), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, timeout=60)
                r = self._call_result(p.returncode, p.stderr)
                with self.lock:
                    self.events.append((ts, "mark call %s %s = %s" % (verb, target, r)))
            self.after(after)
        elif kind == "join":
            self.join()
            self.after(st[1])
        elif kind == "release":
            _, name, after = st
            self.wait_held(name)
            with self.lock:
                w = self.held.pop(name)
            self.mark("release " + name)
            try:
                w.conn.send(b"go")
            except OSError:
                pass                # it died while held: the trace shows it
            self.after(after)
        elif kind == "which":
            self.mark("which %s = %s" % (st[1], self.which(st[1])))
        elif kind == "align_second":
            pass
        elif kind == "wait":
            time.sleep(st[1] / 1000.0)
            self.settle()

    def join(self):
        for verb, target, p in self.asyncs:
            _, err = p.communicate(timeout=60)
            self.mark("joined %s %s = %s" % (verb, target, self._call_result(p.returncode, err)))
        self.asyncs = []

    def _call_argv(self, verb, target, sup):
        base = [self.build + "/otpctl", "-s", self.ctl_sock]
        if verb == "start_child":
            return base + ["start-child", self.sc.sup_of(target, sup), "--name", target]
        return base + [{"stop": "stop", "start": "start", "delete": "delete-child"}[verb], target]

    @staticmethod
    def _call_result(rc, err):
        if rc == 0:
            return "ok"
        if rc == 3:
            return "noproc"
        line = err.strip().splitlines()[-1] if err.strip() else ""
        # "otpctl: NAME: ERROR[: why]"
        a = line.split(": ")
        word = a[2].split(":")[0].split()[0] if len(a) >= 3 and a[2] else ""
        return word if rc == 1 and word else "rc%d:%s" % (rc, line)

    def which(self, sup):
        rc, out, _ = self.ctl("status", sup, "--json")
        if rc != 0:
            return "noproc"
        n = json.loads(out)
        if n["type"] != "supervisor" or n["state"] != "running":
            return "noproc"
        return self._children(n)

    @staticmethod
    def _children(n):
        m = {"running": "running", "stopped": "undefined", "failed": "undefined",
             "restarting": "restarting"}
        return " ".join("%s:%s" % (c["name"], m.get(c["state"], c["state"]))
                        for c in sorted(n.get("children", []), key=lambda c: c["name"]))

    def tree_lines(self):
        st = self.status()
        lines = []

        def walk(n):
            lines.append("tree %s = %s" % (n["name"], self._children(n)))
            for c in sorted(n.get("children", []), key=lambda c: c["name"]):
                if c["type"] == "supervisor" and c["state"] == "running":
                    walk(c)
        if st:
            walk(st)
        return lines

    # --- the whole case

    def run(self):
        try:
            return self._run()
        finally:
            self._cleanup()

    def _run(self):
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.lsock.bind(self.sock_path)
        self.lsock.listen(64)
        self.stop_r, self.stop_w = socket.socketpair()
        self.server = threading.Thread(target=self._serve, daemon=True)
        self.server.start()
        self._config()
        self.errf = open(os.path.join(self.dir, "err"), "w+")
        self.otpd = subprocess.Popen([self.build + "/otpd", "-c", os.path.join(self.dir, "otp.conf")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.errf)
        end = time.monotonic() + 10
        while not os.path.exists(self.ctl_sock) and not self.ended():
            if time.monotonic() > end:
                raise HarnessError("otpd did not make its control socket")
            time.sleep(0.005)
        tail = []
        self.settle()
        if not self.ended():
            self.booted = True
            self._check_cgroups()
            for st in self.sc.steps:
                if self.ended():
                    break
                self.step(st)
            self.join()
        if not self.ended():
            self.settle()
        if not self.ended():
            tail = self.tree_lines()
            self.mark("shutdown")
            self.requested = True
            self.ctl("shutdown")
        try:
            rc = self.otpd.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise HarnessError("otpd did not exit after shutdown")
        return self._trace(rc, tail)

    def _check_cgroups(self):
        """With a cgroup base of our own, 'auto' must really use cgroups."""
        if self.cgmode == "off" or not self.cgbase:
            return
        st = self.status()
        nodes = []

        def walk(n):
            nodes.append(n)
            for c in n.get("children", []):
                walk(c)
        if st:
            walk(st)
        running = [n for n in nodes if n["type"] == "worker" and n["state"] == "running"]
        if running and not all(n.get("cgroup") for n in running):
            raise HarnessError("cgroup = auto, but a running worker has no cgroup")

    def _drain(self):
        """Every worker is dead: wait until all they said has been read (no
        connection open, and then a pass of the server with nothing to read,
        not even a connection to accept)."""
        end = time.monotonic() + 10
        with self.lock:
            seen = None
            while self.open_conns > 0 or seen is None or self.idle_passes < seen + 2:
                if self.open_conns > 0:
                    seen = None
                elif seen is None:
                    seen = self.idle_passes
                if time.monotonic() > end:
                    raise HarnessError("%d worker connections still open" % self.open_conns)
                self.held_cond.wait(0.1)

    def _trace(self, rc, tail):
        self._drain()
        with self.lock:
            workers = list(self.workers)
        exits = []
        for w in workers:
            e = self.watch.wait(w.pid, w.ts, 10)
            if e is None:
                raise HarnessError("no exit seen for %s (pid %d)" % (w.name, w.pid))
            if not w.failed:
                exits.append((e[0], "ev exit %s %s" % (w.name, exit_reason(e[1]))))
        with self.lock:
            events = list(self.events) + exits
        events.sort(key=lambda e: e[0])
        lines = [l for _, l in events]
        self.errf.seek(0)
        err = self.errf.read()
        giveups = []
        for l in err.splitlines():
            if ": reached max restart intensity" in l:
                giveups.append(l.split("otpd: error: ", 1)[-1].split(":")[0])
        lines += ["giveup " + g for g in giveups]
        lines += tail
        if self.requested and rc == 0:
            lines.append("end requested")
        elif not self.booted and rc == 1:
            lines.append("end boot_failed")
        else:
            lines.append("end self")
        if self.watch.lost:
            raise HarnessError("the process connector lost events (ENOBUFS)")
        self.stderr_text = err
        return lines

    def _ours(self, pid):
        """pid is still one of this case's workers (not a reused pid)."""
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return self.sock_path.encode() in f.read()
        except OSError:
            return False

    def _cleanup(self):
        if self.otpd and self.otpd.poll() is None:
            self.otpd.kill()
            self.otpd.wait()
        for w in self.workers:
            try:
                w.conn.close()
            except OSError:
                pass
            if pid_alive(w.pid) and self._ours(w.pid):
                try:
                    os.kill(w.pid, signal.SIGKILL)
                except OSError:
                    pass
        if hasattr(self, "stop_w"):
            self.stop_w.send(b"x")
            self.server.join(5)
            self.lsock.close()
        if hasattr(self, "errf"):
            self.errf.close()
        cg_cleanup(self.cgbase)
        shutil.rmtree(self.dir, ignore_errors=True)
