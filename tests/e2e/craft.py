#!/usr/bin/env python3
"""craft.py - crafted (and hostile) clients for the end-to-end tests.

Speaks just enough EPMD and distribution handshake to drive distguard on
purpose, byte by byte, and to misbehave in controlled ways.  Loopback only:
every command takes a port on 127.0.0.1 (or ::1), nothing else.

    craft.py alive2 PORT NAME NODEPORT [--src ADDR] [--hold SECS]
    craft.py port_please PORT NAME
    craft.py raw PORT HEX [--src ADDR] [--time] send bytes, print the reply
                                                (--time: and how soon it closed)
    craft.py idle PORT COUNT SECS [--src-base 127.0.2.]
    craft.py slowloris PORT SECS                one byte per second
    craft.py handshake PORT NAME COOKIE [--flags HEX] [--reflect]
                       [--stall STEP] [--bad-digest]
    craft.py flood PORT NAME COUNT [--src ADDR] wrong digests, as fast as it can
    craft.py hsloop PORT NAME COOKIE SECS [--src ADDR]
                                                correct handshakes in a loop
                                                (a %d in NAME: a counter)
    craft.py probe PORT [--src ADDR]            connect, read: eof/data/open
    craft.py fakenode PORT SECS [--status TEXT] a node that accepts one
                       connection, answers at most a status, then stalls
    craft.py dist_regsend PORT NAME COOKIE TO TAG [--from-node NODE]
                       after a full handshake, a REG_SEND to TO of the
                       atom TAG, from a pid of NAME (or of NODE: spoofed)
    craft.py dist_atomcache PORT NAME COOKIE
                       after a full handshake, a frame with
                       NumberOfAtomCacheRefs = 1; says whether the
                       connection was closed

handshake: --stall name|partial|reply stalls --stall-secs (default 30)
seconds before that step (partial: half a send_name, then the stall).

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
    t0 = time.time()
    r = recv_all(s)
    print("raw reply %d %s" % (len(r), r[:64].hex()))
    if "--time" in a:
        print("raw closed after %.3f" % (time.time() - t0))

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
    stall_secs = float(opt(a, "--stall-secs", "30"))
    s = conn(port, src, timeout=max(20, stall_secs + 10))
    try:
        if stall == "name":
            time.sleep(stall_secs)
        n = name.encode()
        msg = struct.pack(">BQIH", 78, flags, 0x1234567, len(n)) + n
        msg = struct.pack(">H", len(msg)) + msg
        if stall == "partial":
            s.sendall(msg[:len(msg) // 2])
            time.sleep(stall_secs)
            s.sendall(msg[len(msg) // 2:])
        else:
            s.sendall(msg)
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
            time.sleep(stall_secs)
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
    src = opt(a, "--src")
    n = name.encode()
    t0 = time.time()
    tried = refused = 0
    for i in range(count):
        tried += 1
        try:
            s = conn(port, src, timeout=5)
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

# ---- after the handshake ------------------------------------------------

def cmd_hsloop(a):
    """Complete, correct handshakes, one connection each, for SECS
    seconds; prints how many came up and the rate."""
    port, name, cookie, secs = int(a[0]), a[1], a[2], float(a[3])
    src = opt(a, "--src")
    up = failed = 0
    t0 = time.time()
    while time.time() - t0 < secs:
        # NAME may hold "%d": one name per attempt (a node answers
        # 'alive' to a name whose last connection it still holds).
        n = (name % (up + failed) if "%d" in name else name).encode()
        try:
            s = conn(port, src, timeout=5)
            hs_send(s, struct.pack(">BQIH", 78, F_OTP25, 1, len(n)) + n)
            st = hs_recv(s)
            ch = hs_recv(s)
            if st[:3] != b"sok" or ch[0] != 78:
                failed += 1
                s.close()
                continue
            chal = struct.unpack(">I", ch[9:13])[0]
            mine = struct.unpack(">I", os.urandom(4))[0]
            hs_send(s, struct.pack(">BI", 114, mine) + digest(cookie, chal))
            ack = hs_recv(s)
            if ack[0] == 97 and ack[1:] == digest(cookie, mine):
                up += 1
            else:
                failed += 1
            s.close()
        except (EOFError, OSError):
            failed += 1
    dt = time.time() - t0
    print("hsloop %d up, %d failed in %.3fs (%.1f/s)" % (up, failed, dt, up / dt))

def cmd_probe(a):
    """Connects and reads: 'probe eof SECS' when the server closes without
    a byte, 'probe data N SECS', 'probe open SECS' when nothing came within
    3 s, 'probe refused' when the connect itself failed."""
    port = int(a[0])
    src = opt(a, "--src")
    t0 = time.time()
    try:
        s = conn(port, src, timeout=3)
    except OSError:
        print("probe refused")
        return
    try:
        d = s.recv(64)
        dt = time.time() - t0
        print("probe eof %.3f" % dt if not d else "probe data %d %.3f" % (len(d), dt))
    except socket.timeout:
        print("probe open %.3f" % (time.time() - t0))
    except ConnectionResetError:
        print("probe eof %.3f" % (time.time() - t0))

def cmd_fakenode(a):
    """A stand-in for a local node on 127.0.0.1:PORT: accepts one
    connection, reads the send_name, sends --status TEXT if given, then
    says nothing for SECS seconds.  Prints what it got."""
    port, secs = int(a[0]), float(a[1])
    status = opt(a, "--status")
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(secs)
    print("fakenode listening")
    sys.stdout.flush()
    try:
        s, _ = ls.accept()
    except socket.timeout:
        print("fakenode no connection")
        return
    s.settimeout(secs)
    try:
        body = hs_recv(s)
        print("fakenode got %s" % chr(body[0]))
        sys.stdout.flush()
        if status:
            hs_send(s, b"s" + status.encode())
        t0 = time.time()
        d = s.recv(1)
        print("fakenode %s after %.1fs" % ("closed" if not d else "data", time.time() - t0))
    except (EOFError, OSError) as e:
        print("fakenode closed: %s" % e)

# ---- after the handshake ------------------------------------------------

def hs_connect(port, name, cookie, flags=F_OTP25):
    """A full handshake as NAME; returns (socket, negotiated flags)."""
    s = conn(port, timeout=10)
    n = name.encode()
    hs_send(s, struct.pack(">BQIH", 78, flags, 0x1234567, len(n)) + n)
    st = hs_recv(s)
    if st not in (b"sok", b"sok_simultaneous"):
        raise EOFError("status %s" % st[1:].decode(errors="replace"))
    ch = hs_recv(s)
    if ch[0] != 78:
        raise EOFError("bad challenge")
    bflags, chal = struct.unpack(">QI", ch[1:13])
    mine = 0x0badcafe
    hs_send(s, struct.pack(">BI", 114, mine) + digest(cookie, chal))
    ack = hs_recv(s)
    if ack[0] != 97 or ack[1:] != digest(cookie, mine):
        raise EOFError("bad ack")
    return s, bflags & flags

def ext_atom(a):
    b = a.encode()
    return struct.pack(">BB", 119, len(b)) + b

def ext_pid(node, num=77, serial=0, creation=0x1234567):
    return b"\x58" + ext_atom(node) + struct.pack(">III", num, serial, creation)

def dist_frame(flags, ctl, payload):
    """One frame in the negotiated framing (terms without 131 in header
    mode; 112 + 131-prefixed terms in pass-through mode)."""
    if flags & 0x800004:    # FRAGMENTS or DIST_HDR_ATOM_CACHE: header mode
        body = b"\x83\x44\x00" + ctl + payload
    else:
        body = b"\x70\x83" + ctl + b"\x83" + payload
    return struct.pack(">I", len(body)) + body

def drain(s, secs):
    """Reads (and answers ticks) for secs; returns False once closed."""
    end = time.time() + secs
    s.settimeout(0.2)
    while time.time() < end:
        try:
            d = s.recv(65536)
            if not d:
                return False
        except socket.timeout:
            continue
        except OSError:
            return False
    return True

def cmd_dist_regsend(a):
    port, name, cookie, to, tag = int(a[0]), a[1], a[2], a[3], a[4]
    node = opt(a, "--from-node", name)
    try:
        s, fl = hs_connect(port, name, cookie)
        # {6, From, '', To} and {crafted, Tag}
        ctl = b"\x68\x04\x61\x06" + ext_pid(node) + ext_atom("") + ext_atom(to)
        s.sendall(struct.pack(">I", 0))   # a tick first
        s.sendall(dist_frame(fl, ctl, ext_atom(tag)))
        alive = drain(s, 1.0)
        print("regsend sent, connection %s" % ("open" if alive else "closed"))
    except (EOFError, OSError) as e:
        print("regsend failed: %s" % e)

def cmd_dist_atomcache(a):
    port, name, cookie = int(a[0]), a[1], a[2]
    try:
        s, fl = hs_connect(port, name, cookie)
        drain(s, 0.3)
        # 131 68, one ref: flags byte (new entry, segment 0), index 0,
        # length 4, "sink"; control {6, From, '', <ref 0>} (ATOM_CACHE_REF
        # 82); payload the atom hello.
        hdr = b"\x83\x44\x01\x08\x00\x04sink"
        ctl = b"\x68\x04\x61\x06" + ext_pid(name) + ext_atom("") + b"\x52\x00"
        body = hdr + ctl + ext_atom("hello")
        s.sendall(struct.pack(">I", len(body)) + body)
        alive = drain(s, 3.0)
        print("atomcache %s" % ("open" if alive else "closed"))
    except (EOFError, OSError) as e:
        print("atomcache failed: %s" % e)

# ---- hostile EPMD clients (t_hostile.sh) -------------------------------

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
