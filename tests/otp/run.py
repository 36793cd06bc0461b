#!/usr/bin/env python3
"""The OTP differential tier: the same scenarios against Erlang/OTP's own
supervisor (erlang-nox, through otpdiff.erl) and against otpd with real
worker processes, with cgroups off and auto; traces normalised and compared.

  tests/otp/run.py                     every named scenario and the random ones
  tests/otp/run.py CASE...             some cases (ids or globs: 'strat/*',
                                       'rand:1:42'), both cgroup modes
  tests/otp/run.py --mode off CASE     one mode
  tests/otp/run.py --seed N --random K K random cases of seed N (default 1, 300)
  tests/otp/run.py --show CASE         also print both traces
  tests/otp/run.py --list              the case ids

A case that diverges and is not listed fails, with the diff and a one-line
reproduction.  Cases listed in deviations.txt (documented deviations, each
naming its entry in otp.conf(5) DEVIATIONS FROM OTP) must still diverge;
cases in pending.txt (known divergences being fixed) are shown as pending.
Exit 0 when nothing failed, 1 otherwise, 77 when Erlang/OTP cannot run here.
"""
import sys
sys.dont_write_bytecode = True  # noqa: E402 (no __pycache__ in the source tree)
import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import model      # noqa: E402
import otpd_side  # noqa: E402
import scenarios  # noqa: E402
import trace      # noqa: E402


def skip(why):
    print("otp: skipped: " + why)
    sys.exit(77)


