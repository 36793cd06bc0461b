#!/usr/bin/env python3
"""seeds.py: (re)write the seed corpora of tests/fuzz/corpus/ from the
repository's own examples: etc/*.conf and the configs of the integration
and VM tests, requests as otpctl encodes them, datagrams as sd_notify(3)
sends them, mailbox messages as libotp_mailbox sends them.

Run from anywhere: python3 tests/fuzz/seeds.py.  Files are named by the
hash of their content, so a rerun only adds what is new.  Crash
reproducers added by hand (regression inputs) are kept.
"""
import glob
import hashlib
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SEP = b"\n#--reload--\n"


def put(target, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def configs():
    """Config texts: etc/, the VM cases, heredocs of the integration tests."""
    out = []
    for p in sorted(glob.glob(os.path.join(ROOT, "etc", "**", "*.conf"), recursive=True)):
        out.append(open(p, "rb").read())
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "vm", "cases", "*", "*.conf"))):
        out.append(open(p, "rb").read())
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "integration", "t_*.sh"))):
        text = open(p, "rb").read()
        for m in re.finditer(rb"<<'?(EOF2?)'?\n(.*?)\n\1\n", text, re.S):
            body = m.group(2)
            if b"[worker" in body or b"[supervisor" in body:
                out.append(body.replace(b"$T", b"/tmp/t").replace(b"$TW", b"/bin/tw") + b"\n")
    return out


def frame(t, payload, version=1):
    return struct.pack(">IBB", len(payload), version, t) + payload


def req(*argv):
    return frame(1, b"".join(a.encode() + b"\0" for a in argv))


REQUESTS = [
    ("status",), ("status", "--json"), ("status", "db", "--json"), ("count",),
    ("count", "root", "--json"), ("start", "db"), ("stop", "db"), ("restart", "db"),
    ("kill", "db", "TERM"), ("kill", "db", "9"), ("delete-child", "pool-1"),
    ("start-child", "pool", "--name", "pool-1", "--", "a", "b"),
    ("logs", "db", "-n", "5"), ("logs", "db", "-f"),
    ("wait", "db", "--state", "running", "--timeout", "1s"),
    ("freeze", "db", "--timeout", "2s"), ("thaw", "db"), ("reload",),
    ("reload", "--keep-running"), ("call", "counter", "get"), ("nosuchverb",),
]


def ctl():
    bad = [
        frame(1, b"status\0", version=2), frame(9, b"status\0"), frame(2, b"status\0"),
        struct.pack(">IBB", 0x7FFFFFFF, 1, 1), frame(1, b"status"), frame(1, b""),
        frame(1, b"\0" * 300), req("status") + req("status"),
        req("status")[:5], req("logs", "x" * 200, "-n", "99999999999999999999"),
    ]
    for i, a in enumerate(REQUESTS):
        put("ctl", bytes([0x30 | (i & 3), 0, 0, i]) + req(*a))
        put("ctl", bytes([0x02, 3, 1, i]) + req(*a))          # in 3-byte pieces, then EOF
    for i, b in enumerate(bad):
        put("ctl", bytes([i & 3, i % 5, 0, i]) + b)


def notify():
    for d in [b"READY=1", b"READY=1\nSTATUS=serving 3 clients", b"WATCHDOG=1",
              b"STOPPING=1", b"STATUS=", b"FDSTORE=1\nFDNAME=sock", b"MAINPID=42\nREADY=1\n",
              b"READY=0\nWATCHDOG=trigger\nERRNO=2\nBUSERROR=x", b"=\n\n=1\nREADY"]:
        put("notify", d)


def mailbox():
    def op(kind, length, cap, body):
        return bytes([kind]) + struct.pack(">HH", length, cap) + body + b"|"
    put("mailbox", op(3, 5, 64, b"\0echo"))                 # call, echo
    put("mailbox", op(3, 3, 64, b"\1no"))                   # call, handler fails
    put("mailbox", op(3, 1, 0x4000 | 20, b"\2"))             # call, full reply, small cap
    put("mailbox", op(3, 0x8000 | 8, 0x8000 | 8, b"\2"))     # call near the maximum
    put("mailbox", op(4, 10, 0, b"hello cast"))              # cast
    put("mailbox", op(0, 6, 0, b"cping!"))                   # raw call datagram
    put("mailbox", op(0, 6, 0, b"xjunk!") + op(2, 0, 0, b""))
    put("mailbox", op(1, 3, 0, b"a12"))                      # two casts on one connection
    put("mailbox", op(0, 0xFFFF, 0, b"c"))                   # oversized raw datagram
    put("mailbox", op(5, 4, 64, b"rabc") + b"\2" + op(5, 4, 2, b"rxyz"))   # fake replies
    put("mailbox", op(5, 1, 64, b"r") + b"\0")


def words():
    for w in [b"/bin/sh -c \"while :; do echo \\\"tick $(date +%T)\\\"; sleep 2; done\"",
              b"prog 'single quoted' \"double \\\" \\$HOME\" back\\ slash",
              b"a\\\nb 'unterminated", b"\"\"", b"''"]:
        put("words", b"\0" + w)
    for w in [b"CAP_NET_BIND_SERVICE chown", b"@system-service\tread write", b"  "]:
        put("words", b"\1" + w)
    for w in [b"# comment\nA=1\n  B = 2\nC=\"quoted value\"\nD='x'\nE\n\nF=a=b\r\n",
              b"PATH=/usr/bin\nPATH=/bin\n", b"LONG=" + b"x" * 300 + b"\n"]:
        put("words", b"\2" + w)
    for w in [b"250ms", b"5s", b"2min", b"1h", b"512M", b"1G", b"SIGTERM", b"KILL", b"15",
              b"CAP_KILL", b"net_admin", b"9223372036854775807ms", b"99999999999999999999"]:
        put("words", b"\3" + w)


def main():
    cs = configs()
    for c in cs:
        put("config", c)
    for a, b in zip(cs, cs[1:]):
        put("config", a + SEP + b)
    ctl()
    notify()
    mailbox()
    words()


if __name__ == "__main__":
    main()
