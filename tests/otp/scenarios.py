"""The scenarios of the OTP differential tier: named ones (each rule of
OTP's supervisor, one at a time) and a seeded generator of small random
trees and timelines.

Timelines never race: each step runs once the tree has settled, except in
the `busy/` cases, where a start or stop is held by the worker until the
timeline releases it (no timer decides what happens first).  Timers that
matter (shutdown deadlines) are at least 100 ms apart from anything they
could race with.  The intensity period is 30 s (OTP counts whole seconds,
otpd milliseconds: a case never lasts long enough to tell them apart),
except in intensity/period_expiry.
"""
import random

from model import W, S, Scenario, align_second, crash, call, held, join, release, which, wait

STRATS = ["one_for_one", "one_for_all", "rest_for_one"]
TYPES = ["permanent", "transient", "temporary"]
WAYS = ["normal", "abnormal", "shutdown", "killed"]
P = 30          # the period of every supervisor (seconds)


def sup(name, strategy, children, intensity=3, **kw):
    return S(name, strategy, children, intensity=intensity, period=kw.pop("period", P), **kw)


def strategies():
    out = []
    for strat in STRATS:
        for rt in TYPES:
            for way in WAYS:
                out.append(Scenario(
                    "strat/%s/%s/%s" % (strat, rt, way),
                    sup("root", strat, [W("a"), W("b", restart=rt), W("c")]),
                    [crash("b", way), which("root")]))
    for rt in TYPES:
        for way in WAYS:
            out.append(Scenario(
                "strat/simple_one_for_one/%s/%s" % (rt, way),
                sup("root", "one_for_one", [W("a"), sup("s", "simple_one_for_one", [W("t", restart=rt)])]),
                [call("start_child", "d1", sup="s"), call("start_child", "d2", sup="s"),
                 call("start_child", "d3", sup="s"), crash("d2", way), which("s")]))
    # a supervisor in the middle of a group
    for strat in STRATS:
        out.append(Scenario(
            "strat/%s/sub_supervisor" % strat,
            sup("root", strat, [W("a"), sup("s1", "one_for_one", [W("x"), W("y")]), W("c")]),
            [crash("x", "killed"), crash("a", "abnormal"), crash("c", "killed"), which("root"),
             which("s1")]))
    # a child stopped by hand is started again by a group restart
    for strat in ("one_for_all", "rest_for_one"):
        out.append(Scenario(
            "strat/%s/stopped_child_restarted" % strat,
            sup("root", strat, [W("a"), W("b"), W("c")]),
            [call("stop", "c"), call("stop", "b"), crash("a", "killed"), which("root")]))
    return out


