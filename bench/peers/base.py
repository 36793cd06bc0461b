"""base.py: the interface every peer adapter implements.

A supervisor adapter starts a tree of N children, each given as an argv
whose argv[0] is the stamp helper, inside a cgroup of the bench, and
returns a Run.  A Run knows the supervisor's own processes (everything in
its cgroup that is not a child), how to ask for an orderly stop, how to ask
for the status of every child, and how to end everything (close()).

An init adapter (PID 1) runs one child as process 1 of a new PID namespace.
"""
import os
import shutil

from lib.core import wait_child


def exe(pid):
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def have(*progs):
    """None when every program is installed, else why not."""
    miss = [p for p in progs if not shutil.which(p)]
    return f"not installed: {' '.join(miss)} (bench/setup.sh)" if miss else None


class Run:
    def __init__(self, ctx, p, cg, d):
        self.ctx, self.p, self.cg, self.d = ctx, p, cg, d

    def own_pids(self):
        """The supervisor's own processes (not the children it runs)."""
        kids = (self.ctx.stamp, self.ctx.orphans)
        return [p for p in self.cg.procs() if exe(p) not in kids]

    def kill(self):
        """End everything at once (no orderly stop)."""
        self.cg.kill()
        self.cg.wait_empty(30)
        self.close()

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        """Ask for an orderly stop of the whole tree; does not wait."""
        self.p.terminate()

    def status_argv(self):
        return None

    def close(self):
        self.ctx.end(self.p, self.cg)
        shutil.rmtree(self.d, ignore_errors=True)   # 1,000 service dirs add up


class Supervisor:
    name = "?"
    note = ""
    needs = ()
    memory = True           # its own memory is worth measuring

    def missing(self):
        return have(*self.needs)

    def start(self, ctx, children, label):
        raise NotImplementedError


def service_dirs(ctx, scan, children):
    """daemontools-style service directories: ./run is the stamp helper itself
    (s6 and runit run it with no arguments; it reads ./stamp.args), so no
    shell runs between the supervisor and the child."""
    os.makedirs(scan)
    for i, argv in enumerate(children):
        assert argv[0] == ctx.stamp
        d = os.path.join(scan, f"w{i}")
        os.makedirs(d)
        os.symlink(ctx.stamp, os.path.join(d, "run"))
        with open(os.path.join(d, "stamp.args"), "w") as f:
            f.write(" ".join(argv[1:]) + "\n")


class Init:
    """A PID 1 for containers, run as process 1 of a new PID namespace."""
    name = "?"
    needs = ()

    def missing(self):
        return have("unshare", *self.needs)

    def argv(self, ctx, d, child):
        raise NotImplementedError

    def start(self, ctx, child, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        argv = ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"] + \
            self.argv(ctx, d, child)
        p = ctx.spawn(argv, cg, err=open(os.path.join(d, "err"), "w"))
        run = Run(ctx, p, cg, d)
        run.init = wait_child(p.pid)
        return run
