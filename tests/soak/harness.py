"""harness.py: run one otpd for a python test (tests/soak, tests/fuzz/live.py).

Like tests/integration/lib.sh: a private directory (run_dir, config,
stdout and stderr of otpd), a cgroup base of the test's own below the
cgroup2 mount when it is writable, and a cleanup that stops otpd and
everything it started (by pid and through the test's cgroups, never by
name) and removes the directory and the cgroups, also when the test fails
or is interrupted.  Standard library only.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[:1] == ["cgroup2"]:
                return left.split()[4]
    return None


class Hang(Exception):
    """A control request that was not answered in time."""


class Otpd:
    def __init__(self, otpd, otpctl, prefix="otpd-py", use_cgroups=True, env=None):
        self.otpd_bin, self.otpctl_bin = otpd, otpctl
        self.dir = tempfile.mkdtemp(prefix=prefix + ".")
        os.chmod(self.dir, 0o755)
        self.run_dir = os.path.join(self.dir, "run")
        self.sock = os.path.join(self.run_dir, "otpd.sock")
        self.conf = os.path.join(self.dir, "otp.conf")
        self.out_path = os.path.join(self.dir, "out")
        self.err_path = os.path.join(self.dir, "err")
        self.proc = None
        self.env = env
        cg2 = cgroup2_mount()
        self.cgbase = None
        if use_cgroups and cg2 and os.access(cg2, os.W_OK):
            self.cgbase = os.path.join(cg2, prefix + "." + os.path.basename(self.dir).split(".")[-1])
            self.cg_rel = "/" + os.path.relpath(self.cgbase, cg2)
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, self._on_signal)

    def _on_signal(self, signo, frame):
        self.cleanup()
        sys.exit(128 + signo)

    # --- config and start ---------------------------------------------------

    def write_config(self, body, otpd_keys=""):
        head = "[otpd]\nrun_dir = %s\n" % self.run_dir
        if self.cgbase:
            head += "cgroup_base = %s\n" % self.cgbase
        text = head + otpd_keys + "\n" + body
        tmp = self.conf + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.conf)

    def start(self, wait_s=10):
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.out = open(self.out_path, "wb")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([self.otpd_bin, "-c", self.conf], stdout=self.out,
                                     stderr=self.err, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if os.path.exists(self.sock):
                return
            if self.proc.poll() is not None:
                raise RuntimeError("otpd exited at start (%s): %s" % (self.proc.returncode, self.stderr()[-2000:]))
            time.sleep(0.02)
        raise RuntimeError("otpd did not create its socket in %d s" % wait_s)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        try:
            with open(self.err_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    # --- control ------------------------------------------------------------

    def ctl(self, *args, timeout=10, input=None):
        """otpctl ARGS: (exit code, stdout, stderr); Hang after `timeout`."""
        try:
            r = subprocess.run([self.otpctl_bin, "-s", self.sock] + list(args), input=input,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Hang("otpctl %s: no answer in %s s" % (" ".join(args), timeout))
        return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")

    def status(self, timeout=10):
        rc, out, err = self.ctl("status", "--json", timeout=timeout)
        if rc != 0:
            raise RuntimeError("status: exit %d: %s" % (rc, err))
        return json.loads(out)

    def nodes(self, timeout=10):
        """Every node of the tree as a flat list of dicts (with 'parent')."""
        out = []

        def walk(n, parent):
            n = dict(n)
            n["parent"] = parent
            out.append(n)
            for c in n.get("children", []):
                walk(c, n["name"])
        walk(self.status(timeout), None)
        return out

    # --- what otpd holds ------------------------------------------------------

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def rss_kb(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def children(self):
        """{pid: state letter} of otpd's direct children."""
        kids = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            fields = st[st.rindex(")") + 2:].split()
            if int(fields[1]) == self.pid:
                kids[int(d)] = fields[0]
        return kids

    @staticmethod
    def cgroup_of(pid):
        try:
            with open("/proc/%d/cgroup" % pid) as f:
                for line in f:
                    if line.startswith("0::"):
                        return line[3:].strip()
        except OSError:
            pass
        return None

    # --- the end --------------------------------------------------------------

    def stop(self, timeout=30):
        """SIGTERM and wait: otpd's exit code, or None if it had to be killed."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def _cg_kill(self):
        if not self.cgbase or not os.path.isdir(self.cgbase):
            return
        dirs = [d for d, _, _ in os.walk(self.cgbase)]
        for d in dirs:
            try:
                with open(os.path.join(d, "cgroup.kill"), "w") as f:
                    f.write("1")
            except OSError:
                pass
        for _ in range(100):
            try:
                with open(os.path.join(self.cgbase, "cgroup.events")) as f:
                    if "populated 0" in f.read():
                        break
            except OSError:
                break
            time.sleep(0.02)
        for d in sorted(dirs, key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
        if os.path.isdir(self.cgbase):
            print("warning: could not remove %s" % self.cgbase, file=sys.stderr)

    def cleanup(self):
        if self.dir is None:
            return
        # Only processes that are ours right now: otpd's children and the
        # workers it reports (pids seen earlier may have been reused).
        pids = set()
        if self.alive():
            pids |= set(self.children())
            try:
                pids |= {n["pid"] for n in self.nodes(timeout=3) if n.get("pid")}
            except Exception:
                pass
            self.stop(timeout=5)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        self._cg_kill()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def keep(self, where):
        """Copy the directory (config, stdout, stderr, traces) for a post-mortem."""
        try:
            shutil.copytree(self.dir, where, ignore=shutil.ignore_patterns("*.sock", "notify", "mailbox"),
                            dirs_exist_ok=True)
        except (OSError, shutil.Error):
            pass
        return where