def intensity():
    two = lambda root_strat="one_for_one", s1_restart="permanent": sup(  # noqa: E731
        "root", root_strat,
        [W("w"), sup("s1", "one_for_one", [W("x"), W("y")], intensity=1, restart=s1_restart),
         W("z")], intensity=1)
    return [
        Scenario("intensity/one_level_giveup", sup("root", "one_for_one", [W("a"), W("b")], intensity=2),
                 [crash("a", "killed"), crash("a", "abnormal"), crash("b", "killed")]),
        Scenario("intensity/zero", sup("root", "one_for_one", [W("a"), W("b")], intensity=0),
                 [crash("b", "abnormal")]),
        Scenario("intensity/transient_clean_exits_do_not_count",
                 sup("root", "one_for_one", [W("a", restart="transient"), W("b")], intensity=1),
                 [crash("a", "normal"), call("start", "a"), crash("a", "shutdown"), call("start", "a"),
                  crash("b", "killed"), which("root")]),
        Scenario("intensity/group_restart_counts_once",
                 sup("root", "one_for_all", [W("a"), W("b"), W("c")], intensity=1),
                 [crash("a", "abnormal"), which("root"), crash("c", "killed")]),
        Scenario("intensity/rest_for_one_counts_once",
                 sup("root", "rest_for_one", [W("a"), W("b"), W("c")], intensity=1),
                 [crash("a", "abnormal"), crash("b", "killed")]),
        Scenario("intensity/period_expiry",
                 sup("root", "one_for_one", [W("a")], intensity=1, period=1),
                 [crash("a", "killed"), wait(2500), crash("a", "killed"), which("root"),
                  crash("a", "killed")]),
        Scenario("intensity/milliseconds",
                 sup("root", "one_for_one", [W("a")], intensity=1, period=1),
                 [align_second(), crash("a", "killed"), wait(1200), crash("a", "killed"),
                  which("root")],
                 note="1.2 s between two restarts: otpd's 1 s window has let the first go, "
                      "OTP's whole seconds have not"),
        Scenario("escalation/two_levels_permanent", two(),
                 [crash("x", "killed"), crash("y", "abnormal"), which("root"), crash("x", "killed"),
                  crash("x", "killed")]),
        Scenario("escalation/transient_sub_stays_down", two(s1_restart="transient"),
                 [crash("x", "killed"), crash("y", "abnormal"), which("root"), call("start", "s1"),
                  which("s1")]),
        Scenario("escalation/temporary_sub_removed", two(s1_restart="temporary"),
                 [crash("x", "killed"), crash("y", "abnormal"), which("root"), call("start", "s1")]),
        Scenario("escalation/one_for_all_root", two("one_for_all"),
                 [crash("x", "killed"), crash("y", "abnormal"), which("root"), which("s1")]),
        Scenario("escalation/rest_for_one_root", two("rest_for_one"),
                 [crash("x", "killed"), crash("y", "abnormal"), which("root"), which("s1")]),
        Scenario("escalation/three_levels",
                 sup("root", "one_for_one",
                     [sup("s1", "one_for_one", [sup("s2", "one_for_all", [W("x"), W("y")], intensity=0),
                                                 W("z")], intensity=1), W("w")], intensity=1),
                 [crash("x", "abnormal"), crash("y", "killed"), crash("x", "killed"),
                  crash("y", "killed"), which("s1")]),
    ]


def significant():
    out = []

    def tree(auto, b, c=None, strat="one_for_one"):
        ch = [W("a"), b] + ([c] if c else [])
        return sup("root", strat, ch, auto_shutdown=auto)
    for rt in ("transient", "temporary"):
        for way in WAYS:
            out.append(Scenario(
                "significant/any/%s/%s" % (rt, way),
                tree("any_significant", W("b", restart=rt, significant=True)),
                [crash("b", way), which("root")]))
    out += [
        Scenario("significant/all/two",
                 tree("all_significant", W("b", restart="transient", significant=True),
                      W("c", restart="temporary", significant=True)),
                 [crash("b", "normal"), which("root"), crash("c", "killed")]),
        Scenario("significant/all/stopped_is_not_active",
                 tree("all_significant", W("b", restart="transient", significant=True),
                      W("c", restart="transient", significant=True)),
                 [call("stop", "b"), crash("c", "normal")]),
        Scenario("significant/all/restarted_one_still_active",
                 tree("all_significant", W("b", restart="transient", significant=True),
                      W("c", restart="transient", significant=True)),
                 [crash("b", "abnormal"), crash("c", "normal"), which("root"), crash("b", "shutdown")]),
        Scenario("significant/stop_does_not_shut_down",
                 tree("any_significant", W("b", restart="transient", significant=True)),
                 [call("stop", "b"), which("root"), call("start", "b"), crash("b", "normal")]),
        Scenario("significant/group_restart_does_not_shut_down",
                 tree("any_significant", W("b", restart="transient", significant=True),
                      strat="one_for_all"),
                 [crash("a", "abnormal"), which("root"), crash("b", "normal")]),
        Scenario("significant/nested_both_significant",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x"), W("y", restart="transient", significant=True)],
                                  auto_shutdown="any_significant", restart="transient", significant=True)],
                     auto_shutdown="any_significant"),
                 [crash("y", "normal")]),
        Scenario("significant/nested_permanent_sub_restarted",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x"), W("y", restart="transient", significant=True)],
                                  auto_shutdown="any_significant")]),
                 [crash("y", "shutdown"), which("root"), which("s1")]),
        Scenario("significant/nested_transient_sub_stays_down",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x"), W("y", restart="temporary", significant=True)],
                                  auto_shutdown="all_significant", restart="transient")]),
                 [crash("y", "abnormal"), which("root")]),
        Scenario("significant/simple_one_for_one_auto_shutdown",
                 sup("root", "one_for_one",
                     [W("a"), sup("s", "simple_one_for_one", [W("t", restart="transient", significant=True)],
                                  auto_shutdown="any_significant", restart="transient")]),
                 [call("start_child", "d1", sup="s"), crash("d1", "normal"), which("root")]),
    ]
    return out


