#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""linkrelay.py - a TCP relay for the link tests (t_link.sh): sits between
two distguard daemons, records what crosses it, and can misbehave.

  linkrelay.py LISTEN_ADDR PORT TO_ADDR TO_PORT RECORD_DIR [--flip N]
      relays every connection; connection K's bytes go to
      RECORD_DIR/K.c2s and K.s2c.  --flip N: in the first connection,
      flips one bit of the N-th byte from the client (counted from 1),
      then relays on as if nothing happened.
  linkrelay.py --replay FILE TO_ADDR TO_PORT
      connects once and sends FILE's bytes (a recorded c2s), prints what
      came back (its length) and whether the server closed.
Loopback and the test's own namespace addresses only; bounded by the
test's timeout."""
import os, socket, sys, threading, time

def pump(src, dst, rec, flip_at):
    seen = 0
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            if flip_at and seen < flip_at <= seen + len(b):
                i = flip_at - seen - 1
                b = b[:i] + bytes([b[i] ^ 0x01]) + b[i + 1:]
            seen += len(b)
            rec.write(b); rec.flush()
            dst.sendall(b)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def relay(a):
    laddr, lport, taddr, tport, rdir = a[0], int(a[1]), a[2], int(a[3]), a[4]
    flip = int(a[a.index("--flip") + 1]) if "--flip" in a else 0
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, lport)); ls.listen(16)
    print("relay ready", flush=True)
    k = 0
    while True:
        c, _ = ls.accept()
        k += 1
        s = socket.create_connection((taddr, tport))
        for x in (c, s):
            x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        f1 = open(os.path.join(rdir, "%d.c2s" % k), "wb")
        f2 = open(os.path.join(rdir, "%d.s2c" % k), "wb")
        threading.Thread(target=pump, args=(c, s, f1, flip if k == 1 else 0), daemon=True).start()
        threading.Thread(target=pump, args=(s, c, f2, 0), daemon=True).start()

def replay(a):
    data = open(a[0], "rb").read()
    s = socket.create_connection((a[1], int(a[2])), timeout=5)
    got = b""
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError:
        pass
    print("replay sent %d got %d closed" % (len(data), len(got)))

if __name__ == "__main__":
    if sys.argv[1] == "--replay":
        replay(sys.argv[2:])
    else:
        relay(sys.argv[1:])
