"""Normalising and comparing the two raw traces of a scenario.

What is compared: worker events (start, ready, fail, term, exit with a
reason: normal, shutdown, killed, crash) in order, the steps with the
answers of management calls and which_children, give-ups (in order), the
final tree (which_children of every running supervisor, names sorted), and
how the tree ended.  Never pids or times.

Events that happen at once have no order: a run of consecutive `killed`
exits (a subtree killed at once, or a brutal kill) and a run of stops of
the dynamic children of one simple_one_for_one supervisor (stopped in
parallel) are sorted.
"""
import difflib


def _key(line, sc):
    a = line.split()
    if a[0] != "ev" or a[1] not in ("exit", "term"):
        return None
    name = a[2]
    if sc.is_dyn(name):
        return ("dyn", sc.dyn_parent[name])
    if a[1] == "exit" and a[3] == "killed":
        return ("killed",)
    return None


def _sort_runs(evs, sc):
    out, i = [], 0
    while i < len(evs):
        k = _key(evs[i], sc)
        j = i + 1
        if k is not None:
            while j < len(evs) and _key(evs[j], sc) == k:
                j += 1
            out += sorted(evs[i:j])
        else:
            out.append(evs[i])
        i = j
    return out


def normalise(lines, sc):
    evs, giveups, tree, end, other = [], [], [], [], []
    for l in lines:
        l = l.rstrip()
        if not l:
            continue
        if l.startswith(("ev ", "mark ")):
            evs.append(l)
        elif l.startswith("giveup "):
            giveups.append(l)
        elif l.startswith("tree "):
            tree.append(l)
        elif l.startswith(("end ", "otpd exit")):
            end.append(l)
        else:
            other.append(l)
    return _sort_runs(evs, sc) + giveups + tree + end + other


def diff(otp, otpd):
    return "\n".join(difflib.unified_diff(otp, otpd, "otp", "otpd", lineterm="", n=50))
