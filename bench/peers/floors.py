"""floors.py: bare floors that stand in a supervisor's place."""
import os

from peers.base import Run, Supervisor


class StartFloor(Supervisor):
    """N children forked and exec'd by a bare C loop (bench/helpers/startfloor.c):
    "floor" one after the other, each confirmed exec'd (OTP's sequential
    start, nothing more); "floor-par" all at once."""

    memory = False

    def __init__(self, seq=True):
        self.seq = seq
        self.name = "floor" if seq else "floor-par"

    def missing(self):
        return None

    def start(self, ctx, children, label):
        d = ctx.dir(label)
        cg = ctx.cgroup(label)
        p = ctx.spawn([f"{ctx.b}/bench/startfloor", "seq" if self.seq else "par",
                       str(len(children))] + children[0], cg)
        return Run(ctx, p, cg, d)
