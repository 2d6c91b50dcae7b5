#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""improper.py - code requests whose argument list ERTS reads otherwise than
its first LIST_EXT header says (issue 26), for t_improper.sh.

    improper.py PORT NAME COOKIE DIR

After a full handshake as NAME (a hidden peer, craft.py's Session), sends
through each way of running code - SPAWN_REQUEST, erpc:execute_call/4
inside one, and rex's {From, {call, M, F, A, GL}} - four requests:

    ok      file:make_dir(DIR/ok_VIA)       a proper list: the control
    tail    file:write_file(DIR/tail_VIA, <<"x">>) as [P | [D]]: one
            LIST_EXT of 1 whose tail is a LIST_EXT of 1
    empty   the same as LIST_EXT(0) whose tail is [P, D]
    improper file:write_file(DIR/improper_VIA) as [P | D]: not a list

The script then looks at DIR: only ok_* may exist.  Loopback only.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402
from craft import t_atom, t_int, t_tuple, t_ref, Session  # noqa: E402


def t_str(s):
    b = s.encode()
    return struct.pack(">BH", 107, len(b)) + b


def t_bin(b):
    return struct.pack(">BI", 109, len(b)) + b


def hdr(n):
    return struct.pack(">BI", 108, n)


NIL = b"\x6a"


def arglists(d, via):
    """(label, function, arity ERTS runs, argument list bytes)."""
    ok = hdr(1) + t_str("%s/ok_%s" % (d, via)) + NIL
    p = lambda k: t_str("%s/%s_%s" % (d, k, via))
    data = t_bin(b"x")
    return [
        ("ok", "make_dir", 1, ok),
        ("tail", "write_file", 2, hdr(1) + p("tail") + hdr(1) + data + NIL),
        ("empty", "write_file", 2, hdr(0) + hdr(2) + p("empty") + data + NIL),
        ("improper", "write_file", 1, hdr(1) + p("improper") + data),
    ]


def main():
    port, name, cookie, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    flags = craft.F_OTP25 & ~craft.F_PUBLISHED
    S = Session(port, name, cookie, flags, None)
    print("session up %s" % ("header" if S.header else "pass-through"))
    n = 0

    def ref():
        nonlocal n
        n += 1
        return t_ref(S.name, S.creation, [n, 7, 9])

    for via in ("spawn", "erpc", "rex"):
        for label, fun, arity, args in arglists(d, via):
            if via == "spawn":
                ctl = t_tuple(t_int(29), ref(), S.pid, S.pid,
                              t_tuple(t_atom("file"), t_atom(fun), t_int(arity)),
                              NIL)
                S.msg(ctl, args)
            elif via == "erpc":
                ctl = t_tuple(t_int(29), ref(), S.pid, S.pid,
                              t_tuple(t_atom("erpc"), t_atom("execute_call"), t_int(4)),
                              NIL)
                S.msg(ctl, hdr(4) + ref() + t_atom("file") + t_atom(fun) + args + NIL)
            else:
                S.reg_send("rex", t_tuple(S.pid, t_tuple(
                    t_atom("call"), t_atom("file"), t_atom(fun), args, S.pid)))
            print("sent %s %s" % (via, label))
    time.sleep(2)
    print("session %s" % ("closed" if S.eof else "open"))


if __name__ == "__main__":
    main()
