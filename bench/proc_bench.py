#!/usr/bin/env python3
"""proc_bench.py: otpd with real processes (make bench, never make check).

restart latency   child exit -> its replacement reaches main(), 1,000 restarts,
                  p50/p99, next to a bare fork/exec/waitpid loop (the floor)
start 1,000       otpd launched -> the 1,000th worker reaches main()
memory            otpd's private memory (smaps_rollup) with 1,000 workers
idle              syscalls of otpd over 10 s with a quiet tree (strace -c)

Everything started here is stopped here (by pid), also on failure.
Prints a table; "metric NAME SYSTEM VALUE UNIT" lines go to stdout too.
"""
import os, signal, subprocess, sys, tempfile, time, shutil

B = os.path.abspath(os.environ.get("BUILD", "build"))
OTPD, OTPCTL = f"{B}/otpd", f"{B}/otpctl"
STAMP, FLOOR = f"{B}/bench/stamp", f"{B}/bench/floor"
N_RESTARTS, N_WORKERS, IDLE_S = 1000, 1000, 10
procs = []


def metric(name, system, value, unit):
    print(f"metric {name} {system} {value:.3f} {unit}")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def latencies(path):
    """Exit -> next start gaps (us) from a stamp file."""
    out, last_e = [], None
    for line in open(path):
        tag, ns = line.split()
        if tag == "s" and last_e is not None:
            out.append((int(ns) - last_e) / 1000)
        elif tag == "e":
            last_e = int(ns)
    return out


def start_otpd(d, body):
    conf = f"{d}/otp.conf"
    with open(conf, "w") as f:
        f.write(f"[otpd]\nrun_dir = {d}/run\nlog_lines = 10\n{body}")
    p = subprocess.Popen([OTPD, "-c", conf], stdout=subprocess.DEVNULL,
                         stderr=open(f"{d}/err", "w"))
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_lines(path, tag, n, limit=120):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if os.path.exists(path):
            with open(path) as f:
                if sum(1 for l in f if l.startswith(tag)) >= n:
                    return True
        time.sleep(0.01)
    return False


def bench_restart(d):
    path = f"{d}/restarts"
    p = start_otpd(d, "[supervisor root]\nintensity = 1000000\nperiod = 1s\n"
                      f"[worker crash]\nexec = {STAMP} {path} exit\n")
    ok = wait_lines(path, "s", N_RESTARTS + 1)
    stop(p)
    lat = latencies(path)[:N_RESTARTS]
    fpath = f"{d}/floor"
    subprocess.run([FLOOR, str(N_RESTARTS + 1), STAMP, fpath], check=True)
    flo = latencies(fpath)[:N_RESTARTS]
    if not ok or not lat:
        print("restart: otpd did not reach 1,000 restarts", file=sys.stderr)
        return
    for sysname, v in (("otpd", lat), ("floor", flo)):
        metric("restart_p50", sysname, pct(v, 50), "us")
        metric("restart_p99", sysname, pct(v, 99), "us")
    print(f"restart latency   otpd p50 {pct(lat,50):8.1f} us  p99 {pct(lat,99):8.1f} us | "
          f"floor p50 {pct(flo,50):8.1f} us  p99 {pct(flo,99):8.1f} us | "
          f"ratio p50 {pct(lat,50)/pct(flo,50):.2f}x  p99 {pct(lat,99)/pct(flo,99):.2f}x")


def private_kib(pid):
    kib = 0
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            kib += int(line.split()[1])
    return kib


def syscalls_idle(pid):
    if not shutil.which("strace"):
        return None
    r = subprocess.run(["timeout", "-s", "INT", str(IDLE_S), "strace", "-c", "-f", "-p", str(pid)],
                       capture_output=True, text=True)
    for line in r.stderr.splitlines():
        if line.strip().endswith("total"):
            return int(line.split()[2]) if len(line.split()) > 4 else int(line.split()[-2])
    return 0


def bench_start_many(d):
    path = f"{d}/starts"
    body = "".join(f"[worker w{i}]\nexec = {STAMP} {path} stay\n" for i in range(N_WORKERS))
    t0 = time.monotonic_ns()
    p = start_otpd(d, body)
    ok = wait_lines(path, "s", N_WORKERS)
    if not ok:
        print("start: not all workers started", file=sys.stderr)
        stop(p)
        return
    last = max(int(l.split()[1]) for l in open(path))
    ms = (last - t0) / 1e6
    metric("start_1000", "otpd", ms, "ms")
    print(f"start {N_WORKERS} workers  {ms:8.1f} ms (otpd launched -> last worker in main())")
    time.sleep(0.5)
    kib = private_kib(p.pid)
    metric("rss_private_1000", "otpd", kib, "KiB")
    print(f"otpd private memory with {N_WORKERS} workers  {kib} KiB ({kib / N_WORKERS:.2f} KiB per worker)")
    n = syscalls_idle(p.pid)
    if n is not None:
        metric("idle_syscalls_10s", "otpd", n, "calls")
        print(f"idle otpd over {IDLE_S} s with {N_WORKERS} workers  {n} syscalls")
    stop(p)


def bench_mailbox(d):
    p = start_otpd(d, f"[worker echo]\nexec = {B}/helpers/techo\nmailbox = true\n")
    path = f"{d}/run/mailbox/echo"
    end = time.monotonic() + 10
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(0.2)
    subprocess.run([f"{B}/bench/mailbox_bench", path], check=False)
    stop(p)


def main():
    d = tempfile.mkdtemp(prefix="otpd-bench.")
    try:
        for sub in ("r", "s", "m"):
            os.mkdir(f"{d}/{sub}")
        bench_restart(f"{d}/r")
        bench_start_many(f"{d}/s")
        bench_mailbox(f"{d}/m")
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
