"""otpd.py: otpd as the system under test (a subreaper daemon, or PID 1)."""
import os
import subprocess
import time

from peers.base import Init, Run, Supervisor


def conf_text(ctx, d, children, cgroup=None, dynamic=False):
    """otp.conf with otpd's defaults, one worker per child (or a
    simple_one_for_one template when dynamic)."""
    lines = ["[otpd]", f"run_dir = {d}/run"]
    if cgroup:
        lines += ["cgroup = auto", f"cgroup_base = {cgroup}"]
    else:
        lines += ["cgroup = off"]
    # The restart scenario crashes on purpose, as fast as it can.
    lines += ["[supervisor root]", "intensity = 1000000", "period = 1s"]
    if dynamic:
        lines += ["[supervisor pool]", "strategy = simple_one_for_one",
                  "intensity = 1000000", "period = 1s",
                  "[worker job]", "parent = pool", "exec = " + " ".join(children[0])]
    else:
        for i, argv in enumerate(children):
            lines += [f"[worker w{i}]", "exec = " + " ".join(argv)]
    path = os.path.join(d, "otp.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class OtpdRun(Run):
    def sock(self):
        return os.path.join(self.d, "run", "otpd.sock")

    def status_argv(self):
        return [self.ctx.otpctl, "-s", self.sock(), "status", "--json"]

    def ctl(self, *args):
        return subprocess.run([self.ctx.otpctl, "-s", self.sock(), *args],
                              capture_output=True, text=True, timeout=30)

    def wait_socket(self, timeout=10):
        end = time.monotonic() + timeout
        while not os.path.exists(self.sock()) and time.monotonic() < end:
            time.sleep(0.002)


class Otpd(Supervisor):
    name = "otpd"
    note = "sequential start (OTP: each child started before the next)"

    def __init__(self, cgroup=False, dynamic=False, name=None):
        self.cgroup, self.dynamic = cgroup, dynamic
        if name:
            self.name = name

    def missing(self):
        return None

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        base = None
        if self.cgroup:
            base = cg.sub("workers").path     # a directory of ours, removed with cg
        conf = conf_text(ctx, d, children, base, self.dynamic)
        p = ctx.spawn([ctx.otpd, "-c", conf], cg, err=open(os.path.join(d, "err"), "w"))
        run = OtpdRun(ctx, p, cg, d)
        if self.dynamic:
            run.wait_socket()
            for _ in children:
                run.ctl("start-child", "pool")
        return run


class OtpdInit(Init):
    name = "otpd"

    def missing(self):
        return super().missing()

    def argv(self, ctx, d, child):
        conf = conf_text(ctx, d, [child])
        return [ctx.otpd, "-c", conf]
