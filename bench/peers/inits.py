"""inits.py: the container inits (PID 1 of a PID namespace) and the bare floor."""
from peers.base import Init


class Tini(Init):
    name = "tini"
    needs = ("tini",)

    def argv(self, ctx, d, child):
        return ["tini", "--"] + child


class DumbInit(Init):
    name = "dumb-init"
    needs = ("dumb-init",)

    def argv(self, ctx, d, child):
        return ["dumb-init", "--"] + child


class Catatonit(Init):
    name = "catatonit"
    needs = ("catatonit",)

    def argv(self, ctx, d, child):
        return ["catatonit", "--"] + child


class Reaper(Init):
    """The floor: a bare waitpid loop as PID 1 (bench/helpers/reaper.c)."""
    name = "floor"

    def argv(self, ctx, d, child):
        return [ctx.reaper] + child
