#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An independent check of the link protocol as docs/LINKS.md writes it.

Recomputes the test-vector exchange (fixed host seeds 0xa1/0xb1, fixed
ephemeral secrets 0xe1/0xe2) from the document alone, with Python's
hashlib (BLAKE2b, crypto_kdf's construction) and python3-cryptography
(X25519, Ed25519, ChaCha20-Poly1305; HChaCha20 written here for
XChaCha20), and compares every byte with the exchange distguard recorded
(tests/fuzz/seeds/link_hs, written by test_link).  Prints ok/not ok lines.

usage: link_check.py SEEDS_DIR
"""
import hashlib
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey, Ed25519PublicKey)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RAW = (Encoding.Raw, PublicFormat.Raw)
fails = 0


def check(name, cond):
    global fails
    print(("ok - " if cond else "not ok - ") + "link vectors: " + name)
    fails += 0 if cond else 1


def H(data, key=b""):
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


def kdf(key, subkey_id, ctx):
    # libsodium crypto_kdf_derive_from_key: BLAKE2b keyed by the master
    # key, salt = the id (little-endian u64) padded, personal = ctx padded
    return hashlib.blake2b(b"", digest_size=32, key=key,
                           salt=struct.pack("<Q", subkey_id) + bytes(8),
                           person=ctx + bytes(8)).digest()


def rotl(v, n):
    return ((v << n) & 0xffffffff) | (v >> (32 - n))


def hchacha20(key, nonce16):
    s = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
    s += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def qr(a, b, c, d):
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 16)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 12)
        s[a] = (s[a] + s[b]) & 0xffffffff; s[d] = rotl(s[d] ^ s[a], 8)
        s[c] = (s[c] + s[d]) & 0xffffffff; s[b] = rotl(s[b] ^ s[c], 7)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
        qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
    return struct.pack("<8I", *(s[0:4] + s[12:16]))


def xchacha_open(key, nonce24, ct, ad):
    sub = hchacha20(key, nonce24[:16])
    return ChaCha20Poly1305(sub).decrypt(bytes(4) + nonce24[16:], ct, ad)


def ed_key(fill):
    sk = Ed25519PrivateKey.from_private_bytes(bytes([fill]) * 32)
    return sk.public_key().public_bytes(*RAW)


def identity(pt, label, th, who):
    """Checks a sealed identity's form and signature; returns the key."""
    check(who + ": identity is a bare key (kind 1)", pt[0] == 1)
    pk, sig = pt[1:33], pt[33:]
    check(who + ": identity is 1 + 32 + 64 bytes", len(sig) == 64)
    msg = label + th + H(pt[:33])
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        check(who + ": signature over label || th || H(identity)", True)
    except Exception:
        check(who + ": signature over label || th || H(identity)", False)
    return pk


def main(seeds):
    init = open(seeds + "/initiator_msg2", "rb").read()[2:]
    resp = open(seeds + "/responder_msg1_msg3", "rb").read()[2:]
    n1 = struct.unpack(">H", resp[:2])[0]
    m1, m3 = resp[2:2 + n1], resp[2 + n1 + 2:]
    m2 = init[2:]
    check("framing: u16 lengths", struct.unpack(">H", init[:2])[0] == len(m2)
          and struct.unpack(">H", resp[2 + n1:4 + n1])[0] == len(m3))

    ei = X25519PrivateKey.from_private_bytes(bytes([0xe1]) * 32)
    er = X25519PrivateKey.from_private_bytes(bytes([0xe2]) * 32)
    ei_pub, er_pub = ei.public_key().public_bytes(*RAW), er.public_key().public_bytes(*RAW)
    check("msg1 = DGL 01 | 1 suite: 01 | e_i",
          m1 == b"DGL\x01\x01\x01" + ei_pub)
    check("msg2 head = DGL 02 | suite 01 | e_r", m2[:37] == b"DGL\x02\x01" + er_pub)
    check("msg3 head = DGL 03", m3[:4] == b"DGL\x03")

    th = H(b"distguard link v1")
    th = H(th + m1)
    th2 = H(th + m2[:37])
    dh = ei.exchange(X25519PublicKey.from_public_bytes(er_pub))
    check("X25519 agrees both ways",
          dh == er.exchange(X25519PublicKey.from_public_bytes(ei_pub)))
    prk = H(b"hs" + th2, key=dh)
    k_i2r, k_r2i = kdf(prk, 1, b"dglinkhs"), kdf(prk, 2, b"dglinkhs")
    zero = bytes(24)
    try:
        pt2 = xchacha_open(k_r2i, zero, m2[37:], th2)
        check("msg2 seal opens under k_r2i with th2 as AD", True)
    except Exception:
        check("msg2 seal opens under k_r2i with th2 as AD", False)
        return
    pk_r = identity(pt2, b"distguard link v1 resp sig", th2, "msg2")
    check("msg2 identity is hostB's key (seed 0xb1)", pk_r == ed_key(0xb1))
    th3 = H(th2 + m2[37:])
    try:
        pt3 = xchacha_open(k_i2r, zero, m3[4:], th3)
        check("msg3 seal opens under k_i2r with th3 as AD", True)
    except Exception:
        check("msg3 seal opens under k_i2r with th3 as AD", False)
        return
    pk_i = identity(pt3, b"distguard link v1 init sig", th3, "msg3")
    check("msg3 identity is hostA's key (seed 0xa1)", pk_i == ed_key(0xa1))
    th4 = H(th3 + m3[4:])
    prk2 = H(b"app" + th4, key=prk)
    i2r, r2i = kdf(prk2, 1, b"dglinkap"), kdf(prk2, 2, b"dglinkap")
    check("record key i2r " + i2r.hex(), i2r.hex() ==
          "b1edaa2044b9739d0fd3ef4a9add52ab71180cdd49db2517017b1ecc1121b0d3")
    check("record key r2i " + r2i.hex(), r2i.hex() ==
          "dab460c5c8bf5083070a04c075214331618ecda0a2f41070df32683d8407772e")


if __name__ == "__main__":
    main(sys.argv[1])
    sys.exit(1 if fails else 0)
