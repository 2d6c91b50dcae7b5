#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scale.py - many cheap distribution clients for bench/run.sh.  Loopback only.

    scale.py conns PORT COOKIE HOST N1 N2 CONC SIGDIR
        Completes real handshakes (names p1@HOST, p2@HOST, ...) through a
        distguard listener, CONC at a time, from 127.0.1.1..250, and keeps
        every connection open.  After N1 are up it prints a line, creates
        SIGDIR/up1 and waits (at most 300 s) for SIGDIR/go1; then the same
        up to N2 with up2/go2; then closes everything.
    scale.py halfopen PORT HOST N CONC SIGDIR
        Half-open handshakes: connects (names ph1@HOST, ...), sends the
        send_name only and reads distguard's status and challenge, then
        never replies, CONC at a time, from 127.0.1.1..250, until N wait
        so.  Prints a line, creates SIGDIR/up and waits (at most 300 s) for
        SIGDIR/go; then closes everything.
    scale.py burst PORT N SIGDIR
        N connects at once (non-blocking, from 127.0.1.1..250), nothing
        sent; prints how long the kernel took to complete them all (a
        connect whose SYN the full accept queue dropped is retried by the
        kernel a second later), creates SIGDIR/up and waits (at most 300 s)
        for SIGDIR/go; then closes everything.
    scale.py flood PORT NAME SECS THREADS SRC [NSRC]
        Handshakes with wrong digests, as fast as THREADS blocking clients
        manage, for SECS seconds (a "%d" in NAME makes every name differ:
        the same name in parallel makes B refuse it before any digest), from SRC (or, with NSRC, from the NSRC
        addresses SRC1..SRC<NSRC>, e.g. SRC=127.0.2.).  Prints attempts/s
        and how many got as far as a challenge.

The handshake bytes are those of tests/e2e/craft.py cmd_handshake (OTP 25
flags, 'N' send_name, 'r' reply with the MD5 digest, 'a' ack).
"""
import errno
import hashlib
import os
import selectors
import socket
import struct
import sys
import threading
import time

F_OTP25 = 0x0000000d07df7fbd


def digest(cookie, ch):
    return hashlib.md5(cookie.encode() + str(ch).encode()).digest()


def frame(body):
    return struct.pack(">H", len(body)) + body


class Client:
    """One handshake as a small state machine over a non-blocking socket."""

    def __init__(self, sel, port, cookie, name, src):
        self.cookie = cookie
        self.name = name
        self.buf = b""
        self.state = "connect"
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setblocking(False)
        self.s.bind((src, 0))
        err = self.s.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            raise OSError(err, os.strerror(err))
        self.sel = sel
        sel.register(self.s, selectors.EVENT_WRITE, self)

    def msg(self):
        """Next u16-framed message, or None."""
        if len(self.buf) < 2:
            return None
        n = struct.unpack(">H", self.buf[:2])[0]
        if len(self.buf) < 2 + n:
            return None
        m = self.buf[2:2 + n]
        self.buf = self.buf[2 + n:]
        return m

    def challenged(self, m):
        """distguard's challenge m: answered; 'fail' if it is none."""
        if m[0] != 78:
            return "fail"
        chal = struct.unpack(">I", m[9:13])[0]
        self.s.send(frame(struct.pack(">BI", 114, 0x0badcafe) + digest(self.cookie, chal)))
        self.state = "ack"
        return None

    def step(self):
        """Returns 'up', 'fail' or None (not finished)."""
        if self.state == "connect":
            if self.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return "fail"
            n = self.name.encode()
            self.s.send(frame(struct.pack(">BQIH", 78, F_OTP25, 0x1234567, len(n)) + n))
            self.sel.modify(self.s, selectors.EVENT_READ, self)
            self.state = "status"
            return None
        try:
            d = self.s.recv(4096)
        except BlockingIOError:
            return None
        except OSError:
            return "fail"
        if not d:
            return "fail"
        self.buf += d
        while True:
            m = self.msg()
            if m is None:
                return None
            if self.state == "status":
                if m not in (b"sok", b"sok_simultaneous"):
                    return "fail"
                self.state = "challenge"
            elif self.state == "challenge":
                r = self.challenged(m)
                if r is not None:
                    return r
            elif self.state == "ack":
                if m[0] != 97 or m[1:] != digest(self.cookie, 0x0badcafe):
                    return "fail"
                self.state = "up"
                return "up"


def wait_file(path, secs):
    t = time.time() + secs
    while time.time() < t and not os.path.exists(path):
        time.sleep(0.05)


