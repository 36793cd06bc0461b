#!/usr/bin/env python3
"""fake_journald.py SOCKET OUT: speak journald's native protocol on SOCKET.

Binds a datagram socket at SOCKET and appends each entry it receives to
OUT as one JSON object a line ({"FIELD": "value", ...}).  Fields are
"KEY=value\\n", or "KEY\\n" + a 64-bit little-endian length + the value +
"\\n" (systemd.journal-fields(7), "Native Journal Protocol").  Entries
passed as a memfd (SCM_RIGHTS) are read too.  Runs until killed.
"""
import array
import json
import os
import socket
import struct
import sys


def parse(data):
    fields, i = {}, 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            n = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
            v = data[nl + 9:nl + 9 + n]
            i = nl + 9 + n + 1
        fields[k.decode()] = v.decode(errors="replace")
    return fields


def main():
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, "a") as f:
        while True:
            fds = array.array("i")
            data, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(4))
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[:4])
            if fds:
                data = os.pread(fds[0], 1 << 24, 0)
                os.close(fds[0])
            f.write(json.dumps(parse(data)) + "\n")
            f.flush()


if __name__ == "__main__":
    main()
