# SPDX-License-Identifier: Apache-2.0
"""captures.py - the messages an OTP 25 initiator sent in the captured
sessions (tests/vectors/captures/*/dist1.a2b.bin, the fixtures' raw bytes),
as decoded (control, payload) terms: the seeds of the live fuzzer's
capture mutations.

A capture's a2b file is the initiator's side of the session: two 2-byte
framed handshake messages (send_name, challenge reply), then 4-byte
frames.  Frames use the atom cache (DIST_HDR_ATOM_CACHE was negotiated
there) and fragments; both are undone here, so what comes out no longer
depends on cross-frame state.
"""
import os
import struct

import etf


def _dist_header(b, p, cache):
    """Parses a 131,68 header's atom-cache part at p (just past 68);
    updates cache; returns (atoms of this frame by ref index, next p)."""
    n = b[p]
    p += 1
    if n == 0:
        return [], p
    flen = n // 2 + 1
    fl = b[p:p + flen]
    p += flen
    long_atoms = (fl[n // 2] >> (0 if n % 2 == 0 else 4)) & 1
    refs = []
    for i in range(n):
        f = (fl[i // 2] >> (4 * (i % 2))) & 0xf
        seg = f & 7
        idx = b[p]
        p += 1
        key = seg * 256 + idx
        if f & 8:
            if long_atoms:
                ln = struct.unpack(">H", b[p:p + 2])[0]
                p += 2
            else:
                ln = b[p]
                p += 1
            cache[key] = b[p:p + ln].decode("utf-8", "replace")
            p += ln
        refs.append(cache.get(key, "?"))
    return refs, p


def frames(data):
    """The data frames' bodies of an initiator's byte stream."""
    p = 0
    for _ in range(2):
        if p + 2 > len(data):
            return
        n = struct.unpack(">H", data[p:p + 2])[0]
        p += 2 + n
    while p + 4 <= len(data):
        n = struct.unpack(">I", data[p:p + 4])[0]
        p += 4
        if n:
            yield data[p:p + n]
        p += n


def messages(data):
    """(control, payload) of every message in an initiator's stream that
    decodes (reassembled from fragments; atom-cache references resolved)."""
    cache = {}
    partial = {}
    for body in frames(data):
        if len(body) < 2 or body[0] != 131:
            continue
        kind = body[1]
        if kind == 69:
            seq, fid = struct.unpack(">QQ", body[2:18])
            refs, p = _dist_header(body, 18, cache)
            if fid > 1:
                partial[seq] = [refs, bytearray(body[p:]), fid - 1]
                continue
            yield from _decode(body, p, refs)
            continue
        if kind == 70:
            seq, fid = struct.unpack(">QQ", body[2:18])
            st = partial.get(seq)
            if st is None:
                continue
            st[1] += body[18:]
            if fid == 1:
                del partial[seq]
                yield from _decode(bytes(st[1]), 0, st[0])
            continue
        if kind != 68:
            continue
        refs, p = _dist_header(body, 2, cache)
        yield from _decode(body, p, refs)


def _decode(b, p, refs):
    try:
        ctl, q = etf.decode(b, p, refs)
        pay = None
        if q < len(b):
            pay, q = etf.decode(b, q, refs)
        yield ctl, pay
    except (ValueError, RecursionError, struct.error, IndexError):
        return


def load(root):
    """{scenario: [(control, payload), ...]} of every capture under root
    (a folder of <scenario>/dist1.a2b.bin)."""
    out = {}
    if not os.path.isdir(root):
        return out
    for sc in sorted(os.listdir(root)):
        f = os.path.join(root, sc, "dist1.a2b.bin")
        if not os.path.isfile(f):
            continue
        with open(f, "rb") as fh:
            msgs = list(messages(fh.read()))
        if msgs:
            out[sc] = msgs
    return out


if __name__ == "__main__":
    import sys
    for sc, msgs in load(sys.argv[1]).items():
        print("%s: %d messages" % (sc, len(msgs)))
        for c, pl in msgs[:int(sys.argv[2]) if len(sys.argv) > 2 else 3]:
            s = repr((c, pl))
            print("   ", s[:200])
