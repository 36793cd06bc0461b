"""runit.py: runsvdir over a service directory, one runsv per child."""
import os
import signal

from peers.base import Run, Supervisor, service_dirs


class RunitRun(Run):
    def stop(self):
        # runsvdir: HUP = TERM to every runsv, which stops its service and exits.
        self.p.send_signal(signal.SIGHUP)

    def status_argv(self):
        return ["sh", "-c", 'exec sv status "$0"/*', self.scan]


class Runit(Supervisor):
    name = "runit"
    needs = ("runsvdir", "runsv", "sv")
    note = "runsv sleeps 1 s before restarting a ./run that ran less than 1 s"

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        scan = os.path.join(d, "service")
        service_dirs(ctx, scan, children)
        p = ctx.spawn(["runsvdir", scan], cg, err=open(os.path.join(d, "err"), "w"))
        run = RunitRun(ctx, p, cg, d)
        run.scan = scan
        return run
