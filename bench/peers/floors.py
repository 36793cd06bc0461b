"""floors.py: bare floors that stand in a supervisor's place."""
import os

from peers.base import Run, Supervisor


class StartFloor(Supervisor):
    """N children forked and exec'd by a bare C loop (bench/helpers/startfloor.c):
    "floor" one after the other, each confirmed exec'd (OTP's sequential
    start, nothing more); "floor-par" all at once; "floor-cg" as "floor",
    each child born (clone3 CLONE_INTO_CGROUP) in a cgroup made for it, the
    least a start with per-worker cgroups does (what otpd-cg is held to)."""

    memory = False

    def __init__(self, seq=True, cgroup=False):
        self.seq, self.cgroup = seq, cgroup
        self.name = "floor-cg" if cgroup else "floor" if seq else "floor-par"

    def missing(self):
        return None

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        mode = ["seqcg", str(len(children)), cg.sub("workers").path] if self.cgroup else \
            ["seq" if self.seq else "par", str(len(children))]
        p = ctx.spawn([f"{ctx.b}/bench/startfloor"] + mode + children[0], cg)
        return Run(ctx, p, cg, d)