def manage():
    abc = lambda **kw: sup("root", "one_for_one", [W("a"), W("b", **kw), W("c")])  # noqa: E731
    sub = lambda: sup("root", "one_for_one", [W("a"), sup("s1", "one_for_one", [W("x"), W("y")]), W("c")])  # noqa: E731
    sofo = lambda **kw: sup("root", "one_for_one", [W("a"), sup("s", "simple_one_for_one", [W("t", **kw)])])  # noqa: E731
    return [
        Scenario("manage/stop_start", abc(),
                 [call("stop", "b"), call("stop", "b"), which("root"), call("start", "b"),
                  call("start", "b"), which("root")]),
        Scenario("manage/delete", abc(),
                 [call("delete", "b"), call("stop", "b"), call("delete", "b"), call("delete", "b"),
                  call("start", "b"), call("stop", "b"), which("root")]),
        Scenario("manage/temporary_stop_removes", abc(restart="temporary"),
                 [call("stop", "b"), call("start", "b"), which("root")]),
        Scenario("manage/transient_after_clean_exit", abc(restart="transient"),
                 [crash("b", "normal"), which("root"), call("delete", "b"), which("root")]),
        Scenario("manage/unknown", abc(),
                 [call("stop", "nope"), call("start", "nope"), call("delete", "nope")]),
        Scenario("manage/stop_start_sup", sub(),
                 [call("stop", "s1"), which("root"), call("start", "s1"), which("s1")]),
        Scenario("manage/delete_sup", sub(),
                 [call("stop", "s1"), call("delete", "s1"), which("root"), call("start", "s1")]),
        Scenario("manage/children_of_stopped_sup", sub(),
                 [call("stop", "s1"), call("stop", "x"), call("start", "x"), call("delete", "y"),
                  which("s1"), call("start", "s1"), which("s1")]),
        Scenario("manage/sub_children", sub(),
                 [call("stop", "y"), call("stop", "x"), which("s1"), call("start", "y"),
                  call("delete", "x"), which("s1")]),
        Scenario("manage/start_failed", abc(fail={2}),
                 [call("stop", "b"), call("start", "b"), which("root"), call("start", "b"),
                  which("root")]),
        Scenario("manage/simple_one_for_one", sofo(),
                 [call("start_child", "d1", sup="s"), call("start_child", "d2", sup="s"),
                  call("stop", "d1"), call("start", "d2"), call("delete", "d2"),
                  call("start", "t"), call("stop", "t"), call("delete", "t"), which("s")]),
        Scenario("manage/simple_one_for_one_start_child_failed", sofo(fail={1}),
                 [call("start_child", "d1", sup="s"), call("start_child", "d2", sup="s"),
                  which("s")]),
        Scenario("manage/simple_one_for_one_stopped_sup", sofo(),
                 [call("start_child", "d1", sup="s"), call("start_child", "d2", sup="s"),
                  call("stop", "s"), which("root"), call("start_child", "d3", sup="s"),
                  call("start", "s"), which("s")]),
        Scenario("manage/ended_dynamic_child", sofo(),
                 [call("start_child", "d1", sup="s"), call("stop", "d1"), call("stop", "d1"),
                  call("start", "d1"), call("delete", "d1")]),
        Scenario("manage/child_of_removed_sup",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x")], intensity=0, restart="temporary")]),
                 [crash("x", "abnormal"), which("root"), call("stop", "x"), call("start", "x")]),
        Scenario("manage/simple_one_for_one_temporary", sofo(restart="temporary"),
                 [call("start_child", "d1", sup="s"), call("start_child", "d2", sup="s"),
                  crash("d1", "abnormal"), call("stop", "d2"), which("s")]),
    ]


