"""The scenario model of the OTP differential tier: one description that
feeds both sides (Erlang/OTP's supervisor through otpdiff.erl, and otpd).

A scenario is a tree (S supervisors, W workers), behaviours of its workers
per start attempt, and a timeline of steps.  Each step runs after the one
before has settled (nothing moves any more on that side) unless it says
`after=held(NAME)` (once a start or stop of NAME is held: the busy cases)
or `after=MS` (a fixed pause: only to give a wrong order a chance to show,
never to make the right one happen).  After the last step both sides show
the final tree and stop it.
"""


class W:
    """A worker.  shutdown: 'brutal_kill', 'infinity' or milliseconds.
    start: 'now' or ('delay', MS).  stop: 'quick' (dies of the stop signal),
    ('slow', MS), 'ignore' (only a kill ends it).
    fail / hold / hold_stop: sets of start attempts (1 = the first start of
    that name) that fail, that wait for a `release` before they are ready,
    or whose stop waits for a `release`.  fail_from: every attempt from that
    one on fails."""

    kind = "worker"

    def __init__(self, name, restart="permanent", shutdown=500, significant=False,
                 start="now", stop="quick", fail=(), hold=(), hold_stop=(), fail_from=0):
        self.name = name
        self.restart = restart
        self.shutdown = shutdown
        self.significant = significant
        self.start = start
        self.stop = stop
        self.fail = set(fail)
        self.hold = set(hold)
        self.hold_stop = set(hold_stop)
        self.fail_from = fail_from

    def behaviour(self):
        """(default (start, stop), {attempt: (start, stop)}, fail_from)"""
        default = (self.start, self.stop)
        over = {}
        for n in sorted(self.fail | self.hold | self.hold_stop):
            start = "fail" if n in self.fail else "hold" if n in self.hold else self.start
            stop = "hold" if n in self.hold_stop else self.stop
            over[n] = (start, stop)
        return default, over, self.fail_from

    def copy_as(self, name):
        w = W(name)
        w.__dict__.update(self.__dict__)
        w.name = name
        return w


class S:
    kind = "supervisor"

    def __init__(self, name, strategy="one_for_one", children=(), intensity=1, period=5,
                 auto_shutdown="never", restart="permanent", shutdown="infinity",
                 significant=False):
        self.name = name
        self.strategy = strategy
        self.children = list(children)
        self.intensity = intensity
        self.period = period
        self.auto_shutdown = auto_shutdown
        self.restart = restart
        self.shutdown = shutdown
        self.significant = significant


def mode(behaviour, n):
    """How start attempt n behaves: (start, stop), start 'fail' for a failure."""
    default, over, fail_from = behaviour
    if fail_from and n >= fail_from:
        return ("fail", default[1])
    return over.get(n, default)


def mode_text(m):
    """The otprec wire form of a mode: 'START STOP'."""
    def one(x):
        return "%s:%d" % x if isinstance(x, tuple) else x
    return "%s %s" % (one(m[0]), one(m[1]))


# --- steps -------------------------------------------------------------------

def held(name):
    """As `after`: go on once a start or stop of name is held."""
    return ("held", name)


def crash(name, way, after="settle"):
    """way: normal, abnormal, shutdown (the worker ends so by itself) or
    killed (SIGKILL / exit(Pid, kill))."""
    return ("crash", name, way, after)


def call(verb, target, after="settle", async_=False, sup=None):
    """verb: stop (terminate_child), start (restart_child), delete
    (delete_child), start_child (a dynamic child named target of the
    simple_one_for_one supervisor sup).  async_: do not wait for the answer
    (see join)."""
    return ("call", verb, target, sup, async_, after)


def join(after="settle"):
    return ("join", after)


def release(name, after="settle"):
    """Let a held start or stop of name go on (waits until it is held)."""
    return ("release", name, after)


def which(sup):
    return ("which", sup)


def align_second():
    """OTP side only: wait until erlang:monotonic_time(second) has just
    ticked (50-150 ms past), so that a timeline measured in whole seconds
    is not at the mercy of where in a second it began."""
    return ("align_second",)


def wait(ms):
    """A plain pause, then settle (for the intensity period)."""
    return ("wait", ms)


class Scenario:
    def __init__(self, id, tree, steps=(), note=""):
        self.id = id
        self.tree = tree
        self.steps = list(steps)
        self.note = note
        self._index()

    def _index(self):
        self.nodes = {}
        self.parent = {}
        self.dyn_parent = {}        # dynamic child -> its simple_one_for_one sup

        def walk(n, parent):
            self.nodes[n.name] = n
            self.parent[n.name] = parent
            if n.kind == "supervisor":
                for c in n.children:
                    walk(c, n.name)
        walk(self.tree, None)
        for st in self.steps:
            if st[0] == "call" and st[1] == "start_child":
                self.dyn_parent[st[2]] = st[3]
        self.behaviours = {}
        for name, n in self.nodes.items():
            if n.kind == "worker":
                self.behaviours[name] = n.behaviour()
        for d, sup in self.dyn_parent.items():
            self.behaviours.setdefault(d, self.nodes[sup].children[0].copy_as(d).behaviour())

    def sup_of(self, target, given=None):
        if given:
            return given
        if target in self.dyn_parent:
            return self.dyn_parent[target]
        return self.parent.get(target) or "root"

    def is_dyn(self, name):
        return name in self.dyn_parent


# --- Erlang terms ----------------------------------------------------------

class Str(str):
    """An Erlang string (a plain Python str is an atom)."""


def term(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, Str):
        return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(x, str):
        return "'" + x.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(x, tuple):
        return "{" + ",".join(term(e) for e in x) + "}"
    if isinstance(x, list):
        return "[" + ",".join(term(e) for e in x) + "]"
    if isinstance(x, dict):
        return "#{" + ",".join(term(k) + "=>" + term(v) for k, v in x.items()) + "}"
    raise TypeError(repr(x))


def _shutdown_term(v):
    return v if isinstance(v, (int, str)) else str(v)


def tree_term(n):
    opts = {"restart": n.restart, "shutdown": _shutdown_term(n.shutdown),
            "significant": n.significant}
    if n.kind == "worker":
        return ("worker", n.name, opts)
    flags = {"strategy": n.strategy, "intensity": n.intensity, "period": n.period,
             "auto_shutdown": n.auto_shutdown}
    return ("sup", n.name, flags, opts, [tree_term(c) for c in n.children])


def _mode_term(m):
    def one(x):
        return (x[0], x[1]) if isinstance(x, tuple) else x
    return (one(m[0]), one(m[1]))


def scenario_term(idx, sc):
    behav = []
    for name, (default, over, fail_from) in sorted(sc.behaviours.items()):
        behav.append((name, (_mode_term(default),
                             [(k, _mode_term(v)) for k, v in sorted(over.items())],
                             fail_from)))
    steps = []
    for st in sc.steps:
        if st[0] == "call":
            _, verb, target, sup, async_, after = st
            t = ("dyn", target) if sc.is_dyn(target) and verb != "start_child" else target
            steps.append(("call", verb, t, sc.sup_of(target, sup), async_, after))
        else:
            steps.append(st)
    return term(("scenario", idx, Str(sc.id), tree_term(sc.tree), behav, steps)) + ".\n"
