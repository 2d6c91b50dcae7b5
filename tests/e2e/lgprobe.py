#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""lgprobe.py - what a local process of any user can try against a node's
own port and distguard's EPMD (t_localguard.sh runs it under setpriv).

  connect PORT                      dial 127.0.0.1:PORT: "connected" | "refused ERR"
  register EPMD NAME PORT [--mark] [--listen]
      ALIVE2_REQ for NAME at PORT; --listen first opens a listener of its
      own (PORT 0: any free port) and registers that; --mark sends
      distguard_epmd's mediated mark.  Prints "alive2 result R" or "closed".
  twice EPMD NAME1 NAME2 PORT       listens on PORT, registers both names
                                    for it, closes NAME1's registration,
                                    prints "held" and holds NAME2 for 4 s
  egress EPMD NODE                  'E' for NODE on a fresh connection:
                                    "egress result R port P" | "closed"
  hold PORT SECS                    listens on PORT (0: any), prints
                                    "holding PORT PID", holds it SECS
  regegress EPMD NAME PORT NODE [--listen] [--mark]
      ALIVE2_REQ as register, then an 'E' for NODE on the same (the
      registration) connection: "alive2 result R; egress result X" or
      "alive2 result R; closed"
  regloop EPMD N PREFIX             listens once, then N registrations
                                    (marked) of PREFIX0.., one at a time:
                                    "registered K of N in S s"
"""
import socket, struct, sys

MARK = b"distguard1"

def conn(port, timeout=5):
    return socket.create_connection(("127.0.0.1", port), timeout)

def cmd_connect(a):
    try:
        s = conn(int(a[0]), 3)
        s.close()
        print("connected")
    except OSError as e:
        print("refused %s" % e.__class__.__name__)

def cmd_register(a):
    epmd, name, port = int(a[0]), a[1].encode(), int(a[2])
    lsock = None
    if "--listen" in a:
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", port))
        lsock.listen(1)
        port = lsock.getsockname()[1]
    extra = MARK if "--mark" in a else b""
    body = struct.pack(">BHBBHHH", 120, port, 77, 0, 6, 5, len(name)) + name
    body += struct.pack(">H", len(extra)) + extra
    s = conn(epmd)
    s.sendall(struct.pack(">H", len(body)) + body)
    try:
        r = s.recv(16)
    except OSError:
        r = b""
    if len(r) >= 2 and r[0] == 118:
        print("alive2 result %d" % r[1])
    else:
        print("closed")
    s.close()

def alive2(epmd, name, port):
    body = struct.pack(">BHBBHHH", 120, port, 77, 0, 6, 5, len(name)) + name
    body += struct.pack(">H", len(MARK)) + MARK
    s = conn(epmd)
    s.sendall(struct.pack(">H", len(body)) + body)
    r = s.recv(16)
    return s, (r[1] if len(r) >= 2 and r[0] == 118 else -1)

def cmd_twice(a):
    import time
    epmd, port = int(a[0]), int(a[3])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", port))
    lsock.listen(1)
    s1, r1 = alive2(epmd, a[1].encode(), port)
    s2, r2 = alive2(epmd, a[2].encode(), port)
    print("results %d %d" % (r1, r2), flush=True)
    s1.close()
    time.sleep(0.5)
    print("held", flush=True)
    time.sleep(4)
    s2.close()

def cmd_egress(a):
    epmd, node = int(a[0]), a[1].encode()
    s = conn(epmd)
    s.sendall(struct.pack(">HB", len(node) + 1, 69) + node)
    try:
        r = s.recv(16)
    except OSError:
        r = b""
    if len(r) >= 4 and r[0] == 101:
        print("egress result %d port %d" % (r[1], struct.unpack(">H", r[2:4])[0]))
    else:
        print("closed")

def cmd_hold(a):
    import os, time
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", int(a[0])))
    lsock.listen(1)
    print("holding %d %d" % (lsock.getsockname()[1], os.getpid()), flush=True)
    time.sleep(float(a[1]))

def cmd_regegress(a):
    epmd, name, port, node = int(a[0]), a[1].encode(), int(a[2]), a[3].encode()
    lsock = None
    if "--listen" in a:
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", port))
        lsock.listen(1)
        port = lsock.getsockname()[1]
    extra = MARK if "--mark" in a else b""
    body = struct.pack(">BHBBHHH", 120, port, 77, 0, 6, 5, len(name)) + name
    body += struct.pack(">H", len(extra)) + extra
    s = conn(epmd)
    s.sendall(struct.pack(">H", len(body)) + body)
    r = s.recv(16)
    res = r[1] if len(r) >= 2 and r[0] == 118 else -1
    out = "alive2 result %d; " % res
    try:
        s.sendall(struct.pack(">HB", len(node) + 1, 69) + node)
        r = s.recv(16)
    except OSError:
        r = b""
    if len(r) >= 4 and r[0] == 101:
        out += "egress result %d" % r[1]
    else:
        out += "closed"
    print(out)

def cmd_regloop(a):
    import time
    epmd, n, prefix = int(a[0]), int(a[1]), a[2]
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    ok = 0
    t0 = time.monotonic()
    for i in range(n):
        name = ("%s%d" % (prefix, i)).encode()
        body = struct.pack(">BHBBHHH", 120, port, 77, 0, 6, 5, len(name)) + name
        body += struct.pack(">H", len(MARK)) + MARK
        s = conn(epmd)
        s.sendall(struct.pack(">H", len(body)) + body)
        r = s.recv(16)
        if len(r) >= 2 and r[0] == 118 and r[1] == 0:
            ok += 1
        s.close()
    print("registered %d of %d in %.3f s" % (ok, n, time.monotonic() - t0))

if __name__ == "__main__":
    globals()["cmd_" + sys.argv[1]](sys.argv[2:])