def busy():
    """Management calls and crashes while a supervisor is busy: a start or a
    stop is held by the worker until the timeline releases it."""
    one = lambda strat="one_for_one": sup("root", strat, [W("a", hold={2}), W("b"), W("c")])  # noqa: E731
    mid = lambda strat: sup("root", strat, [W("a"), W("b", hold={2}), W("c")])  # noqa: E731
    held_stop = lambda: sup("root", "one_for_one",  # noqa: E731
                            [W("a"), W("b", stop="ignore", hold_stop={1}, shutdown="infinity"), W("c")])
    return [
        Scenario("busy/stop_restarting_child", one(),
                 [crash("a", "killed", after=held("a")), call("stop", "a", async_=True, after=150),
                  release("a"), join(), which("root")]),
        Scenario("busy/stop_sibling", one(),
                 [crash("a", "killed", after=held("a")), call("stop", "b", async_=True, after=150),
                  release("a"), join(), which("root")]),
        Scenario("busy/start_restarting_child", one(),
                 [crash("a", "killed", after=held("a")), call("start", "a", async_=True, after=150),
                  release("a"), join(), which("root")]),
        Scenario("busy/delete_restarting_child", one(),
                 [crash("a", "killed", after=held("a")), call("delete", "a", async_=True, after=150),
                  release("a"), join(), which("root")]),
        Scenario("busy/sibling_crash_one_for_one", one(),
                 [crash("a", "killed", after=held("a")), crash("b", "killed", after=150), release("a"),
                  which("root")]),
        Scenario("busy/sibling_crash_rest_for_one", mid("rest_for_one"),
                 [crash("b", "killed", after=held("b")), crash("a", "killed", after=150), release("b"),
                  which("root")]),
        Scenario("busy/stop_during_group_restart", mid("rest_for_one"),
                 [crash("b", "killed", after=held("b")), call("stop", "a", async_=True, after=150),
                  release("b"), join(), which("root")]),
        Scenario("busy/start_during_group_restart", mid("one_for_all"),
                 [call("stop", "c"), crash("b", "killed", after=held("b")),
                  call("start", "c", async_=True, after=150), release("b"), join(), which("root")]),
        Scenario("busy/stop_holding_child",
                 held_stop(),
                 [call("stop", "b", async_=True, after=held("b")), call("stop", "a", async_=True, after=150),
                  release("b"), join(), which("root")]),
        Scenario("busy/crash_during_stop",
                 held_stop(),
                 [call("stop", "b", async_=True, after=held("b")), crash("a", "killed", after=150),
                  release("b"), join(), which("root")]),
        Scenario("busy/shutdown_while_sub_restarts",
                 sup("root", "one_for_one", [W("a"), sup("s1", "one_for_one", [W("x", hold={2}), W("y")])]),
                 [crash("x", "killed", after=held("x")), call("stop", "s1", async_=True, after=150),
                  release("x"), join(), which("root")]),
    ]


