"""otpd.py: otpd as the system under test (a subreaper daemon, or PID 1)."""
import os
import subprocess
import tempfile
import time

from peers.base import Init, Run, Supervisor


def conf_text(ctx, d, children, cgroup=None, dynamic=False, parallel=False, worker_keys=()):
    """otp.conf with otpd's defaults, one worker per child (or a
    simple_one_for_one template when dynamic; the root stopping its children
    all at once when parallel: `shutdown_order = parallel`, issue 19.1);
    worker_keys: "KEY = VALUE" lines added to every worker's section."""
    lines = ["[otpd]", f"run_dir = {d}/run"]
    if cgroup:
        lines += ["cgroup = auto", f"cgroup_base = {cgroup}"]
    else:
        lines += ["cgroup = off"]
    # The restart scenario crashes on purpose, as fast as it can.
    lines += ["[supervisor root]", "intensity = 1000000", "period = 1s"]
    if parallel:
        lines += ["shutdown_order = parallel"]
    if dynamic:
        lines += ["[supervisor pool]", "strategy = simple_one_for_one",
                  "intensity = 1000000", "period = 1s",
                  "[worker job]", "parent = pool", "exec = " + " ".join(children[0])]
    else:
        for i, argv in enumerate(children):
            lines += [f"[worker w{i}]", "exec = " + " ".join(argv), *worker_keys]
    path = os.path.join(d, "otp.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def accepts_parallel():
    """Does this build's `otpd --check` take `shutdown_order = parallel`?"""
    otpd = os.path.join(os.path.abspath(os.environ.get("BUILD", "build")), "otpd")
    with tempfile.TemporaryDirectory(prefix="otpd-bench-check.") as d:
        conf = os.path.join(d, "otp.conf")
        with open(conf, "w") as f:
            f.write(f"[otpd]\nrun_dir = {d}/run\n[supervisor root]\nshutdown_order = parallel\n"
                    "[worker w]\nexec = /bin/true\n")
        r = subprocess.run([otpd, "--check", "-c", conf], capture_output=True, timeout=30)
    return r.returncode == 0


class OtpdRun(Run):
    def sock(self):
        return os.path.join(self.d, "run", "otpd.sock")

    def status_argv(self):
        return [self.ctx.otpctl, "-s", self.sock(), "status", "--json"]

    def ctl(self, *args):
        return subprocess.run([self.ctx.otpctl, "-s", self.sock(), *args],
                              capture_output=True, text=True, timeout=30)

    def wait_socket(self, timeout=60):
        """Until otpd answers on its control socket.  The socket file
        appears at bind(), before listen(): a connect in between is
        refused, so existing is not enough (a loaded machine widens it)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.alive():
            if os.path.exists(self.sock()) and self.ctl("status").returncode == 0:
                return True
            time.sleep(0.01)
        return False


class Otpd(Supervisor):
    name = "otpd"
    note = "sequential start (OTP: each child started before the next)"

    def __init__(self, cgroup=False, dynamic=False, name=None, parallel=False, static=False):
        self.cgroup, self.dynamic, self.parallel = cgroup, dynamic, parallel
        self.static = static    # make static's otpd: no ld.so, no shared libraries' data
        if name:
            self.name = name

    def binary(self, ctx):
        return f"{ctx.b}/static/otpd" if self.static else ctx.otpd

    def missing(self):
        if self.parallel and not accepts_parallel():
            return "this otpd has no `shutdown_order = parallel` (issue 19.1)"
        if self.static and not os.path.exists(os.path.join(os.environ.get("BUILD", "build"),
                                                           "static", "otpd")):
            return "no static otpd (make static)"
        return None

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        base = None
        if self.cgroup:
            base = cg.sub("workers").path     # a directory of ours, removed with cg
        conf = conf_text(ctx, d, children, base, self.dynamic, self.parallel)
        p = ctx.spawn([self.binary(ctx), "-c", conf], cg, err=open(os.path.join(d, "err"), "w"))
        run = OtpdRun(ctx, p, cg, d)
        if self.dynamic:
            if not run.wait_socket():
                print(f"  {self.name}: otpd's control socket did not answer")
            for _ in children:
                r = run.ctl("start-child", "pool")
                if r.returncode != 0:
                    print(f"  {self.name}: start-child: {r.stderr.strip()}")
        return run


class OtpdInit(Init):
    name = "otpd"

    def missing(self):
        return super().missing()

    def argv(self, ctx, d, child):
        conf = conf_text(ctx, d, [child])
        return [ctx.otpd, "-c", conf]


def mailbox_worker(ctx, name, keys):
    """otpd with one mailbox worker (the echo helper, w0) with `keys` added
    to its section, in directory and cgroup `name`; once its mailbox exists:
    (directory, OtpdRun, the mailbox's path)."""
    d = ctx.dir(name)
    cg = ctx.cgroup(name)
    conf = conf_text(ctx, d, [[f"{ctx.b}/helpers/techo"]], worker_keys=keys)
    p = ctx.spawn([ctx.otpd, "-c", conf], cg)
    run = OtpdRun(ctx, p, cg, d)
    path = f"{d}/run/mailbox/w0"
    end = time.monotonic() + 10
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.2)
    return d, run, path
