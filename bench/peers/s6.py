"""s6.py: s6-svscan over a scan directory, one s6-supervise per child."""
import os
import subprocess

from peers.base import Run, Supervisor, service_dirs


class S6Run(Run):
    def status_argv(self):
        # s6 has no status of a whole scan directory: s6-svstat per service.
        return ["sh", "-c", 'for d in "$0"/*/; do s6-svstat "$d"; done', self.scan]


class S6(Supervisor):
    name = "s6"
    needs = ("s6-svscan", "s6-supervise", "s6-svstat")
    note = "s6-supervise waits 1 s after a death, unless ready (notification-fd) > 1 s before"

    def __init__(self, notify=False):
        self.notify = notify

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        scan = os.path.join(d, "scan")
        service_dirs(ctx, scan, children)
        if self.notify:
            for w in os.listdir(scan):
                with open(os.path.join(scan, w, "notification-fd"), "w") as f:
                    f.write("3\n")
        p = ctx.spawn(["s6-svscan", "-c", str(len(children) * 2 + 16), scan], cg,
                      err=open(os.path.join(d, "err"), "w"))
        run = S6Run(ctx, p, cg, d)
        run.scan = scan
        return run
