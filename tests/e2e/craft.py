#!/usr/bin/env python3
"""craft.py - crafted (and hostile) clients for the end-to-end tests.

Speaks just enough EPMD and distribution handshake to drive distguard on
purpose, byte by byte, and to misbehave in controlled ways.  Loopback only:
every command takes a port on 127.0.0.1 (or ::1), nothing else.

    craft.py alive2 PORT NAME NODEPORT [--src ADDR] [--hold SECS]
    craft.py port_please PORT NAME
    craft.py raw PORT HEX [--src ADDR]          send bytes, print the reply
    craft.py idle PORT COUNT SECS [--src-base 127.0.2.]
    craft.py slowloris PORT SECS                one byte per second
    craft.py handshake PORT NAME COOKIE [--flags HEX] [--reflect]
                       [--stall STEP] [--bad-digest]
    craft.py flood PORT NAME COUNT              wrong digests, as fast as it can

Every command prints one result line and exits 0 when it could run.
"""
import hashlib
import os
import socket
import struct
import sys
import time

def conn(port, src=None, host="127.0.0.1", timeout=10):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    return s

def recv_all(s, limit=1 << 20):
    out = b""
    try:
        while len(out) < limit:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    return out

def recv_exact(s, n):
    out = b""
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            raise EOFError("closed after %d of %d bytes" % (len(out), n))
        out += d
    return out

def alive2_req(name, nodeport, ntype=77, hi=6, lo=5, extra=b""):
    n = name.encode()
    body = struct.pack(">BHBBHHH", 120, nodeport, ntype, 0, hi, lo, len(n)) + n
    body += struct.pack(">H", len(extra)) + extra
    return struct.pack(">H", len(body)) + body

def cmd_alive2(a):
    port, name, nodeport = int(a[0]), a[1], int(a[2])
    src = opt(a, "--src")
    hold = float(opt(a, "--hold", "0"))
    try:
        s = conn(port, src)
        s.sendall(alive2_req(name, nodeport))
        r = s.recv(16)
    except OSError as e:
        print("alive2 error %s" % e)
        return
    if len(r) >= 6 and r[0] == 118:
        print("alive2 result %d creation %d" % (r[1], struct.unpack(">I", r[2:6])[0]))
    elif r:
        print("alive2 reply %s" % r.hex())
    else:
        print("alive2 closed")
    sys.stdout.flush()
    time.sleep(hold)

def cmd_port_please(a):
    port, name = int(a[0]), a[1].encode()
    s = conn(port)
    s.sendall(struct.pack(">HB", len(name) + 1, 122) + name)
    r = recv_all(s)
    if len(r) >= 4 and r[0] == 119 and r[1] == 0:
        print("port %d" % struct.unpack(">H", r[2:4])[0])
    else:
        print("noport %s" % r.hex())

def cmd_raw(a):
    port, data = int(a[0]), bytes.fromhex(a[1])
    src = opt(a, "--src")
    s = conn(port, src)
    try:
        s.sendall(data)
    except OSError as e:
        print("raw error %s" % e)
        return
    r = recv_all(s)
    print("raw reply %d %s" % (len(r), r[:64].hex()))

def cmd_idle(a):
    port, count, secs = int(a[0]), int(a[1]), float(a[2])
    base = opt(a, "--src-base", "127.0.2.")
    socks = []
    for i in range(count):
        try:
            socks.append(conn(port, "%s%d" % (base, 1 + i % 250)))
        except OSError:
            break
    print("idle opened %d" % len(socks))
    sys.stdout.flush()
    time.sleep(secs)
    alive = 0
    for s in socks:
        s.setblocking(False)
        try:
            d = s.recv(1)
            if d:
                alive += 1
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print("idle still open %d" % alive)

def cmd_slowloris(a):
    port, secs = int(a[0]), int(a[1])
    s = conn(port)
    req = alive2_req("slow", 1)
    sent = 0
    t0 = time.time()
    try:
        while time.time() - t0 < secs and sent < len(req):
            s.sendall(req[sent:sent + 1])
            sent += 1
            time.sleep(1)
        s.settimeout(1)
        d = s.recv(1)
        print("slowloris %s after %d bytes" % ("closed" if not d else "answered", sent))
    except OSError:
        print("slowloris closed after %d bytes" % sent)

# ---- handshake ---------------------------------------------------------

F_OTP25 = 0x0000000d07df7fbd

def hs_send(s, body):
    s.sendall(struct.pack(">H", len(body)) + body)

def hs_recv(s):
    n = struct.unpack(">H", recv_exact(s, 2))[0]
    return recv_exact(s, n)

def digest(cookie, ch):
    return hashlib.md5(cookie.encode() + str(ch).encode()).digest()

def cmd_handshake(a):
    port, name, cookie = int(a[0]), a[1], a[2]
    flags = int(opt(a, "--flags", hex(F_OTP25)), 16)
    stall = opt(a, "--stall")
    src = opt(a, "--src")
    s = conn(port, src, timeout=20)
    try:
        if stall == "name":
            time.sleep(30)
        n = name.encode()
        hs_send(s, struct.pack(">BQIH", 78, flags, 0x1234567, len(n)) + n)
        st = hs_recv(s)
        if st != b"sok" and st != b"sok_simultaneous":
            print("handshake status %s" % st[1:].decode(errors="replace"))
            return
        ch = hs_recv(s)
        if ch[0] != 78:
            print("handshake bad challenge")
            return
        bflags, chal, cre, nl = struct.unpack(">QIIH", ch[1:19])
        if stall == "reply":
            time.sleep(30)
        mine = chal if "--reflect" in a else 0x0badcafe
        dg = digest(cookie, chal)
        if "--bad-digest" in a:
            dg = bytes(16)
        hs_send(s, struct.pack(">BI", 114, mine) + dg)
        try:
            ack = hs_recv(s)
        except (EOFError, OSError):
            print("handshake closed after reply")
            return
        ok = ack[0] == 97 and ack[1:] == digest(cookie, mine)
        print("handshake up flags %#x ack %s" % (bflags, "good" if ok else "bad"))
    except (EOFError, OSError) as e:
        print("handshake closed: %s" % e)

def cmd_flood(a):
    """Wrong-digest guesses, one connection each, as fast as possible;
    prints guesses/s and how many were answered at all."""
    port, name, count = int(a[0]), a[1], int(a[2])
    n = name.encode()
    t0 = time.time()
    tried = refused = 0
    for i in range(count):
        tried += 1
        try:
            s = conn(port, timeout=5)
            hs_send(s, struct.pack(">BQIH", 78, F_OTP25, 1, len(n)) + n)
            hs_recv(s)
            hs_recv(s)
            hs_send(s, struct.pack(">BI", 114, 7 + i) + os.urandom(16))
            recv_all(s, 64)
            s.close()
        except (EOFError, OSError):
            refused += 1
    dt = time.time() - t0
    print("flood %d guesses in %.3fs (%.1f/s), %d cut short" % (tried, dt, tried / dt, refused))

def opt(a, name, default=None):
    if name in a:
        i = a.index(name)
        if i + 1 < len(a):
            return a[i + 1]
    return default

def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    cmd = globals().get("cmd_" + sys.argv[1])
    if cmd is None:
        print(__doc__)
        sys.exit(2)
    cmd(sys.argv[2:])

if __name__ == "__main__":
    main()
