#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""hmsg_peer.py - a crafted peer of t_handler_msg.sh that sees the raw
frames distguard lets through to it (craft.py's Session).  Loopback only.

    hmsg_peer.py PORT NAME COOKIE regsend   REG_SEND of dg_crafted to gateway
    hmsg_peer.py PORT NAME COOKIE spawn     its own SPAWN_REQUEST of
                                            erlang:node/0 (the control: the
                                            node's SPAWN_REPLY is seen)

Prints "spawn_reply=N handled=M eof=0|1": the SPAWN_REPLY frames and the
{handled, ...} answers that reached it within 3 seconds.
"""
import importlib.util
import os
import sys
import time

spec = importlib.util.spec_from_file_location(
    "craft", os.path.join(os.path.dirname(os.path.abspath(__file__)), "craft.py"))
c = importlib.util.module_from_spec(spec)
spec.loader.exec_module(c)

port, name, cookie, what = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = c.Session(port, name, cookie, c.F_OTP25 & ~c.F_PUBLISHED, None)
if what == "regsend":
    s.reg_send("gateway", c.t_atom("dg_crafted"))
else:
    ref = c.t_ref(name, s.creation, [0x1234, 0x5678, 0x9abc])
    s.msg(c.t_tuple(c.t_int(29), ref, s.pid, s.pid,
                    c.t_tuple(c.t_atom("erlang"), c.t_atom("node"), c.t_int(0)),
                    c.t_list()), c.t_list())
time.sleep(3)
with s.lock:
    # {31 | 32, ReqId, ...}: SMALL_TUPLE of 5 or 6 starting with 31 or 32
    sr = sum(1 for f in s.seen if b"\x68\x05\x61\x1f" in f or b"\x68\x06\x61\x20" in f)
    hd = sum(1 for f in s.seen if b"handled" in f)
print("spawn_reply=%d handled=%d eof=%d" % (sr, hd, 1 if s.eof else 0))
