#!/usr/bin/env python3
"""check-layering: fails when a file includes a header of a layer above it.

The layers and the rooms of init/ are those of ARCHITECTURE.md; this table
is the same picture, for the build.  A file's place is its directory
(init/<room>/, or "init" for the doorway's room: the files directly in
init/).  It may include headers of its own place and of the places listed
for it, nothing else.  Run from the top of the repository; prints every
offending line and exits 1, or prints nothing and exits 0.
"""
import os
import re
import sys

ALLOWED = {
    # libraries, bottom up
    "util": set(),
    "supervisor": set(),
    "cgroups": {"util"},
    "ipc": {"util"},
    "config": {"supervisor", "util", "cgroups"},
    # the rooms of init/, bottom up; init/core is the doorway's header
    "init/core": {"config", "supervisor"},
    "init/base": {"util"},
    "init/output": {"init/base", "supervisor"},
    "init/child": {"config", "cgroups", "supervisor", "util"},
    "init/cgroup": {"init/base", "init/core", "cgroups", "config", "supervisor", "util"},
    "init/worker": {"init/base", "init/core", "init/output", "init/child", "init/cgroup",
                    "ipc", "config", "supervisor", "cgroups", "util"},
    "init/events": {"init/base", "init/core", "init/output", "init/worker", "init/cgroup",
                    "config", "supervisor", "util"},
    "init/control": {"init/base", "init/core", "init/output", "init/worker", "init/cgroup",
                     "init/child", "init/events", "ipc", "config", "supervisor", "cgroups",
                     "util"},
    "init/system": {"init/base", "init/core", "init/worker", "config", "supervisor", "util"},
    # the doorway's room may use every room; main.c sits with it
    "init": {"init/base", "init/output", "init/child", "init/cgroup", "init/worker",
             "init/events", "init/control", "init/system", "init/core", "ipc", "config", "supervisor",
             "cgroups", "util"},
}
# init/core.h is the doorway: every room that hands it events includes it.
ROOMS_OF_HEADERS = {"init/core.h": "init/core", "init/doorway.h": "init"}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def place(path):
    """The layer or room of a repository-relative path, or None (not checked)."""
    if path in ROOMS_OF_HEADERS:
        return ROOMS_OF_HEADERS[path]
    parts = path.split("/")
    if parts[0] == "init":
        return "init/" + parts[1] if len(parts) > 2 else "init"
    return parts[0] if parts[0] in ALLOWED else None


def main():
    bad = 0
    for top in [p for p in ALLOWED if "/" not in p]:
        for root, _, files in os.walk(top):
            for name in files:
                if not name.endswith((".c", ".h")):
                    continue
                src = os.path.join(root, name)
                me = place(src)
                for lineno, line in enumerate(open(src, encoding="utf-8", errors="replace"), 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = os.path.normpath(os.path.join(root, m.group(1)))
                    them = place(target)
                    if them is None or them == me or them in ALLOWED.get(me, set()):
                        continue
                    if me == "init" and them == "init/core":
                        continue
                    print(f"{src}:{lineno}: {me} may not include {target} ({them})")
                    bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
