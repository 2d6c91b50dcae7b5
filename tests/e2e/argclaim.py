#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""argclaim.py - code requests whose argument list runs past the 68 KiB
window distguard decides on (issue 26, docs/FILTER.md 10), for
t_argclaim.sh.

    argclaim.py PORT NAME COOKIE DIR VIA KIND

After a full handshake as NAME (a hidden peer, craft.py's Session), sends
one request through VIA (spawn: SPAWN_REQUEST; erpc: erpc:execute_call/4
inside one; rex: {From, {call, M, F, A, GL}}) for file:write_file with a
100 KiB binary, fragmented as ERTS does:

    ok        [Path, Bin]: write_file/2, the header's count (the control)
    extended  [Path, Bin | [[]]]: the header says 2, ERTS runs
              write_file/3 (Modes = []), which writes the file too
    improper  [Path, Bin | x]: not a list ERTS builds

Path is DIR/KIND_VIA.  Prints "sent", then "closed" or "open" after 3 s.
Loopback only.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402
from craft import t_atom, t_int, t_tuple, t_ref, Session  # noqa: E402

NIL = b"\x6a"


def t_str(s):
    b = s.encode()
    return struct.pack(">BH", 107, len(b)) + b


def t_bin(b):
    return struct.pack(">BI", 109, len(b)) + b


def hdr(n):
    return struct.pack(">BI", 108, n)


def arglist(path, kind):
    """The argument list; its header always says 2."""
    head = hdr(2) + t_str(path) + t_bin(b"z" * 100000)
    if kind == "ok":
        return head + NIL
    if kind == "extended":
        return head + hdr(1) + NIL + NIL
    return head + t_atom("x")


def main():
    port, name, cookie, d, via, kind = (int(sys.argv[1]), sys.argv[2],
                                        sys.argv[3], sys.argv[4],
                                        sys.argv[5], sys.argv[6])
    flags = craft.F_OTP25 & ~craft.F_PUBLISHED
    S = Session(port, name, cookie, flags, None)
    ref = t_ref(S.name, S.creation, [1, 7, 9])
    args = arglist("%s/%s_%s" % (d, kind, via), kind)
    if via == "spawn":
        S.msg(t_tuple(t_int(29), ref, S.pid, S.pid,
                      t_tuple(t_atom("file"), t_atom("write_file"), t_int(2)),
                      NIL), args)
    elif via == "erpc":
        S.msg(t_tuple(t_int(29), ref, S.pid, S.pid,
                      t_tuple(t_atom("erpc"), t_atom("execute_call"), t_int(4)),
                      NIL),
              hdr(4) + ref + t_atom("file") + t_atom("write_file") + args + NIL)
    else:
        S.reg_send("rex", t_tuple(S.pid, t_tuple(
            t_atom("call"), t_atom("file"), t_atom("write_file"), args, S.pid)))
    print("sent")
    S.wait_eof(3)
    print("closed" if S.eof else "open")


if __name__ == "__main__":
    main()
