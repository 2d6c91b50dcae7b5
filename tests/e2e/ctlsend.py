#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ctlsend.py - a raw control-socket client, as any local process could
write one (it need not be our CLI, nor pass its checks).

    ctlsend.py PATH LINE       send LINE, print the answer (or ERR: why)
    ctlsend.py squat PATH SECS listen at PATH for SECS seconds, answering
                               every command "reloaded" / "revoked 1" /
                               "granted 1", and log each to stdout
"""
import os
import socket
import sys
import time


def send(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        out = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            out += b
        print(out.decode(errors="replace"), end="")
    except OSError as e:
        print("ERR: %s" % e)
        return 1
    return 0


def squat(path, secs):
    try:
        os.unlink(path)
    except OSError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(8)
    s.settimeout(0.2)
    print("squatting %s" % path, flush=True)
    end = time.time() + secs
    while time.time() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.settimeout(2)
        try:
            line = c.recv(4096).decode(errors="replace").strip()
        except OSError:
            line = "?"
        print("squatter got: %s" % line, flush=True)
        word = line.split()[0] if line else ""
        c.sendall({"reload": b"reloaded\n", "revoke": b"revoked 1\n"}.get(
            word, b"granted 1\n"))
        c.close()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "squat":
        sys.exit(squat(sys.argv[2], float(sys.argv[3])))
    sys.exit(send(sys.argv[1], sys.argv[2].replace("\\t", "\t")))
