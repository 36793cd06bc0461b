#!/usr/bin/env python3
"""live.py: fuzz a running otpd (built with ASan and UBSan) over its sockets.

    live.py --otpd build/san/otpd --otpctl build/otpctl --worker build/helpers/tworker
            [--echo build/helpers/techo] [--seconds 30] [--seed N]

For --seconds, one random operation after another:
  control socket   random bytes; valid frames mutated (bits, bytes, length
                   field, cut); valid verbs with garbage arguments (any
                   verb but shutdown/poweroff/reboot/halt; verbs that change
                   the tree only on names that do not exist); partial frames
                   left open (slow loris) or dropped; one byte at a time;
                   bursts of many connections at once; requests from an
                   unprivileged user (uid 65534), shutdown included, through
                   a socket made world-writable for the test
  notify socket    random datagrams, oversized ones, sd_notify assignments
                   with random values, sent as the fuzzer or with the
                   credentials of a real worker (root may claim any pid),
                   with and without file descriptors attached
  mailbox          random datagrams at a worker's mailbox socket
Well-formed requests must be answered (frames ending in END) within 5 s.
Throughout: otpd alive and silent on stderr about sanitizers.  At the end:
otpd answers `status`, holds no more fds than after the warm-up, and exits
0 on SIGTERM with no ASan, UBSan or LeakSanitizer report.

On failure the run directory (config, otpd's stdout and stderr, and the
trace of every operation with its bytes in hex) is copied to
build/fuzz/live-fail-SEED/ and its path printed: replay with --seed.
"""
import argparse
import array
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "soak"))
from harness import Otpd, Hang  # noqa: E402

SAN_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                "Sanitizer CHECK failed", "AddressSanitizer:DEADLYSIGNAL")
VERBS_READ = ["status", "count", "logs", "wait"]
VERBS_CHANGE = ["start", "stop", "restart", "delete-child", "kill", "start-child", "freeze",
                "thaw"]
VERBS_NEVER = ["shutdown", "poweroff", "reboot", "halt"]
OPTIONS = ["--json", "-f", "-n", "--state", "--timeout", "--name", "--keep-running", "--", "-c",
           "--within", "-", "--json=1"]


class Failure(Exception):
    pass


def frame(t, payload, version=1):
    return struct.pack(">IBB", len(payload), version, t) + payload


def req(args):
    return frame(1, b"".join(a + b"\0" for a in args))