def shutdown():
    out = [
        Scenario("shutdown/order_flat", sup("root", "one_for_one", [W("a"), W("b"), W("c")]), []),
        Scenario("shutdown/brutal_mixed",
                 sup("root", "one_for_one", [W("a", shutdown="brutal_kill"), W("b"),
                                             W("c", shutdown="brutal_kill")]), []),
        Scenario("shutdown/timeout",
                 sup("root", "one_for_one", [W("a"), W("b", stop="ignore", shutdown=100)]), []),
        Scenario("shutdown/slow_in_time",
                 sup("root", "one_for_one", [W("a"), W("b", stop=("slow", 50), shutdown=2000)]), []),
        Scenario("shutdown/infinity",
                 sup("root", "one_for_one", [W("a"), W("b", stop=("slow", 150), shutdown="infinity")]), []),
        Scenario("shutdown/stop_call_timeout",
                 sup("root", "one_for_one", [W("a"), W("b", stop="ignore", shutdown=100), W("c")]),
                 [call("stop", "b"), which("root")]),
        Scenario("shutdown/group_restart_order",
                 sup("root", "one_for_all", [W("a", shutdown="brutal_kill"),
                                             W("b", stop=("slow", 30), shutdown=2000),
                                             W("c", stop="ignore", shutdown=100), W("d")]),
                 [crash("b", "abnormal")]),
        Scenario("shutdown/two_levels",
                 sup("root", "one_for_one",
                     [sup("s1", "one_for_one", [sup("s2", "one_for_one", [W("x"), W("y")]), W("z")]),
                      W("w")]), []),
        Scenario("shutdown/sup_deadline_workers_only",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x", stop="ignore", shutdown=5000), W("y")],
                                  shutdown=500)]), []),
        Scenario("shutdown/sup_deadline_nested",
                 sup("root", "one_for_one",
                     [sup("s1", "one_for_one", [sup("s2", "one_for_one", [W("x"), W("y")]),
                                                W("z", stop="ignore", shutdown=5000)], shutdown=300)]),
                 []),
        Scenario("shutdown/brutal_sup",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x"), W("y", stop=("slow", 100))],
                                  shutdown="brutal_kill")]), []),
        Scenario("shutdown/brutal_sup_nested",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [sup("s2", "one_for_one", [W("x")]), W("y")],
                                  shutdown="brutal_kill")]), []),
        Scenario("shutdown/simple_one_for_one_parallel",
                 sup("root", "one_for_one", [W("a"), sup("s", "simple_one_for_one", [W("t")])]),
                 [call("start_child", "d%d" % i, sup="s") for i in range(1, 4)]),
        Scenario("shutdown/simple_one_for_one_timeout",
                 sup("root", "one_for_one",
                     [W("a"), sup("s", "simple_one_for_one", [W("t", stop="ignore", shutdown=150)])]),
                 [call("start_child", "d%d" % i, sup="s") for i in range(1, 4)]),
    ]
    # every kind of shutdown of a supervisor over every kind of worker below it
    kinds = {"brutal": dict(shutdown="brutal_kill"),
             "timeout": dict(stop="ignore", shutdown=100),
             "infinity": dict(stop=("slow", 50), shutdown="infinity")}
    for s_name, s_sd in (("infinity", "infinity"), ("in_time", 2000), ("deadline", 600),
                         ("brutal", "brutal_kill")):
        for w_name, w_kw in kinds.items():
            if s_name == "deadline" and w_name == "infinity":
                # the supervisor's deadline kills it (a slow stop would race it)
                w_kw = dict(stop="ignore", shutdown="infinity")
            out.append(Scenario(
                "shutdown/levels/sup_%s/worker_%s" % (s_name, w_name),
                sup("root", "one_for_one",
                    [W("a"), sup("s1", "one_for_one", [W("x"), W("y", **w_kw)], shutdown=s_sd), W("c")]),
                [call("stop", "s1"), which("root"), call("start", "s1")]))
    return out