class Crowd:
    """Handshaking clients on one selector, at most `conc` in flight:
    the connections and half-open modes both fill theirs this way."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.started = self.pending = self.failed = 0

    def fill(self, done, target, conc, cap, deadline, make):
        """Starts clients, make(i) for the i-th, until `done` holds `target`
        sockets whose client said "up" (a failed one is closed and
        counted), `cap` were started, or the deadline passed."""
        while len(done) < target and time.time() < deadline:
            while (self.pending < conc and len(done) + self.pending < target
                   and self.started < cap):
                self.started += 1
                try:
                    make(self.started)
                    self.pending += 1
                except OSError as e:
                    self.failed += 1
                    print("# connect failed: %s" % e, flush=True)
            if self.pending == 0:
                break
            for key, _ in self.sel.select(timeout=5):
                c = key.data
                r = c.step()
                if r is None:
                    continue
                self.pending -= 1
                self.sel.unregister(c.s)
                if r == "up":
                    done.append(c.s)
                else:
                    self.failed += 1
                    c.s.close()


def src_addr(i):
    return "127.0.1.%d" % (1 + i % 250)


def cmd_conns(a):
    port, cookie, host = int(a[0]), a[1], a[2]
    n1, n2, conc, sigdir = int(a[3]), int(a[4]), int(a[5]), a[6]
    crowd = Crowd()
    up = []
    t0 = time.time()
    for target, tag in ((n1, "1"), (n2, "2")):
        ts = time.time()
        base = len(up)
        crowd.fill(up, target, conc, 2 * n2, ts + 240,
                   lambda i: Client(crowd.sel, port, cookie, "p%d@%s" % (i, host), src_addr(i)))
        dt = time.time() - ts
        print("conns up %d handshakes %d secs %.3f per_s %.1f failed %d" %
              (len(up), len(up) - base, dt, (len(up) - base) / dt if dt > 0 else 0,
               crowd.failed), flush=True)
        open(os.path.join(sigdir, "up" + tag), "w").close()
        wait_file(os.path.join(sigdir, "go" + tag), 300)
    for s in up:
        s.close()
    print("conns closed after %.1fs" % (time.time() - t0), flush=True)


class HalfOpen(Client):
    """A handshake that stops after distguard's challenge: its state is
    what distguard holds while it waits for a challenge reply."""

    def challenged(self, m):
        return "up" if m[0] == 78 else "fail"


def cmd_halfopen(a):
    port, host, n, conc, sigdir = int(a[0]), a[1], int(a[2]), int(a[3]), a[4]
    crowd = Crowd()
    held = []
    ts = time.time()
    crowd.fill(held, n, conc, 2 * n, ts + 240,
               lambda i: HalfOpen(crowd.sel, port, "-", "ph%d@%s" % (i, host), src_addr(i)))
    dt = time.time() - ts
    print("halfopen held %d secs %.3f per_s %.1f failed %d" %
          (len(held), dt, len(held) / dt if dt > 0 else 0, crowd.failed), flush=True)
    open(os.path.join(sigdir, "up"), "w").close()
    wait_file(os.path.join(sigdir, "go"), 300)
    for s in held:
        s.close()


def cmd_burst(a):
    port, n, sigdir = int(a[0]), int(a[1]), a[2]
    sel = selectors.DefaultSelector()
    socks, done, failed = [], 0, 0
    t0 = time.time()
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((src_addr(i), 0))
            err = s.connect_ex(("127.0.0.1", port))
        except OSError as e:
            err = e.errno
        if err not in (0, errno.EINPROGRESS):
            failed += 1
            s.close()
            continue
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE)
    t_sent = time.time() - t0
    last = t0
    deadline = t0 + 120
    while done + failed < n and time.time() < deadline:
        for key, _ in sel.select(timeout=1):
            sel.unregister(key.fileobj)
            if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                failed += 1
            else:
                done += 1
            last = time.time()
    print("burst connects %d connected %d failed %d issued_secs %.3f "
          "all_connected_secs %.3f" % (n, done, failed, t_sent, last - t0),
          flush=True)
    open(os.path.join(sigdir, "up"), "w").close()
    wait_file(os.path.join(sigdir, "go"), 300)
    for s in socks:
        s.close()


def flood_worker(port, name, stop, srcs, k, out):
    attempts = challenged = 0
    i = k
    while time.time() < stop:
        src = srcs[i % len(srcs)]
        i += 1
        attempts += 1
        n = (name.replace("%d", "%d_%d" % (k, i)) if "%d" in name else name).encode()
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(2)
            s.bind((src, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(frame(struct.pack(">BQIH", 78, F_OTP25, 1, len(n)) + n))
            got = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
                # status (2+3) then the challenge
                if len(got) >= 5 + 2 and len(got) >= 5 + 2 + struct.unpack(">H", got[5:7])[0]:
                    break
            if len(got) > 7:
                challenged += 1
                s.sendall(frame(struct.pack(">BI", 114, 7 + i) + os.urandom(16)))
                try:
                    s.recv(64)
                except OSError:
                    pass
            s.close()
        except OSError:
            try:
                s.close()
            except OSError:
                pass
    out[k] = (attempts, challenged)


def cmd_flood(a):
    port, name, secs, threads, src = int(a[0]), a[1], float(a[2]), int(a[3]), a[4]
    nsrc = int(a[5]) if len(a) > 5 else 0
    srcs = ["%s%d" % (src, i) for i in range(1, nsrc + 1)] if nsrc else [src]
    stop = time.time() + secs
    out = {}
    ts = [threading.Thread(target=flood_worker, args=(port, name, stop, srcs, k, out))
          for k in range(threads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join(secs + 30)
    dt = time.time() - t0
    att = sum(v[0] for v in out.values())
    ch = sum(v[1] for v in out.values())
    cpu = os.times()
    print("flood attempts %d secs %.2f per_s %.1f challenged %d sources %d flooder_cpu_s %.2f" %
          (att, dt, att / dt, ch, len(srcs), cpu.user + cpu.system), flush=True)


def main():
    cmds = {"conns": cmd_conns, "halfopen": cmd_halfopen,
            "burst": cmd_burst, "flood": cmd_flood}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        sys.exit(2)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
