#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""epmd_rate.py PORT NAME SECONDS [PROCS] - PORT_PLEASE2 requests per second
against an EPMD on 127.0.0.1:PORT (one request per connection, as clients
do), from PROCS processes in parallel.  Prints one line with the rate."""
import multiprocessing
import socket
import struct
import sys
import time

def worker(port, name, secs, q):
    req = struct.pack(">HB", len(name) + 1, 122) + name
    n = bad = 0
    end = time.time() + secs
    while time.time() < end:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(req)
        r = b""
        while True:
            d = s.recv(4096)
            if not d:
                break
            r += d
        s.close()
        n += 1
        if len(r) < 4 or r[0] != 119 or r[1] != 0:
            bad += 1
    q.put((n, bad))

def main():
    port, name, secs = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3])
    procs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=worker, args=(port, name, secs, q))
          for _ in range(procs)]
    for p in ps:
        p.start()
    tot = bad = 0
    for _ in ps:
        n, b = q.get()
        tot += n
        bad += b
    for p in ps:
        p.join()
    print("PORT_PLEASE2: %d requests in %.1fs = %.0f/s (%d procs), %d bad answers"
          % (tot, secs, tot / secs, procs, bad))

if __name__ == "__main__":
    main()