def failures():
    out = [
        Scenario("boot/fail_flat", sup("root", "one_for_one", [W("a"), W("b", fail={1}), W("c")]), []),
        Scenario("boot/fail_first", sup("root", "one_for_one", [W("a", fail={1})]), []),
        Scenario("boot/fail_nested",
                 sup("root", "one_for_one",
                     [W("a"), sup("s1", "one_for_one", [W("x"), W("y", fail={1})]), W("c")]), []),
        Scenario("boot/fail_deep",
                 sup("root", "rest_for_one",
                     [W("a"), sup("s1", "one_for_all", [sup("s2", "one_for_one", [W("x", fail={1})])])]),
                 []),
    ]
    for strat in STRATS:
        out.append(Scenario("restart/%s/fail_retried" % strat,
                            sup("root", strat, [W("a"), W("b", fail={2}), W("c")]),
                            [crash("b", "abnormal"), which("root")]))
        out.append(Scenario("restart/%s/fail_gives_up" % strat,
                            sup("root", strat, [W("a"), W("b", fail={2, 3}), W("c")], intensity=2),
                            [crash("b", "killed")]))
        out.append(Scenario("restart/%s/other_fails" % strat,
                            sup("root", strat, [W("a", fail={2}), W("b"), W("c", fail={2, 3})]),
                            [crash("b", "abnormal"), which("root")]))
    out += [
        Scenario("restart/fail_forever",
                 sup("root", "one_for_one", [W("a"), W("b", fail_from=2)], intensity=2),
                 [crash("b", "abnormal")]),
        Scenario("restart/fail_escalates",
                 sup("root", "one_for_one",
                     [sup("s1", "one_for_one", [W("x", fail={2, 3}), W("y")], intensity=1), W("z")],
                     intensity=1),
                 [crash("x", "abnormal"), which("root"), which("s1")]),
        Scenario("restart/sub_restart_fails",
                 sup("root", "one_for_all",
                     [W("a"), sup("s1", "one_for_one", [W("x", fail={2}), W("y")])]),
                 [crash("a", "abnormal"), which("root"), which("s1")]),
        Scenario("restart/simple_one_for_one_fail",
                 sup("root", "one_for_one", [sup("s", "simple_one_for_one", [W("t", fail={2})])]),
                 [call("start_child", "d1", sup="s"), crash("d1", "abnormal"), which("s")]),
        Scenario("sub/temporary_sub_returns",
                 sup("root", "one_for_one",
                     [sup("s0", "one_for_one", [sup("s1", "one_for_one", [W("x")], intensity=0,
                                                    restart="temporary"), W("b")], intensity=0)]),
                 [crash("x", "abnormal"), which("s0"), crash("b", "abnormal"), which("s0"),
                  which("s1")]),
        Scenario("sub/deleted_sub_returns",
                 sup("root", "one_for_one",
                     [sup("s0", "one_for_one", [sup("s1", "one_for_one", [W("x")]), W("b")],
                          intensity=0)]),
                 [call("stop", "s1"), call("delete", "s1"), which("s0"), crash("b", "abnormal"),
                  which("s0"), which("s1")]),
        Scenario("sub/temporary_worker_returns",
                 sup("root", "one_for_one",
                     [sup("s0", "one_for_one", [W("x", restart="temporary"), W("b")], intensity=0)]),
                 [crash("x", "abnormal"), crash("b", "abnormal"), which("s0")]),
    ]
    return out


def named():
    return strategies() + intensity() + significant() + manage() + busy() + shutdown() + failures()


# --- random cases ---------------------------------------------------------------

