#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
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
                       [--stall STEP] [--bad-digest] [--abort]
                       (--abort: close on the challenge, as an initiator
                       missing a flag it needs does)
    craft.py flood PORT NAME COUNT [--src ADDR] wrong digests, as fast as it can
    craft.py hsloop PORT NAME COOKIE SECS [--src ADDR]
                                                correct handshakes in a loop
                                                (a %d in NAME: a counter)
    craft.py probe PORT [--src ADDR]            connect, read: eof/data/open
    craft.py fakenode PORT SECS [--status TEXT] [--challenge HEXFLAGS NODE]
                       a node that accepts connections (one at a time, for
                       SECS), answers at most a status (and a challenge
                       with those flags, as NODE), then waits for a close
    craft.py dist_regsend PORT NAME COOKIE TO TAG [--from-node NODE]
                       after a full handshake, a REG_SEND to TO of the
                       atom TAG, from a pid of NAME (or of NODE: spoofed)
    craft.py dist_atomcache PORT NAME COOKIE
                       after a full handshake, a frame with
                       NumberOfAtomCacheRefs = 1; says whether the
                       connection was closed
    craft.py stall PORT HEX POS[,POS...] SECS [--src-base 127.0.4.]
                                            one connection per POS: sends the
                                            first POS bytes of HEX, then waits
    craft.py swarm PORT COUNT SECS [--src-prefix 127.1.] [--sources N]
                                            COUNT connections from N sources
    craft.py epmd_req PORT TYPE [--src ADDR] [--name N]
                                            TYPE alive2|names|dump|kill|stop|
                                            port_please, from ADDR
    craft.py hs_attack PORT NAME COOKIE KIND [--src ADDR] [--secs S]
                                            KIND garbage|biglen|trunc_len|
                                            trunc_name|trunc_reply|stall_name|
                                            stall_midname|stall_reply|
                                            stall_midreply
    craft.py session PORT NAME COOKIE ATTACK [--flags HEX] [--src ADDR]
                     [--secs S] [--count N]
                                            a real handshake as an admitted
                                            peer, then crafted frames: none
                                            garbage biglen atom_cache frag_many
                                            frag_endless frag_badid frag_unknown
                                            frag_zero deep atoms unknown_op
                                            spoof ticks hold flood

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
        if "--abort" in a:
            s.close()
            print("handshake aborted on a challenge with flags %#x" % bflags)
            return
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
    if flags & 0x802000:    # FRAGMENTS or DIST_HDR_ATOM_CACHE: header mode
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

def cmd_stall(a):
    """One connection per byte position: sends the first POS bytes of the
    request, then waits up to SECS for the server to close; prints, per
    position, how long the server took (or "open")."""
    port, data, secs = int(a[0]), bytes.fromhex(a[1]), float(a[3])
    poss = [int(x) for x in a[2].split(",")]
    base = opt(a, "--src-base", "127.0.4.")
    socks = []
    for i, pos in enumerate(poss):
        s = conn(port, "%s%d" % (base, 1 + i % 250))
        if pos:
            s.sendall(data[:pos])
        s.setblocking(False)
        socks.append((pos, s))
    t0 = time.time()
    closed = {}
    while time.time() - t0 < secs and len(closed) < len(socks):
        for pos, s in socks:
            if pos in closed:
                continue
            try:
                d = s.recv(4096)
                if not d:
                    closed[pos] = time.time() - t0
            except BlockingIOError:
                pass
            except OSError:
                closed[pos] = time.time() - t0
        time.sleep(0.05)
    for pos, s in socks:
        if pos in closed:
            print("stall pos %d closed after %.1fs" % (pos, closed[pos]))
        else:
            print("stall pos %d open" % pos)

