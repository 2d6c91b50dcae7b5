#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""linkflood.py - an unauthenticated flood of a distguard link listener,
from one source address (issue 25).  It holds no key: it only costs the
daemon what the daemon lets it cost.

    linkflood.py hold HOST PORT COUNT SECS [--src ADDR]
        opens COUNT connections that send nothing, holds them SECS
        seconds; prints how many the daemon accepted and kept open
    linkflood.py kex HOST PORT SECS [--src ADDR]
        for SECS seconds: connect, send a first key-exchange message
        (40 bytes, a fresh random "ephemeral", no crypto at all), read
        the daemon's answer, close, again; prints how many answers came
    linkflood.py kexp HOST PORT SECS WIDTH [--src ADDR]
        the same with WIDTH connections in flight at once
        (each answer is one X25519 key pair, one X25519 product, one
        Ed25519 signature and one seal done by the daemon)

Message 1 (link/link_hs.c): u16 length, "DGL", type 1, one suite (1), a
32-byte ephemeral public key.
"""
import os
import socket
import sys
import time


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return v
    return default


def connect(host, port, src, timeout=2.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src:
        s.bind((src, 0))
    s.connect((host, port))
    return s


def msg1():
    body = b"DGL" + bytes([1, 1, 1]) + os.urandom(32)
    return len(body).to_bytes(2, "big") + body


def cmd_hold(host, port, count, secs, src):
    """Keeps COUNT connections open: each one the daemon closes is opened
    again, for SECS seconds."""
    socks, opened, failed, closed, most = [], 0, 0, 0, 0
    end = time.time() + secs
    while time.time() < end:
        while len(socks) < count and time.time() < end:
            try:
                s = connect(host, port, src, 1.0)
                s.setblocking(False)
                socks.append(s)
                opened += 1
            except OSError:
                failed += 1
                time.sleep(0.01)
        time.sleep(0.5)
        alive = []
        for s in socks:
            try:
                if s.recv(1) == b"":
                    closed += 1
                    s.close()
                    continue
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
                s.close()
                continue
            alive.append(s)
        socks = alive
        most = max(most, len(socks))
    print("hold: %d opened, %d failed to connect, %d closed by the daemon; "
          "%d open at most, %d at the end" % (opened, failed, closed, most,
                                              len(socks)), flush=True)
    for s in socks:
        s.close()


def cmd_kex(host, port, secs, src):
    tries = answers = 0
    start = time.time()
    while time.time() - start < secs:
        tries += 1
        try:
            s = connect(host, port, src, 1.0)
            s.sendall(msg1())
            got = s.recv(4096)
            if len(got) > 2 and got[2:5] == b"DGL":
                answers += 1
            s.close()
        except OSError:
            time.sleep(0.001)
    took = time.time() - start
    print("kex: %d tries, %d answers in %.1fs (%.1f answers/s)" %
          (tries, answers, took, answers / took), flush=True)


def cmd_kexp(host, port, secs, src, width):
    """kex with `width` connections in flight at once, none waiting for
    another: the daemon's loop never runs out of work."""
    import selectors
    sel = selectors.DefaultSelector()
    tries = answers = 0

    def open_one():
        nonlocal tries
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if src:
            s.bind((src, 0))
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return
        tries += 1
        sel.register(s, selectors.EVENT_WRITE, "connecting")

    start = time.time()
    for _ in range(width):
        open_one()
    while time.time() - start < secs:
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                if key.data == "connecting":
                    s.send(msg1())
                    sel.modify(s, selectors.EVENT_READ, "waiting")
                    continue
                got = s.recv(4096)
                if len(got) > 2 and got[2:5] == b"DGL":
                    answers += 1
            except OSError:
                pass
            sel.unregister(s)
            s.close()
            open_one()
        while len(sel.get_map()) < width and time.time() - start < secs:
            open_one()
    took = time.time() - start
    print("kexp: %d tries, %d answers in %.1fs (%.1f answers/s), %d in "
          "flight" % (tries, answers, took, answers / took, width),
          flush=True)


def main():
    a = sys.argv[1:]
    src = opt(a, "--src")
    if a[0] == "hold":
        cmd_hold(a[1], int(a[2]), int(a[3]), float(a[4]), src)
    elif a[0] == "kexp":
        cmd_kexp(a[1], int(a[2]), float(a[3]), src, int(a[4]))
    elif a[0] == "kex":
        cmd_kex(a[1], int(a[2]), float(a[3]), src)
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