def ensure_erlang():
    """erl and erlc, installing erlang-nox when missing (as setup.sh does)."""
    if not (shutil.which("erl") and shutil.which("erlc")):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            skip("no Erlang/OTP (erlang-nox) and no way to install it here")
        print("otp: installing erlang-nox", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run("apt-get install -y -qq --no-install-recommends "
                           "-o DPkg::Lock::Timeout=300 erlang-nox >/dev/null ||"
                           "{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "
                           "-o DPkg::Lock::Timeout=300 erlang-nox >/dev/null; }",
                           shell=True, env=env)
        if r.returncode != 0 or not shutil.which("erl"):
            skip("erlang-nox could not be installed (apt-get failed)")
    r = subprocess.run(["erl", "-noshell", "-eval",
                        "io:format(\"~s\", [erlang:system_info(otp_release)]), halt()."],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        skip("erl does not run: " + r.stdout.strip()[-200:])
    return r.stdout.strip()


# --- the lists of known divergences -----------------------------------------

def read_list(path, differs=None):
    """[(pattern, mode, tag, rest)] from a list file (# comments).  Lines
    "@differs ID REGEX" go to `differs` (ID -> compiled REGEX)."""
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if line.startswith("@differs"):
                a = line.split(None, 2)
                if differs is None or len(a) < 3:
                    sys.exit("%s:%d: expected @differs ID REGEX" % (path, n))
                differs[a[1]] = re.compile(a[2])
                continue
            a = line.split(None, 3)
            if len(a) < 3:
                sys.exit("%s:%d: expected CASE MODE TAG ..." % (path, n))
            out.append((a[0], a[1], a[2], a[3] if len(a) > 3 else ""))
    return out


def listed(entries, cid, mode):
    for pat, m, tag, rest in entries:
        if fnmatch.fnmatchcase(cid, pat) and m in ("*", mode):
            return tag, rest
    return None


def deviation_docs():
    """The text of otp.conf(5)'s DEVIATIONS FROM OTP section, words only."""
    with open(os.path.join(ROOT, "man", "otp.conf.5")) as f:
        text = f.read()
    m = re.search(r"^\.SH DEVIATIONS FROM OTP\n(.*?)^\.SH ", text, re.S | re.M)
    if not m:
        return None
    body = re.sub(r"^\.[A-Z]+ ?", "", m.group(1), flags=re.M)
    body = re.sub(r"\\f[BIRP]|\\\(..|\\", "", body)
    return " ".join(body.split())


# --- running -------------------------------------------------------------------

class Result:
    def __init__(self, sc, mode):
        self.sc, self.mode = sc, mode
        self.otpd = None
        self.error = None
        self.seconds = 0.0


def run_otp(cases, outdir, ebin, jobs=12):
    path = os.path.join(outdir, "cases.terms")
    with open(path, "w") as f:
        for idx, sc in enumerate(cases):
            f.write(model.scenario_term(idx, sc))
    return subprocess.Popen(["erl", "-noshell", "-pa", ebin, "-run", "otpdiff", "main",
                             path, outdir, str(jobs)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run_otpd(res, build, watch, cgroot, workdir, idx):
    cgbase = None
    if res.mode != "off" and cgroot:
        cgbase = os.path.join(cgroot, "c%d-%s" % (idx, res.mode))
    t0 = time.monotonic()
    case = otpd_side.OtpdCase(res.sc, build, watch, res.mode, cgbase, workdir)
    try:
        res.otpd = case.run()
    except otpd_side.HarnessError as e:
        res.error = str(e)
    except Exception as e:      # a bug of the harness: shown as a failure
        res.error = "%s: %s" % (type(e).__name__, e)
    res.stderr = getattr(case, "stderr_text", "")
    for a in case.anomalies:
        print("otp: note: %s [%s]: %s" % (res.sc.id, res.mode, a), flush=True)
    res.seconds = time.monotonic() - t0


def hint(otp, otpd, stderr, mode):
    """Which known divergence a failure looks like, from its diff alone."""
    minus = [l for l in otp if l not in otpd]
    plus = [l for l in otpd if l not in otp]
    if mode != "off" and "spawn:No such file or directory" in stderr:
        return "a worker's cgroup was missing at its start (as issue 17.3 was)"
    calls = all(l.startswith("mark call ") for l in minus + plus)
    if calls and plus and all(l.endswith("= not_found") for l in plus):
        return ("a call on a dynamic child that has ended: deviation dynamic-forgotten "
                "(list the case in deviations.txt if that is all)")
    if calls and minus and all(l.endswith("= noproc") for l in minus):
        return "calls on children of a supervisor that is not running (OTP: noproc)"
    return None


def beyond(otp, otpd, pattern):
    """The changed lines of a deviating case that its deviation does not
    explain (its @differs pattern), or [] when it says nothing."""
    if pattern is None:
        return []
    changed = [l[1:] for l in trace.diff(otp, otpd).splitlines()
               if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    return [l for l in changed if not pattern.search(l)]


def repro(cid, mode):
    return "tests/otp/run.py --mode %s '%s'" % (mode, cid)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--mode", choices=["off", "auto", "both"], default="both")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("OTP_SEED", "1")))
    ap.add_argument("--random", type=int, default=int(os.environ.get("OTP_RANDOM", "300")))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--print", action="store_true", help="print the cases (tree and timeline)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    build = os.path.abspath(os.environ.get("BUILD", os.path.join(ROOT, "build")))

    cases = scenarios.named() + scenarios.random_cases(args.seed, args.random)
    if args.cases:
        wanted = []
        for pat in args.cases:
            if re.fullmatch(r"rand:\d+:\d+", pat) and not any(c.id == pat for c in cases):
                _, seed, i = pat.split(":")
                wanted.append(scenarios.random_case(int(seed), int(i)))
                continue
            wanted += [c for c in cases if fnmatch.fnmatchcase(c.id, pat) and c not in wanted]
        cases = wanted
        if not cases:
            sys.exit("otp: no case matches " + " ".join(args.cases))
    if args.list:
        for c in cases:
            print(c.id)
        return 0
    if args.print:
        for c in cases:
            print(scenarios.describe(c))
        return 0

    for tool in ("otpd", "otpctl", "helpers/otprec"):
        if not os.access(os.path.join(build, tool), os.X_OK):
            sys.exit("otp: %s/%s is not built (make)" % (build, tool))
    release = ensure_erlang()
    ebin = os.path.join(build, "otp")
    os.makedirs(ebin, exist_ok=True)
    r = subprocess.run(["erlc", "-o", ebin, os.path.join(HERE, "otpdiff.erl")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit("otp: erlc otpdiff.erl failed:\n" + r.stdout)

    differs = {}
    deviations = read_list(os.path.join(HERE, "deviations.txt"), differs)
    pending = read_list(os.path.join(HERE, "pending.txt"))
    docs = deviation_docs()
    modes = ["off", "auto"] if args.mode == "both" else [args.mode]
    t0 = time.monotonic()
    print("otp: %d scenarios (%d named, random seed %d) x cgroup %s, OTP %s"
          % (len(cases), sum(1 for c in cases if not c.id.startswith("rand:")), args.seed,
             "/".join(modes), release), flush=True)

    workdir = tempfile.mkdtemp(prefix="otpd-otp.")
    cg2 = otpd_side.cgroup2_mount()
    cgroot = None
    if "auto" in modes:
        if cg2 and os.access(cg2, os.W_OK):
            cgroot = os.path.join(cg2, os.path.basename(workdir))
        else:
            print("otp: note: no writable cgroup2 here: 'auto' runs without cgroups")
    watch = otpd_side.ExitWatch()
    erl = run_otp(cases, workdir, ebin)
    erl_out = []
    threading.Thread(target=lambda: erl_out.append(erl.stdout.read()), daemon=True).start()

    def interrupted(sig, frame):
        otpd_side.ABORT.set()
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)

    results = [Result(sc, m) for sc in cases for m in modes]
    index = {id(sc): i for i, sc in enumerate(cases)}
    pool = concurrent.futures.ThreadPoolExecutor(args.jobs)
    done = False
    try:
        futs = [pool.submit(run_otpd, r, build, watch, cgroot, workdir, index[id(r.sc)])
                for r in results]
        for f in futs:
            f.result()
        erl.wait(timeout=600)
        done = True
    except KeyboardInterrupt:
        otpd_side.ABORT.set()
        print("otp: interrupted, cleaning up", flush=True)
        return 130
    finally:
        if not done:
            otpd_side.ABORT.set()
        pool.shutdown(wait=True, cancel_futures=True)
        if erl.poll() is None:
            erl.kill()
            erl.wait()
        otpd_side.cg_cleanup(cgroot)
        if not done:
            shutil.rmtree(workdir, ignore_errors=True)

    failed = passed = 0
    counts = {"deviation": 0, "pending": 0, "pending-agrees": 0}
    for r in results:
        idx = index[id(r.sc)]
        cid = r.sc.id
        try:
            with open(os.path.join(workdir, "%d.trace" % idx)) as f:
                otp_raw = f.read().splitlines()
        except OSError:
            otp_raw = ["error no OTP trace (erl: %s)" % "".join(erl_out)[-300:]]
        otp = trace.normalise(otp_raw, r.sc)
        otpd = trace.normalise(r.otpd or [], r.sc)
        if r.error:
            otpd.append("error " + r.error)
        broken = any(l.startswith("error") for l in otp + otpd)
        same = otp == otpd and not broken
        dev = listed(deviations, cid, r.mode)
        pend = listed(pending, cid, r.mode)
        label = "%s [%s]" % (cid, r.mode)
        if broken:
            pass            # a side could not run the case: a failure, listed or not
        elif dev:
            if docs is None or dev[1].strip('"') not in docs:
                failed += 1
                print("FAIL %s: deviation %s names %s, not in otp.conf(5) DEVIATIONS FROM OTP"
                      % (label, dev[0], dev[1]))
            elif same:
                failed += 1
                print("FAIL %s: listed as deviation %s but agrees with OTP now: "
                      "remove it from tests/otp/deviations.txt" % (label, dev[0]))
            elif beyond(otp, otpd, differs.get(dev[0])):
                failed += 1
                print("FAIL %s: diverges beyond deviation %s (its @differs): %s"
                      % (label, dev[0], "; ".join(beyond(otp, otpd, differs.get(dev[0])))))
                print(trace.diff(otp, otpd))
                print("reproduce: " + repro(cid, r.mode))
            else:
                counts["deviation"] += 1
                passed += 1
                print("deviation: %s %s" % (dev[0], label))
        elif pend:
            if same:
                counts["pending-agrees"] += 1
                print("%s (agrees now) %s" % (pend[0], label))
            else:
                counts["pending"] += 1
                print("%s %s" % (pend[0], label))
            passed += 1
        elif same:
            passed += 1
            if args.verbose:
                print("ok %s (%.2fs)" % (label, r.seconds))
        if broken or not (dev or pend or same):
            failed += 1
            print("FAIL %s%s" % (label, (": " + r.sc.note) if r.sc.note else ""))
            print(trace.diff(otp, otpd))
            if r.stderr:
                print("--- otpd stderr:\n" + r.stderr.rstrip()[-2000:])
            h = hint(otp, otpd, r.stderr or "", r.mode)
            if h:
                print("hint: " + h)
            print("reproduce: " + repro(cid, r.mode))
        if args.show:
            print("--- %s: OTP\n%s\n--- otpd\n%s" % (label, "\n".join(otp), "\n".join(otpd)))
    shutil.rmtree(workdir, ignore_errors=True)
    print("otp: %d deviations, %d pending (%d of them agree now); %.0f s"
          % (counts["deviation"], counts["pending"] + counts["pending-agrees"],
             counts["pending-agrees"], time.monotonic() - t0))
    print("otp: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