def cmd_swarm(a):
    """COUNT connections spread over N source addresses; after SECS counts
    how many the server kept open, in total and per source."""
    port, count, secs = int(a[0]), int(a[1]), float(a[2])
    prefix = opt(a, "--src-prefix", "127.1.")
    nsrc = int(opt(a, "--sources", "200"))
    from concurrent.futures import ThreadPoolExecutor

    def one(i):
        k = i * nsrc // count       # source after source, in blocks
        src = "%s%d.%d" % (prefix, k // 250, 1 + k % 250)
        try:
            s = conn(port, src, timeout=3)
            s.setblocking(False)
            return (src, s)
        except OSError:
            return None
    t0 = time.time()
    # Many at once: a SYN the kernel drops costs its sender a 1 s
    # retransmit, which must not serialise the whole swarm.
    with ThreadPoolExecutor(64) as ex:
        res = list(ex.map(one, range(count)))
    socks = [r for r in res if r]
    failed = count - len(socks)
    print("swarm opened %d in %.1fs, %d connects failed" % (len(socks), time.time() - t0, failed))
    sys.stdout.flush()
    time.sleep(secs)
    per = {}
    kept = 0
    for src, s in socks:
        try:
            d = s.recv(1)
            if not d:
                continue
        except BlockingIOError:
            pass
        except OSError:
            continue
        kept += 1
        per[src] = per.get(src, 0) + 1
    print("swarm kept %d max_per_source %d" % (kept, max(per.values()) if per else 0))
    for _, s in socks:
        s.close()

def cmd_epmd_req(a):
    """One EPMD request of the given type from --src; prints what came back."""
    port, kind = int(a[0]), a[1]
    src = opt(a, "--src")
    name = opt(a, "--name", "intruder").encode()
    if kind == "alive2":
        req = alive2_req(name.decode(), 5555)
    elif kind == "port_please":
        req = struct.pack(">HB", len(name) + 1, 122) + name
    else:
        code = {"names": 110, "dump": 100, "kill": 107, "stop": 115}[kind]
        body = bytes([code]) + (name if kind == "stop" else b"")
        req = struct.pack(">H", len(body)) + body
    s = conn(port, src, timeout=5)
    try:
        s.sendall(req)
    except OSError as e:
        print("%s error %s" % (kind, e))
        return
    r = recv_all(s)
    if not r:
        print("%s closed" % kind)
    elif kind == "names":
        print("names reply %d bytes" % len(r))
    elif kind == "port_please" and len(r) >= 4 and r[0] == 119 and r[1] == 0:
        print("port_please port %d" % struct.unpack(">H", r[2:4])[0])
    else:
        print("%s reply %s" % (kind, r[:32].hex()))

# ---- hostile handshakes -------------------------------------------------

def wait_closed(s, secs):
    """Seconds until the server closes s (draining what it sends), or -1."""
    s.settimeout(0.2)
    t0 = time.time()
    while time.time() - t0 < secs:
        try:
            d = s.recv(4096)
            if not d:
                return time.time() - t0
        except socket.timeout:
            pass
        except OSError:
            return time.time() - t0
    return -1

def cmd_hs_attack(a):
    """Misbehaves during the handshake in one way; prints whether and
    when distguard closed the connection."""
    port, name, cookie, kind = int(a[0]), a[1], a[2], a[3]
    src = opt(a, "--src")
    secs = float(opt(a, "--secs", "10"))
    s = conn(port, src, timeout=10)
    n = name.encode()
    namemsg = struct.pack(">BQIH", 78, F_OTP25, 0x1234567, len(n)) + n
    namefr = struct.pack(">H", len(namemsg)) + namemsg
    try:
        if kind == "garbage":
            # A whole frame (so it is judged, not waited for) whose tag is
            # no handshake message's; the rest is noise.  Pure noise would
            # declare a random length, and one above 198 is a stall.
            s.sendall(struct.pack(">HB", 198, 1) + os.urandom(197))
        elif kind == "biglen":
            s.sendall(b"\xff\xff" + b"N" * 64)
        elif kind == "trunc_len":
            s.sendall(namefr[:1])
            s.shutdown(socket.SHUT_WR)
        elif kind == "trunc_name":
            s.sendall(namefr[:len(namefr) // 2])
            s.shutdown(socket.SHUT_WR)
        elif kind == "stall_name":
            pass
        elif kind == "stall_midname":
            s.sendall(namefr[:5])
        elif kind in ("trunc_reply", "stall_reply", "stall_midreply"):
            s.sendall(namefr)
            st = hs_recv(s)
            if st[:3] != b"sok":
                print("hs_attack %s status %s" % (kind, st[1:].decode(errors="replace")))
                return
            ch = hs_recv(s)
            chal = struct.unpack(">I", ch[9:13])[0]
            rep = struct.pack(">BI", 114, 0x0badcafe) + digest(cookie, chal)
            repfr = struct.pack(">H", len(rep)) + rep
            if kind == "trunc_reply":
                s.sendall(repfr[:7])
                s.shutdown(socket.SHUT_WR)
            elif kind == "stall_midreply":
                s.sendall(repfr[:7])
        else:
            print("hs_attack unknown kind %s" % kind)
            return
    except (EOFError, OSError) as e:
        print("hs_attack %s closed early: %s" % (kind, e))
        return
    t = wait_closed(s, secs)
    if t < 0:
        print("hs_attack %s open after %.0fs" % (kind, secs))
    else:
        print("hs_attack %s closed after %.1fs" % (kind, t))

# ---- after the handshake: crafted frames ------------------------------

F_PUBLISHED = 0x1
F_ATOM_CACHE = 0x2000   # DIST_HDR_ATOM_CACHE
F_FRAGMENTS = 0x800000

def t_atom(x):
    b = x.encode() if isinstance(x, str) else x
    if len(b) < 256:
        return bytes([119, len(b)]) + b
    return struct.pack(">BH", 118, len(b)) + b

def t_int(i):
    if 0 <= i < 256:
        return bytes([97, i])
    return struct.pack(">Bi", 98, i)

def t_tuple(*el):
    if len(el) < 256:
        return bytes([104, len(el)]) + b"".join(el)
    return struct.pack(">BI", 105, len(el)) + b"".join(el)

def t_list(*el):
    if not el:
        return b"\x6a"
    return struct.pack(">BI", 108, len(el)) + b"".join(el) + b"\x6a"

def t_pid(node, pid_id, creation):
    return b"\x58" + t_atom(node) + struct.pack(">III", pid_id, 0, creation)

def t_ref(node, creation, words):
    return struct.pack(">BH", 90, len(words)) + t_atom(node) + \
        struct.pack(">I", creation) + b"".join(struct.pack(">I", w) for w in words)

def t_bin(b):
    return struct.pack(">BI", 109, len(b)) + b

class Session:
    """A peer that completed both handshakes through distguard.  A thread
    drains what B sends: counts frames and ticks, notes EOF, and remembers
    replies that carry one of our references."""

    def __init__(self, port, name, cookie, flags, src, read=True):
        self.name = name
        self.creation = 0x1234567
        self.s = conn(port, src, timeout=20)
        n = name.encode()
        hs_send(self.s, struct.pack(">BQIH", 78, flags, self.creation, len(n)) + n)
        st = hs_recv(self.s)
        if st[:3] != b"sok":
            raise EOFError("status %s" % st[1:].decode(errors="replace"))
        ch = hs_recv(self.s)
        bflags, chal = struct.unpack(">QI", ch[1:13])
        mine = int.from_bytes(os.urandom(4), "big")
        hs_send(self.s, struct.pack(">BI", 114, mine) + digest(cookie, chal))
        ack = hs_recv(self.s)
        if ack[0] != 97 or ack[1:] != digest(cookie, mine):
            raise EOFError("bad challenge_ack")
        self.flags = flags & bflags
        self.header = (self.flags & (F_ATOM_CACHE | F_FRAGMENTS)) != 0
        self.frags = (self.flags & F_FRAGMENTS) != 0
        self.pid = t_pid(name, 77, self.creation)
        self.eof = False
        self.frames = self.ticks = 0
        self.buf = b""
        self.seen = []
        self.lock = __import__("threading").Lock()
        self.s.settimeout(None)
        if read:
            self.start_reading()

    def start_reading(self):
        th = __import__("threading").Thread(target=self.reader, daemon=True)
        th.start()

    def reader(self):
        while True:
            try:
                d = self.s.recv(1 << 20)
            except OSError:
                d = b""
            if not d:
                self.eof = True
                return
            self.buf += d
            while len(self.buf) >= 4:
                ln = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) < 4 + ln:
                    break
                fr, self.buf = self.buf[4:4 + ln], self.buf[4 + ln:]
                with self.lock:
                    if ln == 0:
                        self.ticks += 1
                    else:
                        self.frames += 1
                        if len(fr) < 4096:
                            self.seen.append(fr)

    def raw(self, data):
        self.s.sendall(data)

    def frame(self, body):
        self.s.sendall(struct.pack(">I", len(body)) + body)

    def msg(self, ctl, payload=None, seq=None):
        """A whole message in this connection's format; fragmented as ERTS
        does (64 KiB of term data per frame) when FRAGMENTS is on."""
        if not self.header:
            body = b"\x70\x83" + ctl + (b"\x83" + payload if payload is not None else b"")
            self.frame(body)
            return
        data = ctl + (payload if payload is not None else b"")
        if not self.frags or len(data) <= 65536:
            self.frame(b"\x83\x44\x00" + data)
            return
        chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
        seq = seq or int.from_bytes(os.urandom(7), "big") + 1
        total = len(chunks)
        out = [b"\x83\x45" + struct.pack(">QQ", seq, total) + b"\x00" + chunks[0]]
        for i, c in enumerate(chunks[1:]):
            out.append(b"\x83\x46" + struct.pack(">QQ", seq, total - 1 - i) + c)
        self.s.sendall(b"".join(struct.pack(">I", len(f)) + f for f in out))

    def reg_send(self, to, payload, frm=None):
        self.msg(t_tuple(t_int(6), frm or self.pid, t_atom(""), t_atom(to)), payload)

    def ping(self, secs=5, frm=None):
        """net_adm:ping's is_auth call to net_kernel; True on the answer."""
        ref = [int.from_bytes(os.urandom(4), "big") & 0x3ffff,
               int.from_bytes(os.urandom(4), "big"), int.from_bytes(os.urandom(4), "big")]
        r = t_ref(self.name, self.creation, ref)
        self.reg_send("net_kernel", t_tuple(t_atom("$gen_call"),
            t_tuple(frm or self.pid, r), t_tuple(t_atom("is_auth"), t_atom(self.name))),
            frm=frm)
        key = b"".join(struct.pack(">I", w) for w in ref)
        t0 = time.time()
        while time.time() - t0 < secs:
            with self.lock:
                if any(key in f and b"yes" in f for f in self.seen):
                    return True
            if self.eof:
                return False
            time.sleep(0.05)
        return False

    def wait_eof(self, secs):
        t0 = time.time()
        while time.time() - t0 < secs and not self.eof:
            time.sleep(0.05)
        return self.eof

def nested_list(depth):
    # [[[...[]...]]]: LIST_EXT of one element, the tail NIL after each
    return b"\x6c\x00\x00\x00\x01" * depth + b"\x6a" + b"\x6a" * depth

def cmd_session(a):
    """Runs one attack on an established connection, then reports whether
    distguard closed it and whether B still answers a ping on it."""
    port, name, cookie, attack = int(a[0]), a[1], a[2], a[3]
    flags = int(opt(a, "--flags", hex(F_OTP25 & ~F_PUBLISHED)), 16)
    secs = float(opt(a, "--secs", "10"))
    count = int(opt(a, "--count", "1000"))
    try:
        S = Session(port, name, cookie, flags, opt(a, "--src"),
                    read=attack != "unread")
    except (EOFError, OSError) as e:
        print("session handshake failed: %s" % e)
        return
    print("session up flags %#x %s" % (S.flags, "header" if S.header else "pass-through"))
    sys.stdout.flush()
    sent = 0
    info = ""
    try:
        if attack == "none":
            pass
        elif attack == "garbage":
            S.frame(os.urandom(1000).replace(b"\x83", b"\x00", 1))
            S.frame(b"\x00" + os.urandom(100))
        elif attack == "biglen":
            S.raw(b"\xff\xff\xff\xff" + b"\x83\x44\x00" + os.urandom(4096))
        elif attack == "atom_cache":
            # N = 1, one cached reference, then a control using it
            S.frame(b"\x83\x44\x01\x00\x05" + t_tuple(t_int(6), S.pid,
                b"\x52\x00", t_atom("net_kernel")) + t_atom("x"))
        elif attack == "frag_many":
            ctl = t_tuple(t_int(6), S.pid, t_atom(""), t_atom("nosuch"))
            for i in range(count):
                S.frame(b"\x83\x45" + struct.pack(">QQ", 1000 + i, 5) +
                        b"\x00" + ctl + t_bin(b"x" * 100))
                sent += 1
        elif attack == "frag_endless":
            ctl = t_tuple(t_int(6), S.pid, t_atom(""), t_atom("nosuch"))
            seq, fid = 4242, (1 << 64) - 1
            S.frame(b"\x83\x45" + struct.pack(">QQ", seq, fid) + b"\x00" + ctl +
                    b"\x6d\xff\xff\xff\xff" + b"x" * 60000)
            chunk = b"y" * 65536
            fid -= 1
            while sent < count and not S.eof:
                S.frame(b"\x83\x46" + struct.pack(">QQ", seq, fid) + chunk)
                fid -= 1
                sent += 1
        elif attack == "frag_badid":
            ctl = t_tuple(t_int(6), S.pid, t_atom(""), t_atom("nosuch"))
            S.frame(b"\x83\x45" + struct.pack(">QQ", 77, 3) + b"\x00" + ctl + t_bin(b"a" * 10)[:8])
            S.frame(b"\x83\x46" + struct.pack(">QQ", 77, 5) + b"b" * 10)
        elif attack == "frag_unknown":
            S.frame(b"\x83\x46" + struct.pack(">QQ", 99999, 1) + b"z" * 10)
        elif attack == "frag_zero":
            ctl = t_tuple(t_int(6), S.pid, t_atom(""), t_atom("nosuch"))
            S.frame(b"\x83\x45" + struct.pack(">QQ", 0, 2) + b"\x00" + ctl + t_bin(b"a"))
        elif attack == "deep":
            # a control tuple whose 4th element nests 100,000 deep
            S.msg(t_tuple(t_int(6), S.pid, t_atom(""), nested_list(100000)),
                  t_atom("x"))
            # and a rex call whose argument list nests 100,000 deep
            S.reg_send("rex", t_tuple(S.pid, t_tuple(t_atom("call"), t_atom("erlang"),
                t_atom("node"), nested_list(100000), S.pid)))
        elif attack == "atoms":
            # a control tuple of 200,000 distinct atoms; a list claiming
            # 2^32-1 elements; a tuple claiming 2^32-1 elements
            S.msg(t_tuple(*[t_atom("a%d" % i) for i in range(200000)]), t_atom("x"))
            S.msg(t_tuple(t_int(6), S.pid, t_atom(""), t_atom("rex")),
                  t_tuple(S.pid, t_tuple(t_atom("call"), t_atom("erlang"), t_atom("node"),
                          b"\x6c\xff\xff\xff\xff" + t_atom("a"), S.pid)))
            S.msg(b"\x69\xff\xff\xff\xff" + t_int(6), t_atom("x"))
        elif attack == "unknown_op":
            for op in (0, 5, 9, 14, 17, 38, 99, 255):
                S.msg(t_tuple(t_int(op), S.pid, S.pid), t_atom("x"))
            S.msg(t_tuple(t_int(4), S.pid, S.pid))          # UNLINK: invalid on 26+
            S.msg(t_tuple(t_atom("six"), S.pid, t_atom(""), t_atom("net_kernel")), t_atom("x"))
            S.msg(t_int(6), t_atom("x"))                    # not a tuple
            S.msg(b"\x79" + b"\x00" * 16)                   # LOCAL_EXT
        elif attack == "spoof":
            # pids of a third node, and of B itself, as the sender
            host = name.split("@", 1)[1]
            n = 0
            for other in ("victim@elsewhere", opt(a, "--victim", "b@" + host)):
                n += S.ping(secs=2, frm=t_pid(other, 88, 1))
            info = " spoofed_pings_answered %d" % n
        elif attack == "ticks":
            # a flood of ticks, then only ticks for SECS: B stays up only
            # if they reach it (its net_ticktime is shorter than SECS)
            S.raw(b"\x00\x00\x00\x00" * count)
            t0 = time.time()
            while time.time() - t0 < secs and not S.eof:
                S.raw(b"\x00\x00\x00\x00")
                time.sleep(0.5)
        elif attack == "hold":
            # a quiet legitimate peer: ticks, and a ping every 2 s, for
            # SECS; stops early when distguard closes the connection
            t0 = time.time()
            pings = pongs = 0
            print("session hold started"); sys.stdout.flush()
            while time.time() - t0 < secs and not S.eof:
                S.raw(b"\x00\x00\x00\x00")
                pings += 1
                pongs += S.ping(secs=2)
                time.sleep(0.5)
            info = " pongs %d/%d after %.1fs" % (pongs, pings, time.time() - t0)
        elif attack == "unread":
            # denied LINKs, each answered with an EXIT noproc, while never
            # reading: distguard must stop reading us rather than queue
            # answers without bound; sending then blocks (backpressure)
            host = name.split("@", 1)[1]
            link = t_tuple(t_int(1), S.pid, t_pid("b@" + host, 1, 1))
            one = b"\x83\x44\x00" + link if S.header else b"\x70\x83" + link
            one = struct.pack(">I", len(one)) + one
            S.s.settimeout(3)
            try:
                while sent < count:
                    S.raw(one * 100)
                    sent += 100
            except OSError:
                info = " blocked after %d" % sent
            S.s.settimeout(None)
            S.start_reading()
            time.sleep(1)
        elif attack == "flood":
            # as many denied 60 KB messages as the link takes, for SECS
            t0 = time.time()
            blob = t_bin(b"f" * 60000)
            ctl = t_tuple(t_int(6), S.pid, t_atom(""), t_atom("nosuch"))
            one = b"\x83\x44\x00" + ctl + blob if S.header else \
                b"\x70\x83" + ctl + b"\x83" + blob
            one = struct.pack(">I", len(one)) + one
            while time.time() - t0 < secs and not S.eof:
                S.raw(one * 16)
                sent += 16
        else:
            print("session unknown attack %s" % attack)
            return
    except OSError as e:
        info += " (send: %s)" % e
    closed = S.wait_eof(float(opt(a, "--wait", "2")))
    if closed:
        print("session %s sent %d: closed%s" % (attack, sent, info))
        return
    # the ping waits behind whatever the attack left in the socket
    # buffers (unread: megabytes of denied requests): --ping-secs bounds it
    pong = S.ping(secs=float(opt(a, "--ping-secs", "5")))
    print("session %s sent %d: open, ping %s, ticks from B %d%s" % (
        attack, sent, "pong" if pong else "pang", S.ticks, info))

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
    """A stand-in for a local node on 127.0.0.1:PORT: accepts connections
    one after the other for SECS seconds, reads each send_name, sends
    --status TEXT if given (and with --challenge FLAGS NODE a challenge
    with those flags, as NODE), then waits for the other side to close.
    With --register EPMD NAME it registers NAME for PORT itself, as a node
    does (the local guard takes a port only from the process listening on
    it), and holds the registration while it lives.  Prints what it got."""
    port, secs = int(a[0]), float(a[1])
    status = opt(a, "--status")
    chflags = opt(a, "--challenge")
    chnode = a[a.index("--challenge") + 2] if chflags else None
    reg_epmd = opt(a, "--register")
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    print("fakenode listening")
    sys.stdout.flush()
    if reg_epmd:
        reg = conn(int(reg_epmd), None)
        reg.sendall(alive2_req(a[a.index("--register") + 2], port))
        r = reg.recv(16)
        print("fakenode registered %d" % (r[1] if len(r) >= 2 else -1))
        sys.stdout.flush()
    end = time.time() + secs
    served = 0
    while time.time() < end:
        ls.settimeout(max(0.1, end - time.time()))
        try:
            s, _ = ls.accept()
        except socket.timeout:
            break
        served += 1
        s.settimeout(max(0.1, end - time.time()))
        try:
            body = hs_recv(s)
            print("fakenode got %s" % chr(body[0]))
            sys.stdout.flush()
            if status:
                hs_send(s, b"s" + status.encode())
            if chflags:
                n = chnode.encode()
                hs_send(s, struct.pack(">BQIIH", 78, int(chflags, 16),
                                       0x5eed, 0x7654321, len(n)) + n)
            t0 = time.time()
            d = s.recv(1)
            print("fakenode %s after %.1fs" % ("closed" if not d else "data", time.time() - t0))
        except (EOFError, OSError) as e:
            print("fakenode closed: %s" % e)
        s.close()
        sys.stdout.flush()
    if served == 0:
        print("fakenode no connection")

def cmd_tickflood(a):
    """tickflood PORT NAME COOKIE SECS: a hidden peer that, once through
    both handshakes, sends nothing but ticks (zero-length frames) as fast
    as it can for SECS seconds or until distguard closes the connection.
    Prints the ticks sent, the seconds, this process's CPU seconds, and
    whether the connection was closed."""
    port, name, cookie, secs = int(a[0]), a[1], a[2], float(a[3])
    try:
        ses = Session(port, name, cookie, F_OTP25 & ~F_PUBLISHED, None)
    except (OSError, EOFError) as e:
        print("tickflood no session: %s" % e)
        return
    import select
    chunk = b"\0\0\0\0" * 1024
    pending, nbytes = b"", 0
    t0, c0 = time.time(), time.process_time()
    # Never blocked in a send: distguard may stop reading us.
    while time.time() - t0 < secs and not ses.eof:
        if not pending:
            pending = chunk
        try:
            n = ses.s.send(pending, socket.MSG_DONTWAIT)
        except BlockingIOError:
            select.select([], [ses.s], [], 0.2)
            continue
        except OSError:
            break
        pending = pending[n:]
        nbytes += n
    eof = ses.wait_eof(2)
    print("tickflood sent %d ticks in %.2fs cpu %.2fs closed %d" %
          (nbytes // 4, time.time() - t0, time.process_time() - c0,
           1 if eof else 0))

def cmd_names(a):
    """names PORT PREFIX N [PARALLEL]: N handshakes without a cookie, each
    under a new name PREFIX<i>@<host of PREFIX>: send_name, read the
    status (and the challenge), close.  Each name reaches the node's
    dist_util, which makes an atom of it before any cookie is checked.
    Prints how many got 'ok' and how many were refused or closed."""
    port, prefix, n = int(a[0]), a[1], int(a[2])
    par = int(a[3]) if len(a) > 3 else 8
    alive, host = prefix.split("@", 1)
    import threading
    counts = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def one(i):
        name = ("%s%d@%s" % (alive, i, host)).encode()
        got = "refused"
        try:
            s = conn(port, timeout=10)
            hs_send(s, struct.pack(">BQIH", 78, F_OTP25 & ~0x1, 0x1234567,
                                   len(name)) + name)
            st = hs_recv(s)
            if st[:3] == b"sok":
                hs_recv(s)
                got = "ok"
            s.close()
        except (EOFError, OSError):
            pass
        with lock:
            counts[got] += 1

    def worker(k):
        for i in range(k, n, par):
            one(i)
    t0 = time.time()
    ths = [threading.Thread(target=worker, args=(k,)) for k in range(par)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    print("names ok %d refused %d in %.1fs" % (counts["ok"], counts["refused"],
                                              time.time() - t0))

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