class Live:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.o = Otpd(a.otpd, a.otpctl, prefix="otpd-live")
        self.trace = None
        self.idle = []          # partial connections left open
        self.pids = {}          # worker name -> pid
        self.names = []
        self.ops = {}
        self.answered = 0

    # --- set-up -----------------------------------------------------------

    def config(self):
        tw, a = self.a.worker, self.a
        body = """
[supervisor root]
strategy = one_for_one
intensity = 100000
period = 1s

[worker live-notify]
exec = {tw} --notify-ready 50
ready = notify
watchdog = 1h

[worker live-lines]
exec = /bin/sh -c "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo line $i; done; exec sleep 100000"

[supervisor live-pool]
strategy = simple_one_for_one

[worker live-pool-t]
parent = live-pool
exec = {tw}
""".format(tw=tw)
        if a.echo:
            body += "\n[worker live-mbox]\nexec = %s\nmailbox = true\n" % a.echo
        self.o.write_config(body, otpd_keys="log_lines = 200\n")

    def start(self):
        self.config()
        env = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
               "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
        self.o.env = env
        self.o.start()
        self.trace = open(os.path.join(self.o.dir, "trace"), "w")
        # The unprivileged client needs a way in: what would be a bad
        # socket mode in real life, to reach otpd's own permission check.
        os.chmod(self.o.run_dir, 0o755)
        os.chmod(self.o.sock, 0o666)
        self.refresh()

    def refresh(self):
        nodes = self.o.nodes(timeout=5)
        self.names = [n["name"] for n in nodes]
        self.pids = {n["name"]: n["pid"] for n in nodes if n.get("pid")}

    # --- checks -----------------------------------------------------------

    def check_alive(self):
        if not self.o.alive():
            raise Failure("otpd died (exit %s)" % self.o.proc.returncode)
        err = self.o.stderr()
        for p in SAN_PATTERNS:
            if p in err:
                raise Failure("sanitizer report on otpd's stderr: %s" % p)

    def log(self, what, data=b""):
        self.trace.write("%.3f %s %s\n" % (time.monotonic(), what, data[:4096].hex()))
        self.ops[what.split()[0]] = self.ops.get(what.split()[0], 0) + 1

    # --- control socket ---------------------------------------------------

    def connect(self, timeout=5):
        """A connection; a full backlog (EAGAIN) is retried for `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                s.connect(self.o.sock)
                s.settimeout(timeout)
                return s
            except BlockingIOError:
                s.close()
                if time.monotonic() > deadline:
                    raise Failure("connect: the backlog stayed full for %d s" % timeout)
                time.sleep(0.005)

    def read_reply(self, s, must_end, what):
        """Read until EOF; a complete well-formed request must get END."""
        buf = b""
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                s.settimeout(max(0.05, deadline - time.monotonic()))
                d = s.recv(65536)
                if not d:
                    break
                buf += d
        except socket.timeout:
            if must_end:
                raise Failure("%s: no END within 5 s (%d bytes read)" % (what, len(buf)))
        except (ConnectionResetError, BrokenPipeError):
            pass
        ended = False
        off = 0
        while len(buf) - off >= 6:
            n, v, t = struct.unpack(">IBB", buf[off:off + 6])
            if v != 1 or t not in (2, 3, 4):
                raise Failure("%s: otpd sent a bad frame (version %d type %d)" % (what, v, t))
            if len(buf) - off - 6 < n:
                break
            if ended:
                raise Failure("%s: a frame after END" % what)
            ended = t == 4
            off += 6 + n
        if must_end and not ended:
            raise Failure("%s: connection closed without END (%d bytes)" % (what, len(buf)))
        if ended:
            self.answered += 1
        return buf

    def send_req(self, data, must_end, what, shut=True):
        self.log(what, data)
        s = self.connect()
        try:
            try:
                s.sendall(data)
                if shut:
                    s.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.read_reply(s, must_end, what)
        finally:
            s.close()

    def garbage(self, maxlen=40):
        r = self.rng
        kind = r.randrange(6)
        if kind == 0:
            return bytes(r.randrange(1, 256) for _ in range(r.randrange(maxlen)))
        if kind == 1:
            return r.choice(OPTIONS).encode()
        if kind == 2:
            return str(r.choice([-1, 0, 1, 2 ** 31, 2 ** 63, 10 ** 30, r.randrange(1 << 16)])).encode() + \
                r.choice([b"", b"ms", b"s", b"min", b"h", b"x"])
        if kind == 3:
            return b"x" * r.choice([1, 64, 65, 255, 256, 4096, 20000])
        if kind == 4:
            return r.choice([b"..", b".", b"/", b"-n", b"root", b"nosuch", b"live-\xff",
                             b"running", b"frozen", b"TERM", b"SIGKILL", b"0", b"%s%n"])
        return bytes(r.randrange(32, 127) for _ in range(r.randrange(1, maxlen)))

    def safe_name(self):
        """A name for a verb that changes the tree: never one of the tree."""
        while True:
            n = self.garbage()
            if n.decode(errors="replace") not in self.names and b"\0" not in n:
                return n

    def valid_request(self):
        r = self.rng
        verb = r.choice(VERBS_READ * 3 + VERBS_CHANGE + ["reload", "nosuchverb", ""])
        args = [verb.encode()]
        if verb in VERBS_READ and self.names and r.random() < 0.7:
            args.append(r.choice(self.names).encode())
        elif verb in VERBS_CHANGE:
            args.append(self.safe_name())
        for _ in range(r.choice([0, 0, 1, 2, 3, 8])):
            args.append(self.garbage())
        if verb == "logs" and b"-f" in args:
            args = [x for x in args if x != b"-f"]      # a stream: never ends by itself
        if verb == "wait":
            args += [b"--timeout", b"1s"]
        if verb == "reload":
            args = [b"reload"] + ([b"--keep-running"] if r.random() < 0.5 else [])
        return args

    def op_random_bytes(self):
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.choice([1, 5, 6, 7, 100, 3000])))
        self.send_req(data, False, "ctl-random")

    def op_verb_garbage(self):
        args = self.valid_request()
        # As otpctl does: the write side stays open (otpd takes a half-close
        # after the request for a client that left, and drops the reply).
        self.send_req(req(args), True, "ctl-verb %s" % args[0].decode(errors="replace"),
                      shut=False)

    def op_mutated(self):
        r = self.rng
        data = bytearray(req(self.valid_request()))
        how = r.randrange(5)
        if how == 0:
            for _ in range(r.randrange(1, 4)):
                i = r.randrange(len(data))
                data[i] ^= 1 << r.randrange(8)
        elif how == 1:
            data[r.randrange(len(data))] = r.randrange(256)
        elif how == 2:
            data[0:4] = struct.pack(">I", r.choice([0, 1, len(data) - 7, 65536, 65537, 2 ** 32 - 1]))
        elif how == 3:
            data = data[:r.randrange(len(data))]
        else:
            data[4] = r.choice([0, 2, 255])
        self.send_req(bytes(data), False, "ctl-mutated")

    def op_partial(self):
        data = req(self.valid_request())
        cut = data[:self.rng.randrange(1, len(data))]
        self.log("ctl-partial", cut)
        s = self.connect()
        s.sendall(cut)
        if self.rng.random() < 0.5 and len(self.idle) < 40:
            self.idle.append(s)         # held open: otpd must time it out
        else:
            s.close()
        if len(self.idle) > 30:
            self.idle.pop(0).close()

    def op_slow(self):
        data = req([b"status"])
        self.log("ctl-slow", data)
        s = self.connect()
        try:
            for b in data:
                s.send(bytes([b]))
                time.sleep(0.002)
            self.read_reply(s, True, "ctl-slow")
        finally:
            s.close()

    def op_burst(self):
        n = self.rng.choice([20, 50, 100])
        self.log("ctl-burst %d" % n)
        socks = []
        try:
            for _ in range(n):
                s = self.connect()
                s.sendall(req([b"status", b"--json"]))
                socks.append(s)
            for s in socks:
                self.read_reply(s, True, "ctl-burst")
        finally:
            for s in socks:
                s.close()

    def op_unprivileged(self):
        args = [self.rng.choice(VERBS_NEVER + VERBS_CHANGE + VERBS_READ + ["reload"]).encode()]
        if args[0] not in (b"shutdown", b"poweroff", b"reboot", b"halt", b"reload") and self.names:
            args.append(self.rng.choice(self.names).encode())
        data = req(args)
        self.log("ctl-unprivileged", data)
        rd, wr = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(rd)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(self.o.sock)
                s.sendall(data)
                buf = b""
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    buf += d
                os.write(wr, buf)
                code = 0
            finally:
                os._exit(code)
        os.close(wr)
        buf = b""
        while True:
            d = os.read(rd, 65536)
            if not d:
                break
            buf += d
        os.close(rd)
        _, st = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(st) != 0:
            raise Failure("unprivileged client: no reply to %r" % args)
        if not buf.endswith(frame(4, b"\x01")) or b"permission denied" not in buf:
            raise Failure("unprivileged %r was not refused: %r" % (args, buf[-200:]))
        self.answered += 1

    # --- notify socket ----------------------------------------------------

    def notify_payload(self):
        r = self.rng
        kind = r.randrange(4)
        if kind == 0:
            return bytes(r.randrange(256) for _ in range(r.choice([0, 1, 10, 500, 4096, 4097, 9000])))
        lines = []
        for _ in range(r.randrange(1, 6)):
            k = r.choice([b"READY", b"WATCHDOG", b"STOPPING", b"STATUS", b"FDSTORE", b"MAINPID",
                          b"", b"RELOADING", b"ERRNO"])
            v = r.choice([b"1", b"0", b"", self.garbage(), b"\x00\x01\x7f\x1b[31m", b"x" * 300])
            lines.append(k + b"=" + v if r.random() < 0.9 else k + v)
        return b"\n".join(lines) + (b"\n" if r.random() < 0.5 else b"")

    def op_notify(self):
        r = self.rng
        data = self.notify_payload()
        anc = []
        who = "self"
        if self.pids and r.random() < 0.6:
            name = r.choice(sorted(self.pids))
            who = name
            anc.append((socket.SOL_SOCKET, socket.SCM_CREDENTIALS,
                        struct.pack("iII", self.pids[name], 0, 0)))
        fds = []
        if r.random() < 0.3:
            fds = [os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC) for _ in range(r.choice([1, 2, 10]))]
            anc.append((socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes()))
        self.log("notify %s fds=%d" % (who, len(fds)), data)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.sendmsg([data], anc, 0, os.path.join(self.o.run_dir, "notify"))
        except OSError as e:
            # A pid that just exited cannot be claimed; an oversized datagram
            # may not fit the socket's buffer.
            if e.errno not in (3, 90, 105, 11):
                raise
        finally:
            s.close()
            for fd in fds:
                os.close(fd)

    def op_mailbox(self):
        path = os.path.join(self.o.run_dir, "mailbox", "live-mbox")
        if not self.a.echo or not os.path.exists(path):
            return
        data = bytes(self.rng.randrange(256) for _ in range(self.rng.choice([0, 1, 5, 100, 70000])))
        self.log("mailbox", data)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(2)
        try:
            s.connect(path)
            s.send(data)
        except OSError:
            pass
        finally:
            s.close()

    # --- the run ----------------------------------------------------------

    def settle_fds(self, limit, wait_s):
        """Wait for otpd's fd count to come down to `limit`; the last count."""
        deadline = time.monotonic() + wait_s
        n = self.o.fd_count()
        while n > limit and time.monotonic() < deadline:
            time.sleep(0.1)
            n = self.o.fd_count()
        return n

    def warm_up(self):
        """One of each operation, so that what otpd opens lazily is open."""
        for op in (self.op_verb_garbage, self.op_notify, self.op_burst, self.op_slow,
                   self.op_unprivileged, self.op_mailbox):
            op()
        self.o.ctl("logs", "live-lines", "-n", "5", timeout=5)
        time.sleep(0.5)
        return self.o.fd_count()

    def run(self):
        ops = [(self.op_random_bytes, 10), (self.op_verb_garbage, 20), (self.op_mutated, 15),
               (self.op_partial, 5), (self.op_slow, 1), (self.op_burst, 1),
               (self.op_unprivileged, 2), (self.op_notify, 20), (self.op_mailbox, 3)]
        funcs = [f for f, w in ops for _ in range(w)]
        self.start()
        fds0 = self.warm_up()
        end = time.monotonic() + self.a.seconds
        n = 0
        last_check = 0
        while time.monotonic() < end:
            self.rng.choice(funcs)()
            n += 1
            if time.monotonic() - last_check > 1:
                self.check_alive()
                try:
                    self.refresh()
                except Hang as e:
                    raise Failure("status: %s" % e)
                last_check = time.monotonic()
        self.check_alive()
        for s in self.idle:
            s.close()
        self.idle = []
        # Held-open partial requests time out after otpd's request limit (5 s).
        fds = self.settle_fds(fds0, 12)
        if fds > fds0:
            raise Failure("otpd holds %d fds, %d after the warm-up" % (fds, fds0))
        rc, out, err = self.o.ctl("status", timeout=5)
        if rc != 0:
            raise Failure("status after the run: exit %d: %s" % (rc, err))
        code = self.o.stop(timeout=30)
        err = self.o.stderr()
        for p in SAN_PATTERNS:
            if p in err:
                raise Failure("sanitizer report on otpd's stderr: %s" % p)
        if code != 0:
            raise Failure("otpd exited %s on SIGTERM" % code)
        return n, fds0, fds


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser()
    p.add_argument("--otpd", required=True)
    p.add_argument("--otpctl", required=True)
    p.add_argument("--worker", required=True)
    p.add_argument("--echo")
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--seed", type=int, default=None)
    a = p.parse_args()
    for k in ("otpd", "otpctl", "worker", "echo"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))
    if a.echo is None and os.path.exists(os.path.join(os.path.dirname(a.worker), "techo")):
        a.echo = os.path.join(os.path.dirname(a.worker), "techo")
    if a.seed is None:
        a.seed = random.randrange(1 << 32)
    live = Live(a)
    t0 = time.monotonic()
    try:
        n, fds0, fds = live.run()
    except (Failure, Hang, RuntimeError, OSError) as e:
        where = os.path.join(root, "build", "fuzz", "live-fail-%d" % a.seed)
        if live.trace:
            live.trace.flush()
        if live.o.dir:
            live.o.keep(where)
        print("FUZZ FAIL live (seed %d): %s" % (a.seed, e))
        print("    reproducer: %s (trace, otpd's stderr and stdout; rerun with --seed %d)"
              % (where, a.seed))
        tail = live.o.stderr()[-1500:] if live.o.dir else ""
        if tail:
            print("    otpd stderr:\n" + "\n".join("      " + l for l in tail.splitlines()[-15:]))
        live.o.cleanup()
        return 1
    live.o.cleanup()
    print("fuzz live: %d operations in %.0fs (seed %d), %d answered, fds %d -> %d, nothing found"
          % (n, time.monotonic() - t0, a.seed, live.answered, fds0, fds))
    print("    " + ", ".join("%s %d" % kv for kv in sorted(live.ops.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