def random_case(seed, i):
    """Case i of seed: a small random tree and timeline, the same every time."""
    rng = random.Random("%d:%d" % (seed, i))
    names = {"w": 0, "s": 0, "d": 0}

    def fresh(k):
        names[k] += 1
        return "%s%d" % (k, names[k])

    def worker(parent_auto, in_sofo=False):
        n = W(fresh("w"))
        n.restart = rng.choice(TYPES)
        r = rng.random()
        if r < 0.15:
            n.shutdown = "brutal_kill"
        elif r < 0.30:
            n.shutdown, n.stop = rng.choice([100, 150]), "ignore"
        elif r < 0.45:
            n.shutdown, n.stop = rng.choice([2000, "infinity"]), ("slow", rng.choice([20, 40]))
        else:
            n.shutdown = rng.choice([500, "infinity"])
        if parent_auto != "never" and n.restart != "permanent" and rng.random() < 0.6:
            n.significant = True
        r = rng.random()
        if r < 0.04 and not in_sofo:
            n.fail = {1}
        elif r < 0.20:
            n.fail = set(rng.sample(range(2, 6), rng.choice([1, 2])))
        elif r < 0.24:
            n.fail_from = rng.choice([2, 3])
        return n

    def supervisor(name, depth):
        strat = rng.choice(STRATS + (["simple_one_for_one"] if depth > 0 else []))
        auto = "never"
        if strat != "simple_one_for_one" and rng.random() < 0.2:
            auto = rng.choice(["any_significant", "all_significant"])
        s = S(name, strat, [], intensity=rng.choice([0, 1, 1, 2, 3, 5]), period=P,
              auto_shutdown=auto)
        if strat == "simple_one_for_one":
            s.children = [worker(auto, in_sofo=True)]
            return s
        for _ in range(rng.randint(1, 4 if depth == 0 else 3)):
            if depth < 2 and rng.random() < 0.25:
                c = supervisor(fresh("s"), depth + 1)
                c.restart = rng.choice(TYPES)
                if auto != "never" and c.restart != "permanent" and rng.random() < 0.4:
                    c.significant = True
                c.shutdown = "infinity"
                if rng.random() < 0.2 and all(g.kind == "worker" for g in c.children):
                    c.shutdown = 3000
                s.children.append(c)
            else:
                s.children.append(worker(auto))
        return s

    tree = supervisor("root", 0)
    sc = Scenario("", tree)
    workers = [n for n in sc.nodes.values() if n.kind == "worker"
               and sc.nodes[sc.parent[n.name]].strategy != "simple_one_for_one"]
    sups = [n for n in sc.nodes.values() if n.kind == "supervisor"]
    sofos = [n for n in sups if n.strategy == "simple_one_for_one"]
    steps, dyn = [], []
    for s in sofos:
        for _ in range(rng.randint(1, 3)):
            d = fresh("d")
            dyn.append(d)
            steps.append(call("start_child", d, sup=s.name))
    for _ in range(rng.randint(2, 6)):
        r = rng.random()
        targets = [w.name for w in workers] + dyn
        if r < 0.55 and targets:
            steps.append(crash(rng.choice(targets), rng.choice(WAYS)))
        elif r < 0.85:
            verb = rng.choice(["stop", "stop", "start", "start", "delete"])
            pool = [n for n in sc.nodes if n != "root"] + dyn
            steps.append(call(verb, rng.choice(pool)))
        elif sofos and r < 0.92:
            d = fresh("d")
            dyn.append(d)
            steps.append(call("start_child", d, sup=rng.choice(sofos).name))
        else:
            steps.append(which(rng.choice(sups).name))
    return Scenario("rand:%d:%d" % (seed, i), tree, steps)


def random_cases(seed, n):
    return [random_case(seed, i) for i in range(n)]


def describe(sc):
    """The case as text: its tree (one node a line) and its timeline."""
    out = ["case " + sc.id + ((": " + sc.note) if sc.note else "")]

    def walk(n, depth):
        if n.kind == "supervisor":
            a = "%s %s intensity=%d period=%d" % (n.name, n.strategy, n.intensity, n.period)
            if n.auto_shutdown != "never":
                a += " auto_shutdown=" + n.auto_shutdown
        else:
            a = "%s start=%s stop=%s" % (n.name, n.start, n.stop)
            for k in ("fail", "hold", "hold_stop"):
                if getattr(n, k):
                    a += " %s=%s" % (k, sorted(getattr(n, k)))
            if n.fail_from:
                a += " fail_from=%d" % n.fail_from
        if depth:
            a += " restart=%s shutdown=%s" % (n.restart, n.shutdown)
            if n.significant:
                a += " significant"
        out.append("  " * (depth + 1) + a)
        if n.kind == "supervisor":
            for c in n.children:
                walk(c, depth + 1)
    walk(sc.tree, 0)
    for st in sc.steps:
        out.append("  step " + " ".join(str(x) for x in st if x is not None))
    return "\n".join(out)
